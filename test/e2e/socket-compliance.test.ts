/**
 * Compliance mode (`wrangler dev --env compliance`, what `npm run
 * dev:compliance` starts on port 3000): the Engine.IO echo server on
 * /engine.io/ and the Socket.IO test server on /socket.io/, checked byte for
 * byte with raw HTTP and WebSocket requests written from the Engine.IO v4
 * and Socket.IO v5 protocol documents, and with the stock socket.io-client.
 */
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawSocket, request, within, wsUrl } from "./raw";
import { startWrangler, type WranglerServer } from "./wrangler";

// `server`: compliance mode as the protocol suites meet it (pingInterval 300 ms,
// pingTimeout 200 ms). `lenient`: the same pingInterval with a 2 s pingTimeout,
// for the heartbeat tests: a pong from a busy machine is not late there, and
// the ping timeout still closes what never answers.
let server: WranglerServer;
let lenient: WranglerServer;
let base: string;

/** pingInterval + pingTimeout of the lenient server */
const LENIENT_GIVE_UP_MS = 300 + 2000;

beforeAll(async () => {
  // a short connect timeout for the test that waits for it (compliance mode keeps Socket.IO's 45 s)
  [server, lenient] = await Promise.all([
    startWrangler({ env: "compliance", vars: { CONNECT_TIMEOUT_MS: "1000" } }),
    startWrangler({ env: "compliance", vars: { PING_TIMEOUT_MS: "2000" } }),
  ]);
  base = server.baseUrl;
}, 180_000);

afterAll(async () => {
  await Promise.all([server?.stop(), lenient?.stop()]);
});

const EIO = (path: string, q = "") => `${path}?EIO=4&transport=polling${q}`;

async function pollingSession(path = "/engine.io/") {
  const res = await request(base, EIO(path));
  expect(res.status).toBe(200);
  return JSON.parse(res.body.slice(1)).sid as string;
}
const get = (sid: string, path = "/engine.io/") => request(base, EIO(path, `&sid=${sid}`));
const post = (sid: string, body: string, path = "/engine.io/") => request(base, EIO(path, `&sid=${sid}`), { method: "POST", body });

async function wsSession(path = "/engine.io/", sid?: string) {
  const s = new RawSocket(wsUrl(base, `${path}?EIO=4&transport=websocket${sid ? `&sid=${sid}` : ""}`));
  await within(s.opened, 5000, "the WebSocket to open");
  return s;
}

describe("Engine.IO v4 (/engine.io/ echo server)", () => {
  it("polling handshake: exactly sid, upgrades, pingInterval, pingTimeout, maxPayload", async () => {
    const res = await request(base, EIO("/engine.io/"));
    expect(res.status).toBe(200);
    expect(res.body[0]).toBe("0");
    const open = JSON.parse(res.body.slice(1));
    expect(Object.keys(open)).toEqual(["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"]);
    expect(open).toMatchObject({ upgrades: ["websocket"], pingInterval: 300, pingTimeout: 200, maxPayload: 1_000_000 });
    expect(typeof open.sid).toBe("string");
  });

  it("WebSocket handshake offers no upgrades", async () => {
    const s = await wsSession();
    const open = JSON.parse(String(await s.next()).slice(1));
    expect(Object.keys(open)).toEqual(["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"]);
    expect(open.upgrades).toEqual([]);
    s.close();
  });

  it("answers 400 to a bad EIO, transport, method or sid", async () => {
    for (const q of ["/engine.io/?transport=polling", "/engine.io/?EIO=abc&transport=polling", "/engine.io/?EIO=3&transport=polling", "/engine.io/?EIO=4", "/engine.io/?EIO=4&transport=abc"]) {
      expect((await request(base, q)).status, q).toBe(400);
    }
    expect((await request(base, EIO("/engine.io/"), { method: "POST", body: "4x" })).status).toBe(400);
    expect((await request(base, EIO("/engine.io/"), { method: "PUT", body: "4x" })).status).toBe(400);
    expect((await get("doesnotexist123")).status).toBe(400);
    const bad = new RawSocket(wsUrl(base, "/engine.io/?EIO=abc&transport=websocket"));
    await bad.waitClosed();
  });

  it("echoes text and binary packets over polling, batched with \\x1e", async () => {
    const sid = await pollingSession();
    const payload = "4hello\x1e4\u00e9t\u00e9 \u{1F600}\x1ebAQIDBA==";
    const pushed = await post(sid, payload);
    expect(pushed).toEqual({ status: 200, body: "ok" });
    const polled = await get(sid);
    expect(polled.status).toBe(200);
    expect(polled.body).toBe(payload);
  });

  it("echoes text and binary frames over WebSocket", async () => {
    const s = await wsSession();
    await s.next(); // open
    s.send("4hello");
    expect(await s.nextNonPing()).toBe("4hello");
    s.send(Uint8Array.from([1, 2, 3, 4]));
    const bin = await s.nextNonPing();
    expect([...new Uint8Array(bin as ArrayBuffer)]).toEqual([1, 2, 3, 4]);
    s.close();
  });

  it("closes the session on a malformed packet (polling and WebSocket)", async () => {
    const sid = await pollingSession();
    expect((await post(sid, "abc")).status).toBe(400);
    expect((await get(sid)).status).toBe(400);
    const s = await wsSession();
    await s.next();
    s.send("abc");
    await s.waitClosed();
  });

  it("closes the session on overlapping GETs: the one held gets a close packet", async () => {
    const sid = await pollingSession();
    // whichever reaches the server first is held, the other is refused
    const answers = await Promise.all([get(sid), get(sid)]);
    expect(answers).toContainEqual({ status: 200, body: "1" });
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    expect((await get(sid)).status).toBe(400);
  });

  describe("heartbeat (lenient server: 2 s pingTimeout)", () => {
    beforeAll(() => {
      base = lenient.baseUrl;
    });
    afterAll(() => {
      base = server.baseUrl;
    });

    it("heartbeat over polling: the server pings, the client pongs", async () => {
      const sid = await pollingSession();
      for (let i = 0; i < 3; i++) {
        const ping = await get(sid);
        expect(ping).toEqual({ status: 200, body: "2" });
        expect(await post(sid, "3")).toEqual({ status: 200, body: "ok" });
      }
    });

    it("closes a polling session that does not answer the ping", async () => {
      const sid = await pollingSession();
      expect(await get(sid)).toEqual({ status: 200, body: "2" });
      // never answered: the next GET is held until pingTimeout closes the session, and is refused then
      expect((await within(get(sid), LENIENT_GIVE_UP_MS + 5000, "the ping timeout")).status).toBe(400);
      expect((await get(sid)).status).toBe(400);
    });

    it("heartbeat over WebSocket, and close on ping timeout", async () => {
      const s = await wsSession();
      await s.next();
      for (let i = 0; i < 3; i++) {
        expect(await s.next(3000)).toBe("2");
        s.send("3");
      }
      // stop answering: closed once the next ping (pingInterval after the pong) goes unanswered for pingTimeout
      const stopped = Date.now();
      await s.waitClosed(LENIENT_GIVE_UP_MS + 5000);
      expect(Date.now() - stopped).toBeGreaterThanOrEqual(2000);
    });
  });

  it("a client close packet ends the session and completes the pending GET with a noop", async () => {
    const sid = await pollingSession();
    // the GET gets its noop whether it reaches the server before the close packet or just after it
    const pending = get(sid);
    expect(await post(sid, "1")).toEqual({ status: 200, body: "ok" });
    expect(await pending).toEqual({ status: 200, body: "6" });
    expect((await get(sid)).status).toBe(400);
    const s = await wsSession();
    await s.next();
    s.send("1");
    await s.waitClosed();
  });

  it("upgrades polling to WebSocket: probe, noop to polling, then WebSocket only", async () => {
    const sid = await pollingSession();
    // held or not yet arrived when the probe opens, the GET gets a noop once the probe is answered
    const pending = get(sid);
    const s = await wsSession("/engine.io/", sid);
    s.send("2probe");
    expect(await s.next()).toBe("3probe");
    expect(await pending).toEqual({ status: 200, body: "6" });
    expect(await get(sid)).toEqual({ status: 200, body: "6" }); // during the upgrade
    s.send("5");
    s.send("4after upgrade");
    expect(await s.nextNonPing()).toBe("4after upgrade");
    expect((await get(sid)).status).toBe(400);
    const second = new RawSocket(wsUrl(base, `/engine.io/?EIO=4&transport=websocket&sid=${sid}`));
    await second.waitClosed();
    s.send("4still here");
    expect(await s.nextNonPing()).toBe("4still here");
    s.close();
  });
});

describe("Socket.IO v5 (/socket.io/ test server)", () => {
  async function connected(connect = "40") {
    const s = await wsSession("/socket.io/");
    await s.next(); // Engine.IO open
    s.send(connect);
    const answer = String(await s.nextNonPing());
    return { s, answer };
  }

  it("CONNECT to / answers {sid} only, then emits auth with the payload", async () => {
    const { s, answer } = await connected();
    expect(answer.startsWith("40{")).toBe(true);
    expect(Object.keys(JSON.parse(answer.slice(2)))).toEqual(["sid"]);
    expect(await s.nextNonPing()).toBe('42["auth",{}]');
    s.close();
    const withAuth = await connected('40{"token":"123"}');
    expect(await withAuth.s.nextNonPing()).toBe('42["auth",{"token":"123"}]');
    withAuth.s.close();
  });

  it("connects to /custom (with or without the trailing comma) and refuses unknown namespaces", async () => {
    const a = await connected("40/custom,");
    expect(a.answer.startsWith("40/custom,{")).toBe(true);
    expect(await a.s.nextNonPing()).toBe('42/custom,["auth",{}]');
    a.s.close();
    const b = await connected('40/custom{"x":1}'.replace("{", ",{"));
    expect(await b.s.nextNonPing()).toBe('42/custom,["auth",{"x":1}]');
    b.s.close();
    const c = await connected("40/custom");
    expect(c.answer.startsWith("40/custom,{")).toBe(true);
    c.s.close();
    const d = await connected("40/random");
    expect(d.answer).toBe('44/random,{"message":"Invalid namespace"}');
    d.s.close();
  });

  it("events, binary events and acknowledgements round-trip", async () => {
    const { s } = await connected();
    await s.nextNonPing(); // auth
    s.send('42["message",1,"2",{"3":[true]}]');
    expect(await s.nextNonPing()).toBe('42["message-back",1,"2",{"3":[true]}]');
    s.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    expect(await s.nextNonPing()).toBe('43456[1,"2",{"3":[false]}]');
    s.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    s.send(Uint8Array.from([1, 2, 3]));
    s.send(Uint8Array.from([4, 5, 6]));
    expect(await s.nextNonPing()).toBe('452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    expect([...new Uint8Array((await s.nextNonPing()) as ArrayBuffer)]).toEqual([1, 2, 3]);
    expect([...new Uint8Array((await s.nextNonPing()) as ArrayBuffer)]).toEqual([4, 5, 6]);
    s.send('451-789["message-with-ack",{"_placeholder":true,"num":0}]');
    s.send(Uint8Array.from([7, 8]));
    expect(await s.nextNonPing()).toBe('461-789[{"_placeholder":true,"num":0}]');
    expect([...new Uint8Array((await s.nextNonPing()) as ArrayBuffer)]).toEqual([7, 8]);
    s.close();
  });

  it("DISCONNECT from a namespace keeps the Engine.IO connection open", async () => {
    const { s } = await connected();
    await s.nextNonPing();
    s.send("40/custom,");
    await s.nextNonPing(); // CONNECT /custom
    await s.nextNonPing(); // auth /custom
    s.send("41/custom,");
    s.send('42["message","to main"]');
    expect(await s.nextNonPing()).toBe('42["message-back","to main"]');
    s.send("41");
    expect(await s.next(2000)).toBe("2"); // still alive: the server keeps pinging
    s.close();
  });

  it("closes the connection on malformed Socket.IO packets", async () => {
    for (const bad of ["4abc", "48", '42{"not":"an array"}', "42[]", '42abc["message-with-ack",1]', "43[1]"]) {
      const { s } = await connected();
      await s.nextNonPing();
      s.send(bad);
      await s.waitClosed(2000);
    }
    // a first packet that is not CONNECT
    const s = await wsSession("/socket.io/");
    await s.next();
    s.send('42["message","too early"]');
    await s.waitClosed(2000);
  });

  it("closes a connection that never sends CONNECT within connectTimeout", async () => {
    const s = await wsSession("/socket.io/");
    await s.next();
    // keep answering pings so only the connect timeout can end it
    const closed = s.waitClosed(3000);
    const pong = (async () => {
      while (!s.isClosed) {
        const f = await s.next(3000).catch(() => null);
        if (f === "2") s.send("3");
      }
    })();
    await closed;
    await pong;
  });

  it("works with the stock socket.io-client (polling first, then WebSocket)", async () => {
    const socket: Socket = io(base, { auth: { token: "abc" }, reconnection: false, timeout: 5000 });
    try {
      const auth = await within(new Promise((r) => socket.once("auth", r)), 5000, "auth");
      expect(auth).toEqual({ token: "abc" });
      const back = within(new Promise((r) => socket.once("message-back", (...a) => r(a))), 5000, "message-back");
      socket.emit("message", "hi", { n: 1 });
      expect(await back).toEqual(["hi", { n: 1 }]);
      const acked = await socket.timeout(5000).emitWithAck("message-with-ack", "x", 2);
      expect(acked).toBe("x");
      await within(new Promise<void>((r) => (socket.io.engine.transport.name === "websocket" ? r() : socket.io.engine.once("upgrade", () => r()))), 5000, "upgrade");
      const custom = io(`${base}/custom`, { reconnection: false, transports: ["websocket"] });
      expect(await within(new Promise((r) => custom.once("auth", r)), 5000, "auth on /custom")).toEqual({});
      custom.close();
    } finally {
      socket.close();
    }
  });
});

/**
 * Compliance mode (`wrangler dev --env compliance`): transport edge cases
 * that running the official Engine.IO v4 / Socket.IO v5 protocol suites
 * against `npm run dev:compliance` brought up, written from the Engine.IO
 * protocol document:
 *
 * - a client that opens a WebSocket and never sends a frame must still see
 *   the connection end when the heartbeat (or Socket.IO's connect timeout)
 *   gives up on it;
 * - a WebSocket opened with the sid of a session that is already upgraded
 *   (or upgrading) completes its opening handshake and is then closed, while
 *   the session carries on;
 * - a polling request sent after `2probe` and `5` (without waiting for
 *   `3probe`) is answered as a request to an upgraded session (400), even
 *   when it reaches the server before the WebSocket frames do;
 * - a GET sent together with the client's close packet gets its noop even
 *   when it reaches the server after the close;
 * - pingTimeout counts from when the ping actually leaves the server (with
 *   the GET that picks it up, when the client was not polling).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawSocket, request, sleep, within, wsUrl } from "./raw";
import { startWrangler, type WranglerServer } from "./wrangler";

// `fast`: compliance mode's pingInterval (300 ms) with a 2 s pingTimeout, for
// the timeout cases: they still run in a few seconds, and a request slowed by
// a busy machine does not decide them; `steady`: the same server with a long heartbeat, so
// the upgrade cases do not race the pings (a client cannot answer a ping
// while its upgrade is half done), and a 1 s connect timeout.
let fast: WranglerServer;
let steady: WranglerServer;
let base: string;

beforeAll(async () => {
  [fast, steady] = await Promise.all([
    startWrangler({ env: "compliance", vars: { PING_TIMEOUT_MS: String(PING_TIMEOUT_MS) } }),
    startWrangler({ env: "compliance", vars: { PING_INTERVAL_MS: "20000", PING_TIMEOUT_MS: "20000", CONNECT_TIMEOUT_MS: "1000" } }),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([fast?.stop(), steady?.stop()]);
});

/** the `fast` server's heartbeat */
const PING_INTERVAL_MS = 300;
const PING_TIMEOUT_MS = 2000;
/** pingInterval + pingTimeout: when a session whose ping nobody picked up is given up */
const GIVE_UP_MS = PING_INTERVAL_MS + PING_TIMEOUT_MS;

const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now()));

async function pollingSid(path: string) {
  const res = await request(base, `${path}?EIO=4&transport=polling`);
  expect(res.status).toBe(200);
  return JSON.parse(res.body.slice(1)).sid as string;
}

async function openSocket(path: string, sid?: string) {
  const s = new RawSocket(wsUrl(base, `${path}?EIO=4&transport=websocket${sid ? `&sid=${sid}` : ""}`));
  await within(s.opened, 5000, "the WebSocket to open");
  return s;
}

describe("a WebSocket client that never sends anything", () => {
  beforeAll(() => {
    base = fast.baseUrl;
  });

  for (const path of ["/engine.io/", "/socket.io/"]) {
    it(`sees the connection end once the server gives up on it (${path})`, async () => {
      const started = Date.now();
      const s = await openSocket(path);
      const open = String(await s.next());
      expect(open.startsWith("0{")).toBe(true);
      expect(await s.next(2000)).toBe("2"); // the ping, never answered
      // The close must reach the client as the end of the connection, well
      // before the runtime would drop an idle object (~10 s).
      const { code } = await s.waitClosed(GIVE_UP_MS + 4000);
      expect(code).toBe(1000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(GIVE_UP_MS);
    });
  }

});

describe("heartbeat over polling", () => {
  beforeAll(() => {
    base = fast.baseUrl;
  });

  it("a ping picked up late by a GET gives the client pingTimeout from then to answer", async () => {
    // The timing is what is under test. Each wait is measured from a moment
    // the server's own clock cannot precede: the handshake happened before its
    // answer arrived, the ping left no earlier than the GET was sent.
    const sid = await pollingSid("/engine.io/");
    const opened = Date.now();
    const poll = () => request(base, `/engine.io/?EIO=4&transport=polling&sid=${sid}`);
    // the ping (due pingInterval after the handshake) waits in the session for a GET; this one has
    // pingTimeout - 700 ms left to reach the server before the session is given up
    await sleepUntil(opened + PING_INTERVAL_MS + 700);
    const polled = Date.now();
    expect(await poll()).toEqual({ status: 200, body: "2" });
    // past pingInterval + pingTimeout since the handshake, but not pingTimeout (+ transit) since the ping left
    await sleepUntil(opened + GIVE_UP_MS + 10);
    expect(Date.now()).toBeLessThan(polled + PING_TIMEOUT_MS - 300); // else this run was too slow to show it
    expect(await request(base, `/engine.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "3" })).toEqual({ status: 200, body: "ok" });
    // and the session carries on: the next ping comes
    expect(await poll()).toEqual({ status: 200, body: "2" });
  });
});

describe("a Socket.IO client that never sends CONNECT", () => {
  beforeAll(() => {
    base = steady.baseUrl;
  });

  it("is closed by the connect timeout, and sees its connection end", async () => {
    const started = Date.now();
    const s = await openSocket("/socket.io/");
    await s.next(); // open; no ping comes within the test (pingInterval 20 s)
    expect((await s.waitClosed(4000)).code).toBe(1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("the connect timeout also ends a polling session that never sends CONNECT", async () => {
    const sid = await pollingSid("/socket.io/");
    const pending = request(base, `/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    expect(await within(pending, 4000, "the pending GET")).toEqual({ status: 200, body: "1" });
    expect((await request(base, `/socket.io/?EIO=4&transport=polling&sid=${sid}`)).status).toBe(400);
  });
});

describe("compliance mode keeps Socket.IO's connect timeout", () => {
  beforeAll(() => {
    base = fast.baseUrl;
  });

  it("a polling session kept alive by ping/pong for longer than a second without CONNECT stays open", async () => {
    const sid = await pollingSid("/socket.io/");
    const poll = () => request(base, `/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    for (let i = 0; i < 5; i++) {
      expect(await poll(), `ping ${i + 1}`).toEqual({ status: 200, body: "2" });
      expect(await request(base, `/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "3" })).toEqual({ status: 200, body: "ok" });
    }
    // still open: CONNECT works
    expect(await request(base, `/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "40" })).toEqual({ status: 200, body: "ok" });
    const answer = await poll();
    expect(answer.body.startsWith("40{")).toBe(true);
  });
});

describe("a WebSocket for a session that is already upgraded", () => {
  beforeAll(() => {
    base = steady.baseUrl;
  });

  it("is accepted, then closed, and the upgraded session carries on", async () => {
    const sid = await pollingSid("/engine.io/");
    const s = await openSocket("/engine.io/", sid);
    s.send("2probe");
    expect(await s.next()).toBe("3probe");
    s.send("5");
    s.send("4upgraded");
    expect(await s.nextNonPing()).toBe("4upgraded");

    const second = new RawSocket(wsUrl(base, `/engine.io/?EIO=4&transport=websocket&sid=${sid}`));
    // the opening handshake succeeds (a refusal with an HTTP status would reject `opened`)
    await within(second.opened, 5000, "the second WebSocket to open");
    await second.waitClosed(3000);

    s.send("4still here");
    expect(await s.nextNonPing()).toBe("4still here");
    s.close();
  });

  it("a WebSocket arriving while another one is probing is also accepted then closed", async () => {
    const sid = await pollingSid("/socket.io/");
    const probe = await openSocket("/socket.io/", sid);
    probe.send("2probe");
    expect(await probe.next()).toBe("3probe");
    const other = new RawSocket(wsUrl(base, `/socket.io/?EIO=4&transport=websocket&sid=${sid}`));
    await within(other.opened, 5000, "the second WebSocket to open");
    await other.waitClosed(3000);
    // the probing socket can still finish the upgrade
    probe.send("5");
    probe.send("40");
    expect(String(await probe.nextNonPing()).startsWith("40{")).toBe(true);
    probe.close();
  });
});

describe("polling requests racing an upgrade", () => {
  beforeAll(() => {
    base = steady.baseUrl;
  });

  it("a GET sent after 2probe and 5 gets the 400 of an upgraded session, every time", async () => {
    // The WebSocket frames and the GET travel on different connections; run
    // the race several times so an unordered arrival would show up.
    for (let i = 0; i < 12; i++) {
      const sid = await pollingSid("/engine.io/");
      const s = await openSocket("/engine.io/", sid);
      s.send("2probe");
      s.send("5");
      const res = await request(base, `/engine.io/?EIO=4&transport=polling&sid=${sid}`);
      expect(res.status, `attempt ${i + 1}`).toBe(400);
      expect(await s.next(), `attempt ${i + 1}`).toBe("3probe");
      s.send("4after");
      expect(await s.nextNonPing(), `attempt ${i + 1}`).toBe("4after");
      s.close();
    }
  });

  it("a GET during the probe (before 5) is still answered with a noop", async () => {
    const sid = await pollingSid("/engine.io/");
    const s = await openSocket("/engine.io/", sid);
    s.send("2probe");
    expect(await s.next()).toBe("3probe");
    expect(await request(base, `/engine.io/?EIO=4&transport=polling&sid=${sid}`)).toEqual({ status: 200, body: "6" });
    s.send("5");
    s.send("4done");
    expect(await s.nextNonPing()).toBe("4done");
    s.close();
  });
});

describe("polling requests racing the client's close", () => {
  beforeAll(() => {
    base = steady.baseUrl;
  });

  it("a GET arriving just after the close packet still gets the noop; later ones get 400", async () => {
    const sid = await pollingSid("/engine.io/");
    const poll = () => request(base, `/engine.io/?EIO=4&transport=polling&sid=${sid}`);
    // the close is handled first (as when the GET sent with it is overtaken)
    expect(await request(base, `/engine.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "1" })).toEqual({ status: 200, body: "ok" });
    expect(await poll()).toEqual({ status: 200, body: "6" });
    expect((await poll()).status).toBe(400);
    expect((await request(base, `/engine.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "4x" })).status).toBe(400);
  });

  it("a session closed for another reason gets no such grace", async () => {
    const sid = await pollingSid("/engine.io/");
    const res = await request(base, `/engine.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "abc" });
    expect(res.status).toBe(400);
    expect((await request(base, `/engine.io/?EIO=4&transport=polling&sid=${sid}`)).status).toBe(400);
  });
});

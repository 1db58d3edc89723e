/**
 * Engine.IO sessions in the EngineSession Durable Object, through the real
 * Worker entry: handshake and its 400s, long-polling rules, WebSocket, the
 * upgrade, heartbeats driven by the object's alarm, hibernation, and the
 * payload limit. The bare echo behaviour (compliance /engine.io/) is reached
 * by addressing the object directly with `x-eio-kind: engine`.
 */
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { makeUser } from "./helpers";
import { PONG_TRANSIT_MS } from "../../src/objects/engine-session";
import { eio, engineStub, hubStub, poll, pollingHandshake, push, waitFor, within, WsClient, wsHandshake } from "./realtime-helpers";

const PING_INTERVAL = 25_000;
const PING_TIMEOUT = 20_000;
const MAX_PAYLOAD = 1_000_000;

afterEach(() => {
  vi.useRealTimers();
});

/** Moves the clock the session objects see (only `Date`; alarms are run by hand). */
function advance(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ms);
}

/** An Engine.IO echo session (what /engine.io/ serves in compliance mode), addressed directly. */
async function echoSession(): Promise<string> {
  const sid = `echo${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const res = await engineStub(sid).fetch(
    new Request("http://example.com/engine.io/?EIO=4&transport=polling", { headers: { "x-eio-handshake-sid": sid, "x-eio-kind": "engine" } }),
  );
  expect(res.status).toBe(200);
  await res.text();
  return sid;
}
const echoFetch = (sid: string, init: RequestInit = {}) =>
  engineStub(sid).fetch(new Request(`http://example.com/engine.io/?EIO=4&transport=polling&sid=${sid}`, { ...init, headers: { "x-eio-kind": "engine" } }));

describe("handshake", () => {
  it("polling: the open packet carries the configured values and upgrades to websocket", async () => {
    const { open, raw } = await pollingHandshake();
    expect(Object.keys(open)).toEqual(["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"]);
    expect(open).toMatchObject({ upgrades: ["websocket"], pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT, maxPayload: MAX_PAYLOAD });
    expect(raw).toBe(`0${JSON.stringify(open)}`);
    const stub = engineStub(open.sid);
    expect(await stub.inspect()).toMatchObject({ open: true, transport: "polling", namespaces: [], heartbeat: { phase: "ping" } });
  });

  it("websocket: the first frame is the open packet without upgrades", async () => {
    const { client, open } = await wsHandshake();
    expect(open.upgrades).toEqual([]);
    expect((await engineStub(open.sid).inspect()).transport).toBe("websocket");
    client.close();
  });

  it("answers 400 with the reference error bodies", async () => {
    const cases: [string, RequestInit, number][] = [
      ["transport=polling", {}, 5],
      ["EIO=3&transport=polling", {}, 5],
      ["EIO=abc&transport=polling", {}, 5],
      ["EIO=4", {}, 0],
      ["EIO=4&transport=flash", {}, 0],
      ["EIO=4&transport=websocket", {}, 3], // not an upgrade request
      ["EIO=4&transport=polling", { method: "POST", body: "4x" }, 2],
      ["EIO=4&transport=polling", { method: "PUT", body: "4x" }, 2],
      ["EIO=4&transport=polling&sid=unknownsession0000000", {}, 1],
      ["EIO=4&transport=polling&sid=bad/sid", {}, 1],
    ];
    for (const [q, init, code] of cases) {
      const res = await eio(q, init as any);
      expect(res.status, q).toBe(400);
      expect(JSON.parse(res.body), q).toMatchObject({ code });
    }
    const ws = await eio("EIO=4&transport=websocket&sid=unknownsession0000000", { headers: { upgrade: "websocket" } });
    expect(ws.status).toBe(400);
  });

  it("answers CORS preflights and reflects the origin", async () => {
    const pre = await eio("EIO=4&transport=polling", { method: "OPTIONS", headers: { origin: "http://app.example", "access-control-request-headers": "content-type" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("http://app.example");
    const res = await eio("EIO=4&transport=polling", { headers: { origin: "http://app.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
  });
});

describe("long-polling", () => {
  it("echo: POST answers ok, the next GET carries the packets batched with \\x1e", async () => {
    const sid = await echoSession();
    const pushed = await echoFetch(sid, { method: "POST", body: "4hello\x1e4world\x1ebAQIDBA==" });
    expect(pushed.status).toBe(200);
    expect(await pushed.text()).toBe("ok");
    const got = await echoFetch(sid);
    expect(got.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
    expect(await got.text()).toBe("4hello\x1e4world\x1ebAQIDBA==");
  });

  it("a GET with nothing to send waits until there is something", async () => {
    const sid = await echoSession();
    let done = false;
    const pending = echoFetch(sid).then(async (r) => ((done = true), r.text()));
    await waitFor(async () => (await engineStub(sid).inspect()).pendingGet, "the GET to be held");
    expect(done).toBe(false);
    await (await echoFetch(sid, { method: "POST", body: "4late" })).text();
    expect(await within(pending, 3000, "the pending GET")).toBe("4late");
  });

  it("a second concurrent GET is refused and closes the session; the first gets a close packet", async () => {
    const { sid } = await pollingHandshake();
    const first = poll(sid);
    await waitFor(async () => (await engineStub(sid).inspect()).pendingGet, "the GET to be held");
    const second = await poll(sid);
    expect(second.status).toBe(400);
    expect(await within(first, 3000, "first GET")).toMatchObject({ status: 200, body: "1" });
    expect((await poll(sid)).status).toBe(400);
    expect((await engineStub(sid).inspect()).open).toBe(false);
  });

  it("a second POST while one is in flight is refused and closes the session", async () => {
    const { sid } = await pollingHandshake();
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    void writer.write(new TextEncoder().encode("4par"));
    const slow = eio(`EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: readable as any, headers: { "content-type": "text/plain" } } as any);
    await waitFor(async () => (await engineStub(sid).inspect()).postInFlight, "the first POST to be in flight");
    const second = await push(sid, "4other");
    expect(second.status).toBe(400);
    await writer.close();
    expect((await slow).status).toBeGreaterThanOrEqual(400);
    expect((await poll(sid)).status).toBe(400);
  });

  it("a close packet completes the pending GET with a noop and ends the session", async () => {
    const { sid } = await pollingHandshake();
    const pending = poll(sid);
    await waitFor(async () => (await engineStub(sid).inspect()).pendingGet, "the GET to be held");
    expect((await push(sid, "1")).body).toBe("ok");
    expect(await within(pending, 3000, "pending GET")).toMatchObject({ status: 200, body: "6" });
    expect((await poll(sid)).status).toBe(400);
    expect((await push(sid, "4x")).status).toBe(400);
  });

  it("a malformed payload is a 400 and closes the session", async () => {
    const { sid } = await pollingHandshake();
    expect((await push(sid, "abc")).status).toBe(400);
    expect((await poll(sid)).status).toBe(400);
    const other = await pollingHandshake();
    expect((await push(other.sid, "4fine\x1ezzz")).status).toBe(400);
    expect((await poll(other.sid)).status).toBe(400);
  });

  it("a payload over maxPayload is a 413 and closes the session; others are untouched", async () => {
    const { sid } = await pollingHandshake();
    const bystander = await echoSession();
    const big = `4${"x".repeat(MAX_PAYLOAD)}`;
    const res = await push(sid, big);
    expect(res.status).toBe(413);
    expect((await poll(sid)).status).toBe(400);
    await (await echoFetch(bystander, { method: "POST", body: "4still fine" })).text();
    expect(await (await echoFetch(bystander)).text()).toBe("4still fine");
  });
});

describe("websocket", () => {
  it("echo over WebSocket; a malformed frame closes only that connection", async () => {
    const a = await wsHandshake();
    const b = await wsHandshake();
    a.client.send("4abc"); // a Socket.IO-level error on a Socket.IO session...
    await a.client.waitClosed();
    b.client.send("x"); // ...and an Engine.IO-level one
    const closed = await b.client.waitClosed();
    expect(closed.code).toBe(1002);
    const c = await wsHandshake();
    c.client.send("2");
    expect(await c.client.nextText()).toBe("3");
    c.client.close();
  });

  it("a frame over maxPayload closes the connection with 1009", async () => {
    const { client, sid } = await wsHandshake();
    client.send(`4${"y".repeat(MAX_PAYLOAD)}`);
    expect((await client.waitClosed(5000)).code).toBe(1009);
    expect((await engineStub(sid).inspect()).open).toBe(false);
  });

  it("a client close packet ends the session", async () => {
    const { client, sid } = await wsHandshake();
    client.send("1");
    await client.waitClosed();
    expect((await engineStub(sid).inspect()).open).toBe(false);
  });
});

describe("upgrade from polling to WebSocket", () => {
  it("probe, noop to the pending GET, switch, then polling is refused and a second WebSocket too", async () => {
    const u = await makeUser();
    const { sid } = await pollingHandshake();
    await push(sid, `40${JSON.stringify({ token: u.token })}`);
    const first = await poll(sid);
    // the CONNECT answer ends its response; the connect-time events come with the next GET
    expect(first.body).toMatch(/^40\{"sid":[^\x1e]*$/);
    expect((await poll(sid)).body).toContain('42["connection"');
    const pending = poll(sid);
    await waitFor(async () => (await engineStub(sid).inspect()).pendingGet, "the GET to be held");
    const probe = await WsClient.open(`EIO=4&transport=websocket&sid=${sid}`);
    probe.send("2probe");
    expect(await probe.nextText()).toBe("3probe");
    expect(await within(pending, 3000, "pending GET")).toMatchObject({ status: 200, body: "6" });
    expect((await poll(sid)).body).toBe("6"); // GETs during the upgrade get noops
    probe.send("5");
    probe.send('4231["echo","over ws"]');
    expect(await probe.nextText()).toBe('4331["over ws"]');
    expect((await poll(sid)).status).toBe(400);
    expect((await push(sid, "4x")).status).toBe(400);
    // a second WebSocket is accepted, then closed at once (like the reference server)
    const again = await WsClient.open(`EIO=4&transport=websocket&sid=${sid}`);
    expect((await again.waitClosed()).code).toBe(1000);
    expect((await engineStub(sid).inspect()).transport).toBe("websocket");
    probe.close();
  });

  it("packets emitted during the upgrade are delivered over the WebSocket after it", async () => {
    const sid = await echoSession();
    const probe = await WsClient.open(`EIO=4&transport=websocket&sid=${sid}`, "/engine.io/").catch(() => null);
    // the gateway does not route /engine.io/ outside compliance mode: open the probe on the object itself
    expect(probe).toBeNull();
    const res = await engineStub(sid).fetch(
      new Request(`http://example.com/engine.io/?EIO=4&transport=websocket&sid=${sid}`, { headers: { upgrade: "websocket", "x-eio-kind": "engine" } }),
    );
    const ws = new WsClient(res.webSocket!);
    ws.send("2probe");
    expect(await ws.nextText()).toBe("3probe");
    await (await echoFetch(sid, { method: "POST", body: "4during" })).text();
    ws.send("5");
    expect(await ws.nextText()).toBe("4during");
    ws.close();
  });

  it("an abandoned probe leaves polling working", async () => {
    const sid = await echoSession();
    const res = await engineStub(sid).fetch(
      new Request(`http://example.com/engine.io/?EIO=4&transport=websocket&sid=${sid}`, { headers: { upgrade: "websocket", "x-eio-kind": "engine" } }),
    );
    const ws = new WsClient(res.webSocket!);
    ws.send("2probe");
    await ws.nextText();
    ws.send("4not an upgrade"); // invalid during the probe: the probe is dropped
    await ws.waitClosed();
    await (await echoFetch(sid, { method: "POST", body: "4polling again" })).text();
    expect(await (await echoFetch(sid)).text()).toBe("4polling again");
  });
});

describe("heartbeat on the object's alarm", () => {
  it("polling: ping completes the pending GET; pong re-arms; no pong closes the session", async () => {
    const sid = await echoSession(); // no Socket.IO connect timeout on a bare Engine.IO session
    const stub = engineStub(sid);
    const poll = (s: string) => echoFetch(s).then(async (r) => ({ status: r.status, body: await r.text() }));
    const push = (s: string, body: string) => echoFetch(s, { method: "POST", body }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const scheduled = (await stub.inspect()).alarm!;
    expect(scheduled).toBeGreaterThan(Date.now() + PING_INTERVAL - 5000);

    const pending = poll(sid);
    await waitFor(async () => (await engineStub(sid).inspect()).pendingGet, "the GET to be held");
    advance(PING_INTERVAL + 1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await within(pending, 3000, "ping")).toMatchObject({ status: 200, body: "2" });
    expect((await stub.inspect()).heartbeat).toMatchObject({ phase: "pong" });

    expect((await push(sid, "3")).body).toBe("ok");
    const hb = (await stub.inspect()).heartbeat!;
    expect(hb.phase).toBe("ping");
    expect(hb.at).toBeGreaterThanOrEqual(Date.now() + PING_INTERVAL - 1000);

    advance(PING_INTERVAL + 1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await poll(sid)).body).toBe("2");
    const waiting = poll(sid); // the client polls but never answers the ping
    await waitFor(async () => (await engineStub(sid).inspect()).pendingGet, "the GET to be held");
    advance(PING_TIMEOUT + PONG_TRANSIT_MS + 1); // the ping left with the GET above: its timeout started then
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.inspect()).open).toBe(false);
    expect((await within(waiting, 3000, "the pending GET")).status).toBe(400);
    expect((await poll(sid)).status).toBe(400);
  });

  it("a late client sees a timed-out session as gone even before the alarm ran", async () => {
    const { sid } = await pollingHandshake();
    const stub = engineStub(sid);
    advance(PING_INTERVAL + 1);
    await runDurableObjectAlarm(stub);
    advance(PING_TIMEOUT + 1);
    expect((await push(sid, "3")).status).toBe(400);
  });

  it("websocket: pings survive hibernation, the pong is recorded, silence closes", async () => {
    const u = await makeUser();
    const { client, sid } = await wsHandshake();
    client.send(`40${JSON.stringify({ token: u.token })}`);
    expect(await client.nextText()).toMatch(/^40\{"sid"/);
    const stub = engineStub(sid);
    await evictDurableObject(stub, { webSockets: "hibernate" });
    advance(PING_INTERVAL + 1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await client.until((f) => f === "2")).toBe("2");
    client.send("3");
    await waitFor(async () => (await stub.inspect()).heartbeat?.phase === "ping", "the pong to be recorded");
    await evictDurableObject(stub, { webSockets: "hibernate" });
    expect((await stub.inspect()).heartbeat).toMatchObject({ phase: "ping" });
    advance(PING_INTERVAL + 1);
    await runDurableObjectAlarm(stub);
    expect(await client.nextText()).toBe("2");
    // the Socket.IO namespace survived both evictions
    client.send('4277["echo","still here"]');
    expect(await client.until((f) => typeof f === "string" && f.startsWith("43"))).toBe('4377["still here"]');
    advance(PING_TIMEOUT + PONG_TRANSIT_MS + 1);
    await runDurableObjectAlarm(stub);
    await client.waitClosed();
    expect((await stub.inspect()).open).toBe(false);
  });

  it("a WebSocket lost with its object (restart) is noticed by the alarm: session closed, user detached", async () => {
    const u = await makeUser();
    const { client, sid } = await wsHandshake();
    client.send(`40${JSON.stringify({ token: u.token })}`);
    expect(await client.nextText()).toMatch(/^40\{"sid"/);
    expect(await hubStub(u._id).sessions()).toHaveLength(1);
    const stub = engineStub(sid);
    await evictDurableObject(stub, { webSockets: "close" });
    await client.waitClosed();
    await runDurableObjectAlarm(stub);
    expect((await stub.inspect()).open).toBe(false);
    await waitFor(async () => (await hubStub(u._id).sessions()).length === 0, "the hub to forget the session");
  });

  it("an upgrade probe that never completes is dropped after the upgrade timeout", async () => {
    const sid = await echoSession();
    const res = await engineStub(sid).fetch(
      new Request(`http://example.com/engine.io/?EIO=4&transport=websocket&sid=${sid}`, { headers: { upgrade: "websocket", "x-eio-kind": "engine" } }),
    );
    const probe = new WsClient(res.webSocket!);
    probe.send("2probe");
    expect(await probe.nextText()).toBe("3probe");
    expect(await (await echoFetch(sid)).text()).toBe("6");
    advance(10_001);
    await runDurableObjectAlarm(engineStub(sid));
    await probe.waitClosed();
    // polling carries on
    await (await echoFetch(sid, { method: "POST", body: "4back to polling" })).text();
    expect(await (await echoFetch(sid)).text()).toBe("4back to polling");
  });
});

/**
 * Which clients get connection-state recovery (the `pid` in the CONNECT
 * answer and an offset as every event's last argument): the stock
 * socket.io-client does; python-socketio, whose handlers are called with
 * every argument (004's `def on_new_message(data)`), does not.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { issueToken } from "../../src/lib/tokens";
import { takesPartInRecovery } from "../../src/realtime/socket/recovery-clients";
import { makeUser } from "./helpers";
import { eio, eventOf, nextEvent, poll, pollingHandshake, push, wsHandshake } from "./realtime-helpers";

const chatToken = async () => {
  const u = await makeUser();
  return issueToken(env, { sub: u._id, uid: u.userId, dlc: "chat-socket" });
};

describe("takesPartInRecovery", () => {
  const hs = (extra: { t?: string; userAgent?: string; query?: Record<string, string> } = {}) => ({ query: extra.query ?? {}, ...extra });
  it("recognises python-engineio by its time.time() timestamp or its User-Agent", () => {
    expect(takesPartInRecovery(hs({ t: "1733330000.123456" }), { token: "x" })).toBe(false);
    expect(takesPartInRecovery(hs({ userAgent: "python-requests/2.28.1" }), undefined)).toBe(false);
    expect(takesPartInRecovery(hs({ userAgent: "Python/3.11 aiohttp/3.8.4" }), undefined)).toBe(false);
  });
  it("offers recovery to engine.io-client (base-36 / yeast timestamps, or none) and to anyone coming back with a pid", () => {
    expect(takesPartInRecovery(hs({ t: "lz3k9a1b" }), { token: "x" })).toBe(true);
    expect(takesPartInRecovery(hs({ t: "PabC-_9" }), undefined)).toBe(true);
    expect(takesPartInRecovery(hs(), undefined)).toBe(true);
    expect(takesPartInRecovery(hs({ userAgent: "node-XMLHttpRequest" }), undefined)).toBe(true);
    expect(takesPartInRecovery(hs({ t: "1733330000.5" }), { pid: "p", offset: "1" })).toBe(true);
  });
  it("lets any client opt out with recovery=false", () => {
    expect(takesPartInRecovery(hs({ query: { recovery: "false" } }), undefined)).toBe(false);
    expect(takesPartInRecovery(hs({ query: { recovery: "OFF" } }), undefined)).toBe(false);
  });
});

describe("the wire, per client", () => {
  it("a python-socketio WebSocket handshake gets no pid and events without an offset", async () => {
    const { client } = await wsHandshake("&t=1733330000.123456");
    client.send(`40${JSON.stringify({ token: await chatToken() })}`);
    expect(await client.nextText()).toMatch(/^40\{"sid":"[\w-]+"\}$/);
    expect(await nextEvent(client, "connection")).toEqual([expect.objectContaining({ success: true })]);
    client.send('42["get_online_users"]');
    expect(await nextEvent(client, "online_users")).toEqual([{ users: [] }]);
    client.close();
  });

  it("a python-socketio polling handshake (python-requests User-Agent) gets none either", async () => {
    const res = await eio(`EIO=4&transport=polling&t=${Date.now() / 1000}`, { headers: { "user-agent": "python-requests/2.28.1" } });
    const sid = JSON.parse(res.body.slice(1)).sid as string;
    await push(sid, `40${JSON.stringify({ token: await chatToken() })}`);
    expect((await poll(sid)).body).toMatch(/^40\{"sid":"[\w-]+"\}$/);
    const events = (await poll(sid)).body.split("\x1e").map(eventOf).filter((e) => e !== null);
    expect(events.find((e) => e![0] === "connection")).toHaveLength(2);
  });

  it("the stock socket.io-client's handshake still gets pid and offsets", async () => {
    const { client } = await wsHandshake("&t=lz3k9a1b");
    client.send(`40${JSON.stringify({ token: await chatToken() })}`);
    expect(await client.nextText()).toMatch(/^40\{"sid":"[\w-]+","pid":"[\w-]+"\}$/);
    expect(await nextEvent(client, "connection")).toEqual([expect.objectContaining({ success: true }), expect.any(String)]);
    client.close();
    const polling = await pollingHandshake("&t=lz3k9a1c");
    await push(polling.sid, `40${JSON.stringify({ token: await chatToken() })}`);
    expect((await poll(polling.sid)).body).toMatch(/^40\{"sid":"[\w-]+","pid":"[\w-]+"\}$/);
  });
});

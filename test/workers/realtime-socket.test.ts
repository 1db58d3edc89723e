/**
 * Socket.IO sessions in the EngineSession object and presence in the
 * UserHub object: CONNECT authentication (002's messages, both token
 * placements, dialects), registry dispatch with acks both ways and binary,
 * namespace rules, the connect timeout, presence between related users over
 * several devices, blocking, dead-session cleanup, delivery after eviction.
 */
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createDb } from "../../src/db/client";
import { conversationMetadata, friendships, users } from "../../src/db/schema";
import { ApiError } from "../../src/lib/errors";
import { objectId } from "../../src/lib/ids";
import { issueToken } from "../../src/lib/tokens";
import { to, toConnection } from "../../src/realtime/notifier";
import { contactStatusUpdate } from "../../src/views/status";
import type { EventHandler, SocketContext } from "../../src/realtime/events";
import { DISCONNECT_HOOKS, SOCKET_HANDLERS } from "../../src/realtime/handlers";
import { makeUser, type TestUser } from "./helpers";
import { engineStub, eventOf, hubStub, poll, pollingHandshake, push, waitFor, type WsClient, wsHandshake } from "./realtime-helpers";

const db = createDb(env.DB);

// Test-only events, added to the handler table the socket app dispatches through.
const TEST_HANDLERS: Record<string, EventHandler> = {
  test_fail: async () => {
    throw new ApiError(403, "Access denied");
  },
  test_validate: async (_ctx, payload) => z.object({ receiverId: z.string().min(1) }).parse(payload),
  test_ask: async (ctx, question) => {
    const reply = await ctx.emitWithAck!("question", question);
    return { answer: reply[0] };
  },
};
Object.assign(SOCKET_HANDLERS, TEST_HANDLERS);
const disconnects: { userId: string; reason: string }[] = [];
DISCONNECT_HOOKS.push((ctx: SocketContext, reason: string) => void disconnects.push({ userId: ctx.userId, reason }));

afterEach(() => vi.useRealTimers());

function advance(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ms);
}

/** A Socket.IO connection over WebSocket; `query` goes on the handshake. */
async function connectWs(auth: Record<string, unknown> | undefined, query = "") {
  const { client, sid } = await wsHandshake(query);
  client.send(auth ? `40${JSON.stringify(auth)}` : "40");
  const answer = await client.nextText();
  return { client, sid, answer };
}

const isEvent = (name: string) => (f: string | ArrayBuffer) => eventOf(f)?.[0] === name;
const ackFrame = (id: number) => (f: string | ArrayBuffer) => typeof f === "string" && f.startsWith(`43${id}[`);
const ackBody = async (client: WsClient, id: number) => JSON.parse(String(await client.until(ackFrame(id))).slice(2 + String(id).length));

async function befriend(a: TestUser, b: TestUser) {
  await db.insert(friendships).values([
    { userId: a._id, friendId: b._id },
    { userId: b._id, friendId: a._id },
  ]);
}

const userRow = (id: string) => db.select().from(users).where(eq(users.id, id)).get();

describe("CONNECT authentication", () => {
  it("answers CONNECT_ERROR with 002's three messages", async () => {
    const none = await connectWs(undefined);
    expect(none.answer).toBe('44{"message":"Authentication error: No token provided"}');
    const bad = await connectWs({ token: "garbage" });
    expect(bad.answer).toBe('44{"message":"Authentication error: Invalid token"}');
    const notString = await connectWs({ token: 42 });
    expect(notString.answer).toBe('44{"message":"Authentication error: Invalid token"}');
    const ghost = await issueToken(env, { sub: objectId(), uid: crypto.randomUUID(), dlc: "standard" });
    const missing = await connectWs({ token: ghost });
    expect(missing.answer).toBe('44{"message":"Authentication error: User not found"}');
    // the connection stays open after a CONNECT_ERROR: the client may retry
    const u = await makeUser();
    none.client.send(`40${JSON.stringify({ token: u.token })}`);
    // the product offers connection-state recovery: the CONNECT answer carries a pid
    expect(await none.client.nextText()).toMatch(/^40\{"sid":"[\w-]+","pid":"[\w-]+"\}$/);
    for (const c of [none, bad, notString, missing]) c.client.close();
  });

  it("takes the token from the handshake query (001), a Bearer prefix, or the Authorization header", async () => {
    const u = await makeUser();
    const viaQuery = await connectWs(undefined, `&token=${encodeURIComponent(u.token)}`);
    expect(viaQuery.answer).toMatch(/^40\{"sid"/);
    const bearer = await connectWs({ token: `Bearer ${u.token}` });
    expect(bearer.answer).toMatch(/^40\{"sid"/);
    // polling handshake with a header
    const res = await fetchHandshakeWithHeader(u.token);
    await push(res, "40");
    expect((await poll(res)).body).toMatch(/^40\{"sid"/);
    viaQuery.client.close();
    bearer.client.close();
  });

  it("the token's dialect decides the connect events; ?dialect= overrides it", async () => {
    const u = await makeUser();
    const chatToken = await issueToken(env, { sub: u._id, uid: u.userId, dlc: "chat-socket" });
    const chat = await connectWs({ token: chatToken });
    chat.client.send('421["get_online_users"]');
    // 002 `connection` goes to every dialect (not dialect-named); no array `online_users` for a chat-socket connection, only 004's answer
    const frames: string[] = [];
    await chat.client.until((f) => (frames.push(String(f)), ackFrame(1)(f)));
    const events = frames.map(eventOf).filter((e) => e !== null);
    expect(events.filter((e) => e![0] === "connection")).toEqual([["connection", expect.objectContaining({ success: true }), expect.any(String)]]);
    // every event carries its recovery offset as last argument
    expect(events.filter((e) => e![0] === "online_users")).toEqual([["online_users", { users: [] }, expect.any(String)]]);
    expect(JSON.parse(frames.at(-1)!.slice(3))).toEqual([{ users: [] }]);

    const std = await connectWs({ token: chatToken }, "&dialect=standard");
    const conn = eventOf(await std.client.until(isEvent("connection")))!;
    expect(conn[1]).toMatchObject({ success: true, user: { _id: u._id, name: u.name } });
    expect(eventOf(await std.client.until(isEvent("online_users")))).toEqual(["online_users", [], expect.any(String)]);
    chat.client.close();
    std.client.close();
  });
});

async function fetchHandshakeWithHeader(token: string): Promise<string> {
  const { exports } = await import("cloudflare:workers");
  const res = await exports.default.fetch(
    new Request("http://example.com/socket.io/?EIO=4&transport=polling", { headers: { authorization: `Bearer ${token}` } }),
  );
  return JSON.parse((await res.text()).slice(1)).sid;
}

describe("events and acknowledgements", () => {
  it("dispatches to the registry; ApiError and validation errors become `error` events and error acks", async () => {
    const u = await makeUser();
    const { client } = await connectWs({ token: u.token });
    client.send('427["test_fail"]');
    expect(eventOf(await client.until(isEvent("error")))).toEqual(["error", { message: "Access denied" }, expect.any(String)]);
    expect(await ackBody(client, 7)).toEqual([{ success: false, statusCode: 403, message: "Access denied", error: "Forbidden", detail: "Access denied" }]);

    client.send('428["test_validate",{"receiverId":""}]');
    const [body] = await ackBody(client, 8);
    expect(body).toMatchObject({ success: false, statusCode: 400 });
    expect(body.message).toContain("receiverId");

    client.send('429["no_such_event",1]');
    expect(await ackBody(client, 9)).toEqual([
      { success: false, statusCode: 400, message: "Unknown event no_such_event", error: "Bad Request", detail: "Unknown event no_such_event" },
    ]);
    client.send('42["no_such_event"]'); // no ack: ignored, the connection stays
    client.send('4210["echo",{"a":[1,"b",null]}]');
    expect(await ackBody(client, 10)).toEqual([{ a: [1, "b", null] }]);
    client.close();
  });

  it("server -> client acknowledgements: a handler awaits the client's reply", async () => {
    const u = await makeUser();
    const { client } = await connectWs({ token: u.token });
    client.send('4211["test_ask",41]');
    const question = String(await client.until(isEvent("question")));
    const m = /^42(\d+)\["question",41\]$/.exec(question);
    expect(m).not.toBeNull();
    client.send(`43${m![1]}[42]`);
    expect(await ackBody(client, 11)).toEqual([{ answer: 42 }]);
    client.close();
  });

  it("binary events and acks over polling (base64) and WebSocket (raw frames)", async () => {
    const u = await makeUser();
    const { sid } = await pollingHandshake();
    await push(sid, `40${JSON.stringify({ token: u.token })}`);
    // CONNECT + connect events (contacts_status_initial is the last of them)
    for (let drained = ""; !drained.includes("contacts_status_initial"); ) drained += (await poll(sid)).body;
    expect((await push(sid, '451-5["echo",{"_placeholder":true,"num":0}]\x1ebAQID/w==')).body).toBe("ok");
    expect((await poll(sid)).body).toBe('461-5[{"_placeholder":true,"num":0}]\x1ebAQID/w==');

    const { client } = await connectWs({ token: u.token });
    client.send('451-6["echo",{"file":{"_placeholder":true,"num":0}}]');
    client.send(Uint8Array.from([9, 8, 7]));
    expect(await client.until((f) => typeof f === "string" && f.startsWith("461-6"))).toBe('461-6[{"file":{"_placeholder":true,"num":0}}]');
    const bin = await client.next();
    expect([...new Uint8Array(bin as ArrayBuffer)]).toEqual([9, 8, 7]);
    client.close();
  });
});

describe("namespaces and malformed packets", () => {
  it("unknown namespace: CONNECT_ERROR, connection kept", async () => {
    const u = await makeUser();
    const { client } = await wsHandshake();
    client.send(`40/admin,${JSON.stringify({ token: u.token })}`);
    expect(await client.nextText()).toBe('44/admin,{"message":"Invalid namespace"}');
    client.send(`40${JSON.stringify({ token: u.token })}`);
    expect(await client.nextText()).toMatch(/^40\{"sid"/);
    client.close();
  });

  it.each([
    ["an EVENT before CONNECT", [], '42["echo",1]'],
    ["a second CONNECT", ["auth"], "40"],
    ["an unknown packet type", ["auth"], "47"],
    ["an EVENT that is not an array", ["auth"], '42{"x":1}'],
    ["an empty EVENT", ["auth"], "42[]"],
    ["a reserved event name", ["auth"], '42["disconnect"]'],
    ["an ACK without id", ["auth"], "43[1]"],
    ["binary data nobody announced", ["auth"], new Uint8Array([1, 2])],
    ["an EVENT after leaving the namespace", ["auth", "41"], '42["echo",1]'],
  ] as const)("%s closes the connection (and only it)", async (_name, before, bad) => {
    const u = await makeUser();
    const bystander = await connectWs({ token: u.token });
    const { client, sid } = await wsHandshake();
    for (const step of before) {
      if (step === "auth") {
        client.send(`40${JSON.stringify({ token: u.token })}`);
        await client.until((f) => typeof f === "string" && f.startsWith("40"));
      } else client.send(step);
    }
    client.send(bad as string | Uint8Array);
    await client.waitClosed();
    expect((await engineStub(sid).inspect()).open).toBe(false);
    bystander.client.send('4212["echo","ok"]');
    expect(await ackBody(bystander.client, 12)).toEqual(["ok"]);
    bystander.client.close();
  });

  it("DISCONNECT (41) leaves the namespace but keeps the Engine.IO session", async () => {
    const u = await makeUser();
    const { client, sid } = await connectWs({ token: u.token });
    client.send("41");
    await waitFor(
      async () => (await engineStub(sid).inspect()).namespaces.length === 0 && disconnects.some((d) => d.userId === u._id),
      "the namespace to disconnect",
    );
    expect(await engineStub(sid).inspect()).toMatchObject({ open: true, namespaces: [] });
    expect(disconnects).toContainEqual({ userId: u._id, reason: "client namespace disconnect" });
    client.send("2");
    expect(await client.until((f) => f === "3")).toBe("3");
    client.close();
  });

  it("closes a session that never joins a namespace within connectTimeout (alarm)", async () => {
    const { sid } = await pollingHandshake();
    const stub = engineStub(sid);
    advance(45_000 + 1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.inspect()).open).toBe(false);
    expect((await poll(sid)).status).toBe(400);
  });
});

describe("presence (UserHub)", () => {
  it("first device -> online to friends, second device -> nothing, last device gone -> offline", async () => {
    const alice = await makeUser({ name: "Alice Hub" });
    const bob = await makeUser({ name: "Bob Hub" });
    await befriend(alice, bob);
    const b = await connectWs({ token: bob.token });
    const bobFrames: string[] = [];
    b.client.ws.addEventListener("message", (e) => bobFrames.push(String(e.data)));

    const a1 = await connectWs({ token: alice.token });
    const online = eventOf(await b.client.until(isEvent("user_online")))!;
    expect(online[1]).toMatchObject({ userId: alice.userId, _id: alice._id, name: "Alice Hub", email: alice.email });
    const status = eventOf(await b.client.until(isEvent("userStatus")))!;
    expect(status[1]).toMatchObject({ userId: alice.userId, isOnline: true });
    expect((await userRow(alice._id))!.isOnline).toBe(true);
    expect(await hubStub(alice._id).sessions()).toHaveLength(1);

    // second device (polling): one more live session, no second event
    const { sid: a2 } = await pollingHandshake();
    await push(a2, `40${JSON.stringify({ token: alice.token })}`);
    expect((await poll(a2)).body).toMatch(/^40\{"sid"/);
    expect(await hubStub(alice._id).sessions()).toHaveLength(2);

    a1.client.close();
    await a1.client.waitClosed();
    await waitFor(async () => (await hubStub(alice._id).sessions()).length === 1, "the hub to forget the closed device");
    expect((await userRow(alice._id))!.isOnline).toBe(true);

    await push(a2, "1");
    const offline = eventOf(await b.client.until(isEvent("user_offline")))!;
    expect(offline[1]).toMatchObject({ userId: alice.userId, _id: alice._id, email: alice.email });
    expect(Date.parse((offline[1] as { lastSeen: string }).lastSeen)).not.toBeNaN();
    const row = (await userRow(alice._id))!;
    expect(row.isOnline).toBe(false);
    expect(row.lastSeen).toBeInstanceOf(Date);
    expect(await hubStub(alice._id).sessions()).toHaveLength(0);
    // everything bob received about alice: exactly one online, one offline
    b.client.send('4213["echo","sync"]');
    await ackBody(b.client, 13);
    const names = bobFrames.map((f) => eventOf(f)?.[0]).filter((n) => n === "user_online" || n === "user_offline" || n === "userStatus");
    expect(names).toEqual(["user_online", "userStatus", "user_offline", "userStatus"]);
    b.client.close();
  });

  it("a user who blocked a friend does not show them presence", async () => {
    const alice = await makeUser();
    const bob = await makeUser(); // blocked by alice
    const carol = await makeUser(); // not blocked
    await befriend(alice, bob);
    await befriend(alice, carol);
    await db.insert(conversationMetadata).values({ id: objectId(), userId: alice._id, otherUserId: bob._id, isBlocked: true });
    const b = await connectWs({ token: bob.token });
    const c = await connectWs({ token: carol.token });
    const bobFrames: string[] = [];
    b.client.ws.addEventListener("message", (e) => bobFrames.push(String(e.data)));
    const a = await connectWs({ token: alice.token });
    await c.client.until(isEvent("user_online"));
    b.client.send('4214["echo","sync"]');
    await ackBody(b.client, 14);
    expect(bobFrames.filter((f) => f.includes("user_online") || f.includes("userStatus"))).toEqual([]);
    for (const x of [a, b, c]) x.client.close();
  });

  it("delivers to every live session by dialect, after eviction of both objects", async () => {
    const u = await makeUser();
    const chatToken = await issueToken(env, { sub: u._id, uid: u.userId, dlc: "chat-socket" });
    const std = await connectWs({ token: u.token });
    const chat = await connectWs({ token: chatToken });
    await evictDurableObject(engineStub(std.sid), { webSockets: "hibernate" });
    await evictDurableObject(hubStub(u._id));
    const reached = await hubStub(u._id).emit({ standard: [["receiveMessage", { text: "hi" }]], "chat-socket": [["new_message", { message: "hi" }]] });
    expect(reached).toBe(2);
    expect(eventOf(await std.client.until(isEvent("receiveMessage")))).toEqual(["receiveMessage", { text: "hi" }, expect.any(String)]);
    expect(eventOf(await chat.client.until(isEvent("new_message")))).toEqual(["new_message", { message: "hi" }, expect.any(String)]);
    std.client.close();
    chat.client.close();
  });

  it("the notifier: to(users).except(sid) reaches every other connection of those users, typed by the event maps", async () => {
    const ann = await makeUser();
    const ben = await makeUser();
    const annA = await connectWs({ token: ann.token });
    const annB = await connectWs({ token: ann.token });
    const benA = await connectWs({ token: ben.token });
    const annAFrames: string[] = [];
    annA.client.ws.addEventListener("message", (e) => annAFrames.push(String(e.data)));
    const update = contactStatusUpdate((await userRow(ann._id))!, Date.now());
    const reached = await to(env, [ann._id, ben._id, ann._id]).except(annA.sid).emit([["contact_status_update", update]]);
    expect(reached).toBe(2);
    expect(eventOf(await annB.client.until(isEvent("contact_status_update")))?.[1]).toEqual(update);
    expect(eventOf(await benA.client.until(isEvent("contact_status_update")))?.[1]).toEqual(update);
    annA.client.send('4216["echo","sync"]');
    await ackBody(annA.client, 16);
    expect(annAFrames.some((f) => f.includes("contact_status_update"))).toBe(false);
    for (const c of [annA, annB, benA]) c.client.close();
  });

  it("toConnection reaches one connection by its sid, and reports a gone one", async () => {
    const u = await makeUser();
    const one = await connectWs({ token: u.token });
    const other = await connectWs({ token: u.token });
    const otherFrames: string[] = [];
    other.client.ws.addEventListener("message", (e) => otherFrames.push(String(e.data)));
    expect(await toConnection(env, one.sid).emit([["joined_conversation", { conversation_id: "c1" }]])).toBe(true);
    expect(eventOf(await one.client.until(isEvent("joined_conversation")))).toEqual(["joined_conversation", { conversation_id: "c1" }, expect.any(String)]);
    other.client.send('4215["echo","sync"]');
    await ackBody(other.client, 15);
    expect(otherFrames.some((f) => f.includes("joined_conversation"))).toBe(false);
    one.client.send("1");
    await one.client.waitClosed();
    expect(await toConnection(env, one.sid).emit([["x", 1]])).toBe(false);
    expect(await toConnection(env, other.sid, "/other").emit([["x", 1]])).toBe(false);
    other.client.close();
  });

  it("a session whose object is gone is detached on the next emit (and the user goes offline)", async () => {
    const u = await makeUser();
    const hub = hubStub(u._id);
    expect(await hub.attach("ghostsession000000000", "standard")).toEqual({ first: true, sessions: 1 });
    expect((await userRow(u._id))!.isOnline).toBe(true);
    expect(await hubStub(u._id).emit([["anything", 1]])).toBe(0);
    expect(await hub.sessions()).toEqual([]);
    expect((await userRow(u._id))!.isOnline).toBe(false);
  });
});

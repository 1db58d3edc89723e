/**
 * Typing lives in the conversation's Durable Object: a start lasts 5 s
 * unless renewed, the object's alarm ends it (the others get isTyping /
 * typing false) when no stop comes, and a dropped connection ends it at once.
 * Receivers are real Socket.IO connections over WebSocket.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createDb } from "../../src/db/client";

import { issueToken } from "../../src/lib/tokens";
import { TYPING_TTL_MS } from "../../src/objects/conversation-room";
import type { SocketContext } from "../../src/realtime/events";
import { handlerFor } from "../../src/realtime/handlers";
import { api, makeUser, type TestUser } from "./helpers";
import { eventOf, sioWs, waitFor as until, type WsClient } from "./realtime-helpers";
import { roomStub } from "./objects";

const db = createDb(env.DB);

afterEach(() => vi.useRealTimers());

function advance(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ms);
}

function fakeCtx(u: TestUser, dialect: SocketContext["dialect"] = "standard"): SocketContext {
  return { env, db, userId: u._id, userUuid: u.userId, dialect, sid: crypto.randomUUID().replace(/-/g, ""), pid: crypto.randomUUID(), nsp: "/", emit: () => {} };
}
const call = (ctx: SocketContext, event: string, payload: unknown) => Promise.resolve(handlerFor(event)!(ctx, payload)) as Promise<any>;

/** The two users' 1-on-1 conversation (typing to a user never creates one). */
async function pair(a: TestUser, b: TestUser): Promise<string> {
  const res = await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: b._id } });
  expect(res.status).toBe(201);
  return res.body.data._id as string;
}

async function socketOf(u: TestUser, dialect: "standard" | "chat-socket" = "standard") {
  const token = await issueToken(env, { sub: u._id, uid: u.userId, dlc: dialect });
  const { client, answer } = await sioWs({ token });
  expect(answer).toMatch(/^40\{"sid"/);
  return client;
}

/** Every event named `name` received so far (and from now on) on `client`. */
function collect(client: WsClient, name: string) {
  const seen: any[] = [];
  client.ws.addEventListener("message", (e) => {
    const ev = eventOf(e.data as string);
    if (ev?.[0] === name) seen.push(ev[1]);
  });
  return seen;
}

describe("typing in the ConversationRoom", () => {
  it("start -> true to the other member; a renewal is silent; no stop: the alarm ends it after the TTL", async () => {
    const ann = await makeUser({ name: "Ann" });
    const ben = await makeUser({ name: "Ben" });
    await pair(ann, ben);
    const benSocket = await socketOf(ben);
    const indicators = collect(benSocket, "typing_indicator");
    const statuses = collect(benSocket, "typingStatus");
    const ctx = fakeCtx(ann);

    const started = await call(ctx, "typing_start", { receiverId: ben._id });
    expect(started).toMatchObject({ success: true, typing: true });
    const conversationId = started.conversationId as string;
    await until(() => indicators.length === 1 && statuses.length === 1, "typing on");
    expect(indicators[0]).toMatchObject({ userId: ann.userId, _id: ann._id, userName: "Ann", isTyping: true, conversationId });
    expect(statuses[0]).toMatchObject({ senderId: ann._id, isTyping: true });

    const room = roomStub(conversationId);
    expect((await room.typingNow()).map((t) => t.userId)).toEqual([ann._id]);
    await call(ctx, "typing_start", { receiverId: ben._id }); // renewal
    // the alarm running early ends nothing
    expect(await runDurableObjectAlarm(room)).toBe(true);
    expect((await room.typingNow()).map((t) => t.userId)).toEqual([ann._id]);

    advance(TYPING_TTL_MS + 100);
    expect(await runDurableObjectAlarm(room)).toBe(true);
    await until(() => indicators.length === 2, "typing off");
    expect(indicators.map((i) => i.isTyping)).toEqual([true, false]);
    await until(() => statuses.length === 2, "typingStatus off");
    expect(statuses[1]).toMatchObject({ senderId: ann._id, isTyping: false });
    expect(await room.typingNow()).toEqual([]);
    // nothing left to expire: no alarm
    expect(await runDurableObjectAlarm(room)).toBe(false);
    benSocket.close();
  });

  it("stop ends it at once and cancels the alarm; a stop without a start changes nothing", async () => {
    const ann = await makeUser();
    const ben = await makeUser();
    await pair(ann, ben);
    const benSocket = await socketOf(ben);
    const statuses = collect(benSocket, "typingStatus");
    const ctx = fakeCtx(ann);
    expect(await call(ctx, "typing_stop", { receiverId: ben._id })).toMatchObject({ typing: false });
    const { conversationId } = await call(ctx, "typing", { recipientId: ben._id });
    await call(ctx, "stopTyping", { recipientId: ben._id });
    await until(() => statuses.length === 2, "on and off");
    expect(statuses.map((s) => s.isTyping)).toEqual([true, false]);
    expect(await runDurableObjectAlarm(roomStub(conversationId))).toBe(false);
    benSocket.close();
  });

  it("004: user_typing goes to the other members' connections that joined the room, and ends by the alarm too", async () => {
    const ann = await makeUser({ name: "Ann" });
    const ben = await makeUser({ name: "Ben" });
    const start = await api("POST", "/api/conversations/start", { token: ann.token, body: { to_email: ben.email } });
    const conv = start.body.conversation_id as string;
    const joined = await socketOf(ben, "chat-socket");
    const notJoined = await socketOf(ben, "chat-socket");
    const seenJoined = collect(joined, "user_typing");
    const seenOther = collect(notJoined, "user_typing");
    joined.send(`421${JSON.stringify(["join_conversation", { conversation_id: conv }])}`);
    await joined.until((f) => typeof f === "string" && f.startsWith("431["));

    const ctx = fakeCtx(ann, "chat-socket");
    await call(ctx, "typing_start", { conversation_id: conv });
    await until(() => seenJoined.length === 1, "user_typing on");
    expect(seenJoined[0]).toMatchObject({ conversation_id: conv, user_email: ann.email, typing: true });
    advance(TYPING_TTL_MS + 100);
    await runDurableObjectAlarm(roomStub(conv));
    await until(() => seenJoined.length === 2, "user_typing off");
    expect(seenJoined[1]).toMatchObject({ conversation_id: conv, user_email: ann.email, typing: false });
    // a marker through the same path proves the not-joined connection was skipped, not late
    joined.send(`422${JSON.stringify(["get_online_users"])}`);
    notJoined.send(`423${JSON.stringify(["get_online_users"])}`);
    await notJoined.until((f) => typeof f === "string" && f.startsWith("433["));
    expect(seenOther).toEqual([]);
    joined.close();
    notJoined.close();
  });

  it("a typist whose connection drops stops typing at once", async () => {
    const ann = await makeUser();
    const ben = await makeUser();
    await pair(ann, ben);
    const benSocket = await socketOf(ben);
    const indicators = collect(benSocket, "typing_indicator");
    const annSocket = await socketOf(ann);
    annSocket.send(`425${JSON.stringify(["typing_start", { receiverId: ben._id }])}`);
    const ackFrame = await annSocket.until((f) => typeof f === "string" && f.startsWith("435["));
    const conversationId = JSON.parse(String(ackFrame).slice(3))[0].conversationId as string;
    await until(() => indicators.length === 1, "typing on");
    annSocket.close();
    await until(() => indicators.length === 2, "typing off after the drop");
    expect(indicators.map((i) => i.isTyping)).toEqual([true, false]);
    expect(await roomStub(conversationId).typingNow()).toEqual([]);
    benSocket.close();
  });
});

/**
 * The messaging socket handlers, driven through the event registry with a
 * fake SocketContext (events between real clients are tested end to end):
 * payload dispatch (002/004 `send_message`, 001/003 `sendMessage`), zod
 * validation naming the field (400; 422 for 004 payloads), ack bodies equal
 * to the REST bodies, rooms, catch-up; the per-user message rate limit
 * across REST and socket sends; delivery status with a real connection.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseSince } from "../../src/lib/requests";
import { issueToken } from "../../src/lib/tokens";
import { api, fakeSocket, makeUser, pairMessages, roomMessages, withinOneRateWindow } from "./helpers";
import { eventOf, sioWs, type WsClient } from "./realtime-helpers";
import { roomStub } from "./objects";


async function pair() {
  const a = await makeUser({ name: "Ann" });
  const b = await makeUser({ name: "Ben" });
  return { a, b, sa: fakeSocket(a), sb: fakeSocket(b) };
}

describe("send_message / sendMessage dispatch on the payload", () => {
  it("002 (receiverId): message_sent + ack {success, message}; the REST history has it", async () => {
    const { a, b, sa } = await pair();
    const reply = await sa.call("send_message", { receiverId: b._id, content: "hello" });
    expect(reply).toMatchObject({
      success: true,
      message: { content: "hello", senderId: a._id, senderName: "Ann", receiverId: b._id, receiverName: "Ben", read: false, sentAt: expect.any(String) },
    });
    expect(sa.of("message_sent")).toEqual([reply]);
    const history = await api("GET", `/api/messages/${a._id}`, { token: b.token });
    expect(history.body.map((m: any) => m._id)).toEqual([reply.message._id]);
  });

  it("004 (to_email / conversation_id): ack is the REST 004 body", async () => {
    const { a, b } = await pair();
    const s = fakeSocket(a, "chat-socket");
    const first = await s.call("send_message", { to_email: b.email, message: "by email", message_type: "text" });
    const rest = await api("POST", "/api/messages/send", { token: a.token, body: { to_email: b.email, message: "by rest" } });
    expect(Object.keys(first).sort()).toEqual(Object.keys(rest.body).sort());
    expect(first).toMatchObject({ conversation_id: rest.body.conversation_id, sender_email: a.email, sender_name: "Ann", message: "by email", reply_to: null });
    const second = await s.call("send_message", { conversation_id: first.conversation_id, message: "by id", reply_to: first.id });
    expect(second).toMatchObject({ conversation_id: first.conversation_id, reply_to: first.id });
  });

  it("003 (conversationId): the REST envelope, 201 then 200 for a repeated clientMsgId; 001 (recipientId): the 001 message", async () => {
    const { a, b, sa } = await pair();
    const group = await api("POST", "/api/conversations/group", { token: a.token, body: { name: "G", members: [b._id] } });
    const conversationId = group.body.data._id;
    const sent = await sa.call("sendMessage", { conversationId, message: "to group", messageType: "note", payload: { k: 1 }, clientMsgId: "c-1" });
    expect(sent).toMatchObject({ success: true, statusCode: 201, message: "Message sent successfully", data: { conversationId, message: "to group", messageType: "note", payload: { k: 1 }, status: "saved" } });
    const again = await sa.call("sendMessage", { conversationId, message: "to group", clientMsgId: "c-1" });
    expect(again).toMatchObject({ statusCode: 200, data: { _id: sent.data._id } });
    const direct = await sa.call("sendMessage", { recipientId: b.userId, text: "by uuid" });
    expect(direct).toMatchObject({ senderId: a._id, recipientId: b._id, text: "by uuid", status: "sent", createdAt: expect.any(String) });
  });

  it("bad payloads: 400 naming the field; 422 for 004 payloads", async () => {
    const { a, b, sa } = await pair();
    const chat = fakeSocket(a, "chat-socket");
    const cases: [ReturnType<typeof fakeSocket>, string, unknown, number, RegExp][] = [
      [sa, "send_message", undefined, 400, /receiverId: is required/],
      [sa, "send_message", "hello", 400, /payload: must be an object/],
      [sa, "send_message", { receiverId: b._id }, 400, /content: must not be empty/],
      [sa, "send_message", { receiverId: b._id, content: 7 }, 400, /content/],
      [sa, "send_message", { receiverId: a._id, content: "me" }, 400, /receiverId: you cannot send a message to yourself/],
      [chat, "send_message", {}, 422, /to_email: is required/],
      [chat, "send_message", { to_email: "nope", message: "x" }, 422, /to_email/],
      [chat, "send_message", { to_email: b.email, message: "  " }, 422, /message: must not be empty/],
      [chat, "send_message", { conversation_id: "123", message: "x" }, 422, /conversation_id/],
      [sa, "sendMessage", {}, 400, /conversationId: is required/],
      [sa, "sendMessage", { recipientId: b._id, attachment: { url: "ftp://x" } }, 400, /attachment\.url/],
      [sa, "sendMessage", { conversationId: "0123456789abcdef01234567", message: "x" }, 404, /Conversation not found/],
      [sa, "mark_message_read", {}, 400, /messageId: is required/],
      [sa, "get_message_history", { otherUserId: b._id, limit: 1000 }, 400, /limit: must be <= 100/],
      [sa, "getMessages", { conversationId: "x" }, 400, /conversationId/],
      [sa, "markMessagesRead", {}, 400, /conversationId/],
      [chat, "mark_as_read", { conversation_id: 3 }, 422, /conversation_id/],
      [sa, "typing_start", { receiverId: "someone" }, 400, /receiverId/],
      [sa, "typing", {}, 400, /recipientId: is required/],
      [chat, "join_conversation", {}, 422, /conversation_id: is required/],
      [sa, "createGroup", { name: "x", members: [] }, 400, /members: must name at least one user/],
      [sa, "joinGroup", { conversationId: "0123456789abcdef01234567" }, 404, /Conversation not found/],
      [sa, "sync_messages", { since: 1 }, 400, /conversationId: is required/],
    ];
    for (const [s, event, payload, status, message] of cases) {
      const err = await s.call(event, payload).then(
        () => null,
        (e) => e,
      );
      expect(err, `${event} ${JSON.stringify(payload)}`).toMatchObject({ status });
      expect(err.message, event).toMatch(message);
    }
    // nothing was stored by any of them
    expect(await pairMessages(a._id, b._id)).toEqual([]);
  });
});

describe("reads, history, counts", () => {
  it("mark_message_read confirms with the 002 message; get_unread_count, get_message_history, getMessages, markMessagesRead, mark_as_read", async () => {
    const { a, b, sa, sb } = await pair();
    const m1 = (await sa.call("send_message", { receiverId: b._id, content: "one" })).message;
    await sa.call("send_message", { receiverId: b._id, content: "two" });
    expect(await sb.call("get_unread_count")).toEqual({ count: 2, unreadCount: 2 });
    expect(sb.of("unread_count")).toEqual([{ count: 2, unreadCount: 2 }]);

    const read = await sb.call("mark_message_read", { messageId: m1._id });
    expect(read).toMatchObject({ success: true, message: { _id: m1._id, read: true, content: "one" } });
    expect(sb.of("message_read_confirmed")).toEqual([read]);
    expect(await sb.call("get_unread_count")).toMatchObject({ count: 1 });

    const history = await sb.call("get_message_history", { otherUserId: a.userId, page: 1, limit: 1 });
    expect(history).toMatchObject({ otherUser: { _id: a._id, name: "Ann" }, pagination: { page: 1, hasMore: true } });
    expect(history.messages.map((m: any) => m.content)).toEqual(["two"]);
    expect(sb.of("message_history")).toEqual([history]);

    const conversationId = m1.conversationId;
    const page = await sb.call("getMessages", { conversationId, page: 1, limit: 50 });
    const rest = await api("GET", `/api/messages/conversation/${conversationId}?page=1&limit=50`, { token: b.token });
    expect(page).toEqual(rest.body);

    expect(await sb.call("markMessagesRead", { conversationId })).toEqual({ success: true, statusCode: 200, message: "Messages marked as read", data: { modifiedCount: 1 } });
    const chatA = fakeSocket(a, "chat-socket");
    await sb.call("send_message", { receiverId: a._id, content: "three" });
    const marked = await chatA.call("mark_as_read", { conversation_id: conversationId });
    expect(marked).toEqual({ message: "Conversation marked as read", success: true, conversation_id: conversationId, modifiedCount: 1 });
    expect(chatA.of("marked_as_read")).toEqual([expect.objectContaining({ conversation_id: conversationId, user_email: a.email })]);
  });

  it("sync_messages and ?since return what came after a seq or a time, oldest first", async () => {
    const { a, b, sa, sb } = await pair();
    const sent = [];
    for (const t of ["s1", "s2", "s3", "s4"]) sent.push((await sa.call("send_message", { receiverId: b._id, content: t })).message);
    const conversationId = sent[0].conversationId;
    const synced = await sb.call("sync_messages", { conversationId, since: sent[1].seq, limit: 1 });
    expect(synced).toMatchObject({ success: true, conversationId, hasMore: true, lastSeq: 4 });
    expect(synced.messages.map((m: any) => m.message)).toEqual(["s3"]);
    const all = await fakeSocket(b, "chat-socket").call("sync_messages", { conversation_id: conversationId, since: "0" });
    expect(all.messages.map((m: any) => m.message)).toEqual(["s1", "s2", "s3", "s4"]);
    expect(all.messages[0]).toHaveProperty("sender_email", a.email); // the 004 view for chat-socket connections
    const rest = await api("GET", `/api/conversations/${conversationId}/messages?since=${sent[2].seq}`, { token: b.token });
    expect(rest.body.map((m: any) => m.message)).toEqual(["s4"]);
    expect(parseSince("2024-01-02T03:04:05Z")).toEqual({ at: new Date("2024-01-02T03:04:05Z") });
    expect(parseSince("12")).toEqual({ seq: 12 });
    expect(parseSince("yesterday")).toBeNull();
    const outsider = fakeSocket(await makeUser());
    await expect(outsider.call("sync_messages", { conversationId, since: 0 })).rejects.toMatchObject({ status: 404 });
  });
});

describe("rooms (join_conversation / joinGroup)", () => {
  it("members only; joined by the connection's recovery session; leave_conversation removes it", async () => {
    const { a, b } = await pair();
    const chat = fakeSocket(a, "chat-socket");
    const sent = await chat.call("send_message", { to_email: b.email, message: "hi" });
    const conv = sent.conversation_id;
    expect(await chat.call("join_conversation", { conversation_id: conv })).toMatchObject({ conversation_id: conv });
    expect(chat.of("joined_conversation")).toEqual([expect.objectContaining({ conversation_id: conv })]);
    const room = roomStub(conv);
    expect(await room.joined()).toEqual([{ pid: chat.ctx.pid, userId: a._id }]);
    const outsider = fakeSocket(await makeUser(), "chat-socket");
    await expect(outsider.call("join_conversation", { conversation_id: conv })).rejects.toMatchObject({ status: 404, message: "Conversation not found" });
    await expect(outsider.call("joinGroup", { conversationId: conv })).rejects.toMatchObject({ status: 404 });
    expect(await chat.call("leave_conversation", { conversation_id: conv })).toMatchObject({ conversation_id: conv });
    expect(chat.of("left_conversation")).toHaveLength(1);
    expect(await room.joined()).toEqual([]);
  });
});

describe("message rate limit (004: 100 a minute per user)", () => {
  it("counts REST and socket sends alike, once per send: the 101st gets 429 / an error ack", async () => {
    const { a, b, sa } = await pair();
    await withinOneRateWindow(45_000);
    for (let i = 0; i < 50; i++) {
      const res = await api("POST", "/api/messages/send", { token: a.token, body: { recipientId: b._id, text: `rest ${i}` } });
      expect(res.status).toBe(201);
    }
    for (let i = 0; i < 50; i++) await sa.call("send_message", { receiverId: b._id, content: `socket ${i}` });
    const rest = await api("POST", "/api/messages", { token: a.token, body: { receiverId: b._id, message: "one too many" } });
    expect(rest.status).toBe(429);
    expect(rest.body).toMatchObject({ success: false, statusCode: 429 });
    expect(rest.body.message).toMatch(/100 messages per minute/);
    await expect(sa.call("send_message", { receiverId: b._id, content: "still too many" })).rejects.toMatchObject({ status: 429 });
    await expect(fakeSocket(a, "chat-socket").call("send_message", { to_email: b.email, message: "004 too" })).rejects.toMatchObject({ status: 429 });
    expect((await pairMessages(a._id, b._id)).filter((m) => m.sender_id === a._id)).toHaveLength(100);
    // another user is not affected
    expect((await fakeSocket(b).call("send_message", { receiverId: a._id, content: "fine" })).success).toBe(true);
  }, 120_000);
});

describe("delivery status with a real connection", () => {
  it("sent while the recipient has no connection; delivered once one of its connections got it", async () => {
    const { a, b, sa } = await pair();
    const offline = (await sa.call("send_message", { receiverId: b._id, content: "nobody home" })).message;
    await roomStub(offline.conversationId).deliveriesIdle();
    const row = (await roomMessages(offline.conversationId)).find((m) => m.id === offline._id);
    expect(row?.delivered_at).toBeNull();

    const token = await issueToken(env, { sub: b._id, uid: b.userId, dlc: "standard" });
    const { client, answer } = await sioWs({ token });
    expect(answer).toMatch(/^40\{"sid":"[\w-]+","pid":"[\w-]+"\}$/);
    const online = (await sa.call("send_message", { receiverId: b._id, content: "now" })).message;
    const frame = await client.until((f) => eventOf(f)?.[0] === "receive_message");
    expect(eventOf(frame)![1]).toMatchObject({ _id: online._id, content: "now" });
    await roomStub(online.conversationId).deliveriesIdle();
    const delivered = (await roomMessages(online.conversationId)).find((m) => m.id === online._id);
    expect(delivered?.delivered_at).toEqual(expect.any(Number));
    const view = await api("GET", `/api/messages/${b._id}`, { token: a.token });
    expect(view.body.map((m: any) => m.status)).toEqual(["sent", "delivered"]);
    close(client);
  });
});

function close(client: WsClient) {
  client.close();
}

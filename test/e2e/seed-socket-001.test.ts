/**
 * 001 §4 "Real-time Communication" to the letter, against `wrangler dev`:
 * `io(API_URL, { query: { token } })` with a 000 token (standard dialect),
 * `sendMessage` -> `receiveMessage` (the full Message Schema), `userStatus`
 * to friends, `typing` / `stopTyping` -> `typingStatus`; and a 001 client
 * talking with a 002 client, each hearing its own document's events.
 */
import { afterEach, describe, expect, it } from "vitest";
import { http } from "./client";
import { befriend, connectWith, emitAck, expectErrorAck, ISO, next, OBJECT_ID, type SeedUser, user000 } from "./seed-socket-helpers";
import { closeAll, record } from "./sockets";

afterEach(() => closeAll());

/** Every field of 001's Message Schema with its documented type. */
function expectMessageSchema(m: any, from: SeedUser, to: SeedUser, text: string, status = "sent") {
  expect(m).toMatchObject({
    _id: expect.stringMatching(OBJECT_ID),
    conversationId: expect.stringMatching(OBJECT_ID),
    senderId: from._id,
    recipientId: to._id,
    text,
    createdAt: expect.stringMatching(ISO),
    status,
  });
  expect("attachment" in m).toBe(true);
}

/** 001 §4.1: the token in the query. */
const io001 = (u: SeedUser, events: string[] = [], transports?: string[]) =>
  connectWith(u.token, events, { placement: "query", ...(transports ? { transports } : {}) });

describe("001 sockets, as documented", () => {
  it("sendMessage (text and attachment) -> receiveMessage with the Message Schema; the ack is the message", async () => {
    const ann = await user000("Ann One");
    const ben = await user000("Ben One");
    await befriend(ann, ben);
    const { socket: sa } = await io001(ann);
    const { socket: sb } = await io001(ben, [], ["polling"]);

    const arrived = next(sb, "receiveMessage");
    const sent = await emitAck(sa, "sendMessage", {
      recipientId: ben._id,
      text: "Hello there!",
      attachment: { type: "image", url: "https://example.com/image.jpg" },
    });
    expectMessageSchema(sent, ann, ben, "Hello there!");
    expect(sent.attachment).toEqual({ type: "image", url: "https://example.com/image.jpg" });
    const got = await arrived;
    expectMessageSchema(got, ann, ben, "Hello there!");
    expect(got).toMatchObject({ _id: sent._id, conversationId: sent.conversationId, createdAt: sent.createdAt, attachment: { type: "image", url: "https://example.com/image.jpg" } });

    // text without attachment, recipient by UUID; same conversation
    const plain = next(sb, "receiveMessage", (m) => m.text === "no attachment");
    const second = await emitAck(sa, "sendMessage", { recipientId: ben.userId, text: "no attachment" });
    expectMessageSchema(second, ann, ben, "no attachment");
    expect(second.attachment).toBeNull();
    expect(second.conversationId).toBe(sent.conversationId);
    expect((await plain)._id).toBe(second._id);

    // the REST history (001 §3.2) holds both, delivered to Ben's connection
    const history = await http("GET", `/api/messages/${ben._id}`, { token: ann.token });
    expect(history.status).toBe(200);
    expect(history.body.map((m: any) => m._id)).toEqual([sent._id, second._id]);
    expect(history.body.map((m: any) => m.status)).toEqual(["delivered", "delivered"]);

    // an emit without an ack callback delivers too
    const noAck = next(sb, "receiveMessage", (m) => m.text === "fire and forget");
    sa.emit("sendMessage", { recipientId: ben._id, text: "fire and forget" });
    expectMessageSchema(await noAck, ann, ben, "fire and forget");
  });

  it("typing / stopTyping -> typingStatus {senderId, isTyping}; acks on both", async () => {
    const ann = await user000("Ann Typing");
    const ben = await user000("Ben Typing");
    // typing to a user goes into the conversation one has with them (it never creates one)
    expect((await http("POST", "/api/conversations/1on1", { token: ann.token, body: { receiverId: ben._id } })).status).toBe(201);
    const { socket: sa } = await io001(ann, [], ["websocket"]);
    const { socket: sb } = await io001(ben);
    const statuses = record(sb, "typingStatus");

    const on = next(sb, "typingStatus", (t) => t.isTyping === true);
    expect(await emitAck(sa, "typing", { recipientId: ben._id })).toMatchObject({ success: true });
    expect(await on).toMatchObject({ senderId: ann._id, isTyping: true });
    const off = next(sb, "typingStatus", (t) => t.isTyping === false);
    expect(await emitAck(sa, "stopTyping", { recipientId: ben._id })).toMatchObject({ success: true });
    expect(await off).toMatchObject({ senderId: ann._id, isTyping: false });
    expect(statuses.events.map(([t]) => t.isTyping)).toEqual([true, false]);
  });

  it("userStatus {userId, isOnline, lastSeen} reaches friends when a friend connects and disconnects", async () => {
    const ann = await user000("Ann Status");
    const ben = await user000("Ben Status");
    const stranger = await user000("Stranger Status");
    await befriend(ann, ben);
    const { socket: sa } = await io001(ann);
    const { socket: ss } = await io001(stranger, [], ["websocket"]);
    const strangerHeard = record(ss, "userStatus");

    const online = next(sa, "userStatus", (s) => s._id === ben._id && s.isOnline === true);
    const { socket: sb } = await io001(ben, [], ["websocket"]);
    const up = await online;
    expect(up).toMatchObject({ userId: ben.userId, isOnline: true });
    expect(typeof up.isOnline).toBe("boolean");
    expect(up.lastSeen === null || ISO.test(up.lastSeen)).toBe(true);

    // GET /api/friends agrees
    const friends = await http("GET", "/api/friends", { token: ann.token });
    expect(friends.body.friends.find((f: any) => f._id === ben._id)).toMatchObject({ isOnline: true });

    const offline = next(sa, "userStatus", (s) => s._id === ben._id && s.isOnline === false);
    sb.close();
    const down = await offline;
    expect(down).toMatchObject({ userId: ben.userId, isOnline: false, lastSeen: expect.stringMatching(ISO) });
    expect(strangerHeard.events).toEqual([]);
  });

  it("errors: unknown recipient, blocked sender (Access denied), bad payloads", async () => {
    const ann = await user000("Ann Bad");
    const ben = await user000("Ben Bad");
    const { socket: sa } = await io001(ann);
    const errors = record(sa, "error");
    expectErrorAck(await emitAck(sa, "sendMessage", { recipientId: "0123456789abcdef01234567", text: "x" }), 404, "Receiver not found");
    expectErrorAck(await emitAck(sa, "sendMessage", { recipientId: ben._id }), 400, /text/);
    expectErrorAck(await emitAck(sa, "sendMessage", { recipientId: ben._id, text: "x", attachment: { type: "image" } }), 400, /attachment/);
    expectErrorAck(await emitAck(sa, "sendMessage", { text: "to whom?" }), 400, /recipientId/);
    expectErrorAck(await emitAck(sa, "typing", {}), 400, /recipientId/);
    expectErrorAck(await emitAck(sa, "stopTyping", { recipientId: "nobody" }), 400, /recipientId/);

    expect((await http("PUT", `/api/conversations/${ann._id}/metadata`, { token: ben.token, body: { isBlocked: true } })).status).toBe(200);
    expectErrorAck(await emitAck(sa, "sendMessage", { recipientId: ben._id, text: "blocked?" }), 403, "Access denied");
    expectErrorAck(await emitAck(sa, "typing", { recipientId: ben._id }), 403, "Access denied");
    await new Promise((r) => setTimeout(r, 200));
    expect(errors.events.map(([e]) => typeof e.message)).toEqual(Array(8).fill("string"));
    expect(errors.events.at(-1)![0]).toEqual({ message: "Access denied" });
  });
});

describe("001 client <-> 002 client", () => {
  it("each hears the other in its own document's events", async () => {
    const one = await user000("Client One");
    const two = await user000("Client Two");
    await befriend(one, two);
    const { socket: s1 } = await io001(one, [], ["websocket"]);
    // the 002 snippet: auth token, websocket then polling
    const { socket: s2 } = await connectWith(two.token, [], { transports: ["websocket", "polling"] });

    // 001 -> 002: receive_message (002 view) and message_notification
    const at002 = next(s2, "receive_message");
    const note = next(s2, "message_notification");
    const sent = await emitAck(s1, "sendMessage", { recipientId: two._id, text: "from a 001 client" });
    expect(await at002).toMatchObject({
      _id: sent._id,
      content: "from a 001 client",
      sentAt: sent.createdAt,
      read: false,
      senderId: one._id,
      senderName: "Client One",
      receiverId: two._id,
      receiverName: "Client Two",
    });
    expect(await note).toMatchObject({ type: "new_message", from: { _id: one._id, name: "Client One" }, message: "from a 001 client" });

    // 002 -> 001: receiveMessage (001 Message Schema)
    const at001 = next(s1, "receiveMessage");
    const reply = await emitAck(s2, "send_message", { receiverId: one._id, content: "from a 002 client" });
    const got = await at001;
    expectMessageSchema(got, two, one, "from a 002 client");
    expect(got._id).toBe(reply.message._id);
    expect(got.conversationId).toBe(sent.conversationId);

    // typing across: 002 typing_start -> 001 typingStatus; 001 typing -> 002 typing_indicator
    const typing001 = next(s1, "typingStatus", (t) => t.isTyping === true);
    await emitAck(s2, "typing_start", { receiverId: one._id });
    expect(await typing001).toMatchObject({ senderId: two._id, isTyping: true });
    const typing002 = next(s2, "typing_indicator", (t) => t.isTyping === true);
    await emitAck(s1, "typing", { recipientId: two._id });
    expect(await typing002).toMatchObject({ userId: one.userId, userName: "Client One", isTyping: true });

    // 002 marks the 001 message read -> the 001 sender sees status read in its history
    const readNote = next(s1, "message_read");
    await emitAck(s2, "mark_message_read", { messageId: sent._id });
    expect(await readNote).toMatchObject({ messageId: sent._id, readBy: { _id: two._id, name: "Client Two" } });
    const history = await http("GET", `/api/messages/${two._id}`, { token: one.token });
    expect(history.body.find((m: any) => m._id === sent._id)).toMatchObject({ status: "read" });

    // presence: the 001 client hears userStatus when the 002 client leaves
    const status = next(s1, "userStatus", (s) => s._id === two._id && s.isOnline === false);
    s2.close();
    expect(await status).toMatchObject({ userId: two.userId, isOnline: false, lastSeen: expect.stringMatching(ISO) });
  });
});

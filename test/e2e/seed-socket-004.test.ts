/**
 * 004 "Socket.IO Events" to the letter, against `wrangler dev`: users from
 * 004's form login (the `chat-socket` dialect), `io(url, {auth: {token}})`
 * with default transports. The document's `ChatService` class runs as
 * written; the Python client's event use (`data['message']`,
 * `data['sender_name']`, `data['email']`) is asserted on the payloads; every
 * client -> server event acks; and a 004 client chats with a 002 client.
 */
import { afterEach, describe, expect, it } from "vitest";
import { http } from "./client";
import { connectWith, emitAck, expectErrorAck, ISO, next, OBJECT_ID, type SeedUser, user000, user004 } from "./seed-socket-helpers";
import { closeAll, record, type Socket, socketFor, waitFor } from "./sockets";

afterEach(() => closeAll());

/** 004's `ChatService`, as written; `io(...)` is the stock client, the handlers record. */
class ChatService {
  socket: Socket;
  newMessages: any[] = [];
  typing: any[] = [];
  logs: string[] = [];
  constructor(token: string) {
    this.socket = socketFor(token); // io('http://localhost:8000', { auth: { token } })
    this.setupEventListeners();
  }
  setupEventListeners() {
    this.socket.on("connect", () => {
      this.logs.push("Connected to chat server");
    });
    this.socket.on("new_message", (message: any) => {
      this.handleNewMessage(message);
    });
    this.socket.on("user_typing", (data: any) => {
      this.handleTypingIndicator(data);
    });
  }
  handleNewMessage(message: any) {
    this.newMessages.push(message);
  }
  handleTypingIndicator(data: any) {
    this.typing.push(data);
  }
  sendMessage(toEmail: string, message: string) {
    this.socket.emit("send_message", { to_email: toEmail, message: message, message_type: "text" });
  }
  joinConversation(conversationId: string) {
    this.socket.emit("join_conversation", { conversation_id: conversationId });
  }
  startTyping(conversationId: string) {
    this.socket.emit("typing_start", { conversation_id: conversationId });
  }
  stopTyping(conversationId: string) {
    this.socket.emit("typing_stop", { conversation_id: conversationId });
  }
}

/** Every documented field of 004's `new_message` / REST message. */
function expect004Message(m: any, from: SeedUser, text: string, conversationId?: string) {
  expect(m).toMatchObject({
    id: expect.stringMatching(OBJECT_ID),
    conversation_id: conversationId ?? expect.stringMatching(OBJECT_ID),
    sender_email: from.email,
    sender_name: from.name,
    message: text,
    timestamp: expect.stringMatching(ISO),
    message_type: "text",
  });
  expect("reply_to" in m).toBe(true);
}

const until = async (check: () => boolean, what: string, ms = 8000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe("004 ChatService, run as written", () => {
  it("sendMessage -> new_message to both; joinConversation + startTyping/stopTyping -> user_typing", async () => {
    const ann = await user004("Ann Four");
    const ben = await user004("Ben Four");
    const annChat = new ChatService(ann.token);
    const benChat = new ChatService(ben.token);
    await Promise.all([waitFor(annChat.socket, "connect", { timeout: 8000 }), waitFor(benChat.socket, "connect", { timeout: 8000 })]);
    expect(annChat.logs).toEqual(["Connected to chat server"]);

    const note = next(benChat.socket, "message_notification");
    annChat.sendMessage(ben.email, "Hello there!");
    await until(() => benChat.newMessages.length === 1 && annChat.newMessages.length === 1, "new_message on both");
    const [got] = benChat.newMessages;
    expect004Message(got, ann, "Hello there!");
    expect(got.reply_to).toBeNull();
    expect(annChat.newMessages[0]).toEqual(got);
    const conversationId = got.conversation_id;
    expect(await note).toMatchObject({ conversation_id: conversationId, sender_email: ann.email, sender_name: "Ann Four", message: "Hello there!" });

    // the REST side agrees (GET /api/conversations: a bare array for 004 tokens)
    const list = await http("GET", "/api/conversations", { token: ben.token });
    expect(list.body).toEqual([
      expect.objectContaining({ conversation_id: conversationId, participants: expect.arrayContaining([ann.email, ben.email]), last_message: "Hello there!", last_message_sender: ann.email, unread_count: 1 }),
    ]);

    const annJoined = next(annChat.socket, "joined_conversation");
    const benJoined = next(benChat.socket, "joined_conversation");
    annChat.joinConversation(conversationId);
    benChat.joinConversation(conversationId);
    expect(await annJoined).toMatchObject({ conversation_id: conversationId });
    expect(await benJoined).toMatchObject({ conversation_id: conversationId });

    annChat.startTyping(conversationId);
    await until(() => benChat.typing.length === 1, "user_typing on");
    expect(benChat.typing[0]).toMatchObject({ conversation_id: conversationId, user_email: ann.email, typing: true });
    annChat.stopTyping(conversationId);
    await until(() => benChat.typing.length === 2, "user_typing off");
    expect(benChat.typing[1]).toMatchObject({ conversation_id: conversationId, user_email: ann.email, typing: false });
    expect(annChat.typing).toEqual([]); // the typist does not hear itself
  });
});

describe("004 events with acknowledgements", () => {
  it("send_message (to_email, conversation_id, reply_to), rooms, mark_as_read, typing, get_online_users", async () => {
    const ann = await user004("Ann Ack4");
    const ben = await user004("Ben Ack4");
    const { socket: sa } = await connectWith(ann.token, []);
    const { socket: sb } = await connectWith(ben.token, [], { transports: ["polling"] });

    const benNew = next(sb, "new_message");
    const sent = await emitAck(sa, "send_message", { to_email: ben.email, message: "Hello there!", message_type: "text" });
    expect004Message(sent, ann, "Hello there!");
    expect(sent.reply_to).toBeNull();
    expect(await benNew).toMatchObject({ id: sent.id, conversation_id: sent.conversation_id, timestamp: sent.timestamp });
    const conv = sent.conversation_id as string;

    // the ack of send_message is the REST body of POST /api/messages/send
    const rest = await http("POST", "/api/messages/send", { token: ann.token, body: { to_email: ben.email, message: "over REST", message_type: "text" } });
    expect(rest.status).toBe(200);
    expect(Object.keys(sent).sort()).toEqual(Object.keys(rest.body).sort());

    const joinedEvent = next(sb, "joined_conversation");
    const joined = await emitAck(sb, "join_conversation", { conversation_id: conv });
    expect(joined).toMatchObject({ conversation_id: conv });
    expect(await joinedEvent).toEqual(joined);
    await emitAck(sa, "join_conversation", { conversation_id: conv });

    const reply = next(sa, "new_message", (m) => m.message === "Hi! How are you?");
    const answered = await emitAck(sb, "send_message", { conversation_id: conv, message: "Hi! How are you?", message_type: "text", reply_to: sent.id });
    expect004Message(answered, ben, "Hi! How are you?", conv);
    expect(answered.reply_to).toBe(sent.id);
    expect(await reply).toMatchObject({ id: answered.id, reply_to: sent.id });

    const typingOn = next(sa, "user_typing", (t) => t.typing === true);
    expect(await emitAck(sb, "typing_start", { conversation_id: conv })).toMatchObject({ success: true });
    expect(await typingOn).toMatchObject({ conversation_id: conv, user_email: ben.email, typing: true });
    const typingOff = next(sa, "user_typing", (t) => t.typing === false);
    expect(await emitAck(sb, "typing_stop", { conversation_id: conv })).toMatchObject({ success: true });
    expect(await typingOff).toMatchObject({ conversation_id: conv, user_email: ben.email, typing: false });

    const markedForAnn = next(sa, "marked_as_read");
    const markedForBen = next(sb, "marked_as_read");
    const marked = await emitAck(sb, "mark_as_read", { conversation_id: conv });
    expect(marked).toMatchObject({ message: "Conversation marked as read" });
    expect(await markedForBen).toMatchObject({ conversation_id: conv, user_email: ben.email });
    expect(await markedForAnn).toMatchObject({ conversation_id: conv, user_email: ben.email });
    const convs = await http("GET", "/api/conversations", { token: ben.token });
    expect(convs.body.find((c: any) => c.conversation_id === conv)).toMatchObject({ unread_count: 0 });

    const listed = next(sa, "online_users");
    const online = await emitAck(sa, "get_online_users");
    expect(online).toEqual({ users: [ben.email] });
    expect(await listed).toEqual(online);
    // emitted without data and without an ack, exactly as the document does
    const plain = next(sb, "online_users");
    sb.emit("get_online_users");
    expect(await plain).toEqual({ users: [ann.email] });

    const leftEvent = next(sa, "left_conversation");
    const left = await emitAck(sa, "leave_conversation", { conversation_id: conv });
    expect(left).toMatchObject({ conversation_id: conv });
    expect(await leftEvent).toEqual(left);
  });

  it("the Python client's fields: new_message data['message'] / data['sender_name'], user_online / user_offline data['email']", async () => {
    const ann = await user004("Ann Py");
    const ben = await user004("Ben Py");
    // a conversation opened without a word relates nobody (README, "Presence" under "Real time"): presence follows the first message
    const start = await http("POST", "/api/conversations/start", { token: ann.token, form: { to_email: ben.email } });
    expect(start.status).toBe(200);
    expect(start.body).toMatchObject({ conversation_id: expect.stringMatching(OBJECT_ID), participants: expect.arrayContaining([ann.email, ben.email]) });

    const { socket: sa } = await connectWith(ann.token, [], { transports: ["websocket"] });
    const { socket: sb } = await connectWith(ben.token, []);
    const arrived = next(sa, "new_message");
    sb.emit("send_message", { to_email: ann.email, message: "from python", message_type: "text" });
    const data = await arrived;
    expect(`New message: ${data.message} from ${data.sender_name}`).toBe("New message: from python from Ben Py");
    expect(data.conversation_id).toBe(start.body.conversation_id);

    // now they are conversation partners: each sees the other come and go
    const offline = next(sa, "user_offline", (d) => d.email === ben.email);
    sb.close();
    expect((await offline).email).toBe(ben.email);
    const online = next(sa, "user_online", (d) => d.email === ben.email);
    const { socket: again } = await connectWith(ben.token, []);
    const up = await online;
    expect(`User ${up.email} came online`).toBe(`User ${ben.email} came online`);
    again.close();
  });
});

describe("004 errors", () => {
  it("unknown recipient, non-member rooms, bad payloads (422), blocked sender: error event {message} and an error ack", async () => {
    const ann = await user004("Ann Err4");
    const ben = await user004("Ben Err4");
    const carl = await user004("Carl Err4");
    const { socket: sa } = await connectWith(ann.token, []);
    const errors = record(sa, "error");

    expectErrorAck(await emitAck(sa, "send_message", { to_email: "nobody-here@example.com", message: "x" }), 404, /not found/);
    expectErrorAck(await emitAck(sa, "send_message", { to_email: "not-an-email", message: "x" }), 422, /to_email/);
    expectErrorAck(await emitAck(sa, "send_message", { to_email: ben.email, message: "" }), 422, /message/);
    expectErrorAck(await emitAck(sa, "send_message", { to_email: ben.email, message: "x", message_type: "sticker" }), 422, /message_type/);
    expectErrorAck(await emitAck(sa, "send_message", { message: "to whom?" }), 422, /to_email/);
    expectErrorAck(await emitAck(sa, "join_conversation", {}), 422, /conversation_id/);
    expectErrorAck(await emitAck(sa, "mark_as_read", { conversation_id: "zzz" }), 422, /conversation_id/);

    // a conversation Ann is not part of
    const theirs = await http("POST", "/api/conversations/start", { token: ben.token, form: { to_email: carl.email } });
    const foreign = theirs.body.conversation_id as string;
    expectErrorAck(await emitAck(sa, "join_conversation", { conversation_id: foreign }), 404, /not found/i);
    expectErrorAck(await emitAck(sa, "send_message", { conversation_id: foreign, message: "sneak" }), 404, /not found/i);
    expectErrorAck(await emitAck(sa, "typing_start", { conversation_id: foreign }), 404, /not found/i);

    // Ben blocks Ann
    expect((await http("PUT", `/api/conversations/${ann._id}/metadata`, { token: ben.token, body: { isBlocked: true } })).status).toBe(200);
    expectErrorAck(await emitAck(sa, "send_message", { to_email: ben.email, message: "blocked?" }), 403, "Access denied");
    await new Promise((r) => setTimeout(r, 200));
    expect(errors.events).toHaveLength(11);
    for (const [e] of errors.events) expect(typeof e.message).toBe("string");
    expect(errors.events.at(-1)![0]).toEqual({ message: "Access denied" });
  });
});

describe("004 client <-> 002 client (each with its own login)", () => {
  it("messages, notifications, typing and presence arrive in each client's own names", async () => {
    const four = await user004("Client Four");
    const two = await user000("Client Two");
    const { socket: s4 } = await connectWith(four.token, []);
    const { socket: s2 } = await connectWith(two.token, [], { transports: ["websocket", "polling"] });
    const stray002 = record(s2, "new_message");
    const stray004 = record(s4, "receive_message");

    // 004 -> 002 by email
    const at002 = next(s2, "receive_message");
    const note002 = next(s2, "message_notification");
    const sent = await emitAck(s4, "send_message", { to_email: two.email, message: "hi from 004", message_type: "text" });
    expect(await at002).toMatchObject({
      _id: sent.id,
      content: "hi from 004",
      sentAt: sent.timestamp,
      read: false,
      senderId: four._id,
      senderName: "Client Four",
      receiverId: two._id,
      receiverName: "Client Two",
    });
    expect(await note002).toMatchObject({
      type: "new_message",
      from: { _id: four._id, name: "Client Four" },
      message: "hi from 004",
      timestamp: sent.timestamp,
      conversation_id: sent.conversation_id,
      sender_email: four.email,
      sender_name: "Client Four",
    });

    // 002 -> 004 by receiverId
    const at004 = next(s4, "new_message", (m) => m.message === "hi from 002");
    const note004 = next(s4, "message_notification");
    const reply = await emitAck(s2, "send_message", { receiverId: four._id, content: "hi from 002" });
    expect004Message(await at004, two, "hi from 002", sent.conversation_id);
    expect(await note004).toMatchObject({
      conversation_id: sent.conversation_id,
      sender_email: two.email,
      sender_name: "Client Two",
      message: "hi from 002",
      type: "new_message",
      from: { _id: two._id, name: "Client Two" },
    });
    expect(reply.message.conversationId).toBe(sent.conversation_id);

    // typing: the 004 client joins the room and hears user_typing; the 002 client hears typing_indicator
    await emitAck(s4, "join_conversation", { conversation_id: sent.conversation_id });
    const typing004 = next(s4, "user_typing", (t) => t.typing === true);
    await emitAck(s2, "typing_start", { receiverId: four._id });
    expect(await typing004).toMatchObject({ conversation_id: sent.conversation_id, user_email: two.email, typing: true });
    const typing002 = next(s2, "typing_indicator", (t) => t.isTyping === true);
    await emitAck(s4, "typing_start", { conversation_id: sent.conversation_id });
    expect(await typing002).toMatchObject({ userId: four.userId, userName: "Client Four", isTyping: true });

    // a 004 client may use 002's send_message {receiverId}: it gets message_sent, and message_read when it is read
    const sentTo002 = next(s4, "message_sent");
    const own = await emitAck(s4, "send_message", { receiverId: two._id, content: "002 style from 004" });
    expect(own).toMatchObject({ success: true, message: { content: "002 style from 004", senderId: four._id, receiverId: two._id } });
    expect(await sentTo002).toEqual(own);
    const readBy002 = next(s4, "message_read");
    await emitAck(s2, "mark_message_read", { messageId: own.message._id });
    expect(await readBy002).toMatchObject({ messageId: own.message._id, readBy: { _id: two._id, name: "Client Two" }, readAt: expect.stringMatching(ISO) });

    // 004 marks the conversation read: the 002 sender's message_status says read
    const read = next(s2, "message_status", (s) => s.status === "read");
    await emitAck(s4, "mark_as_read", { conversation_id: sent.conversation_id });
    expect(await read).toMatchObject({ messageId: reply.message._id, status: "read" });

    // presence: the 002 client sees the 004 user go and come back with both documents' fields
    const offline = next(s2, "user_offline", (u) => u._id === four._id);
    s4.close();
    expect(await offline).toMatchObject({ userId: four.userId, _id: four._id, email: four.email, lastSeen: expect.stringMatching(ISO) });
    const online = next(s2, "user_online", (u) => u._id === four._id);
    const { socket: again } = await connectWith(four.token, []);
    expect(await online).toMatchObject({ userId: four.userId, _id: four._id, name: "Client Four", email: four.email });
    expect(await emitAck(again, "get_online_users")).toEqual({ users: [two.email] });

    expect(stray002.events).toEqual([]);
    expect(stray004.events).toEqual([]);
  });
});

/**
 * Real-time messaging between real socket.io-client instances against
 * `wrangler dev`: every socket event of 001-004 in both dialects, across
 * transports (a polling-only client talking to a websocket-only one),
 * several devices of one user, a group of 5, a blocked sender, bad payloads,
 * typing that ends by itself, delivery and read status.
 *
 * "Exactly once" is checked with a marker: deliveries to a connection keep
 * the conversation's order, so once a later message has arrived, a
 * duplicate of an earlier one would have arrived before it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type FormUser, formLogin, http } from "./client";
import { ack, closeAll, type ConnectOptions, connect, record, type Socket, socketFor, waitFor } from "./sockets";

type U = FormUser;

const login = (name: string) => formLogin(name, "msg");

/** A standard-dialect (001/002/003) connection. */
const std = (u: U, opts: ConnectOptions = {}) => connect(u.token, { ...opts, query: { ...(opts.query ?? {}), dialect: "standard" } });
/** A chat-socket (004) connection. */
const chat = (u: U, opts: ConnectOptions = {}) => connect(u.token, opts);

/** Resolves when `socket` gets `event` whose first argument matches `filter`. */
const next = (socket: Socket, event: string, filter?: (p: any) => boolean, timeout = 8000) =>
  waitFor(socket, event, { timeout, filter: filter ? (p: any) => filter(p) : undefined }).then((args) => args[0]);

async function conversationOf(a: U, b: U): Promise<string> {
  const res = await http("POST", "/api/conversations/start", { token: a.token, form: { to_email: b.email } });
  expect(res.status).toBe(200);
  return res.body.conversation_id;
}

describe("002 messaging (standard dialect)", () => {
  afterEach(() => closeAll());

  it("send_message -> message_sent, receive_message, message_notification, delivered; reads, history, unread (websocket <-> polling)", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    const sa = await std(ann, { mode: "websocket" });
    const sb = await std(ben, { mode: "polling" });

    const received = record(sb, "receive_message");
    const gotReceive = next(sb, "receive_message");
    const got001 = next(sb, "receiveMessage");
    const gotNote = next(sb, "message_notification");
    const sentEvent = next(sa, "message_sent");
    const delivered = next(sa, "message_status", (s) => s.status === "delivered");
    const reply = await ack(sa, "send_message", { receiverId: ben._id, content: "hello ben" });
    expect(reply).toMatchObject({
      success: true,
      message: { content: "hello ben", senderId: ann._id, senderName: "Ann", receiverId: ben._id, receiverName: "Ben", read: false },
    });
    const id = reply.message._id as string;
    expect(reply.message.sentAt).toEqual(expect.any(String));
    expect(await sentEvent).toEqual(reply);

    expect(await gotReceive).toMatchObject({
      _id: id,
      content: "hello ben",
      sentAt: reply.message.sentAt,
      read: false,
      senderId: ann._id,
      senderName: "Ann",
      receiverId: ben._id,
      receiverName: "Ben",
    });
    expect(await got001).toMatchObject({ _id: id, senderId: ann._id, recipientId: ben._id, text: "hello ben", createdAt: reply.message.sentAt });
    expect(await gotNote).toMatchObject({ type: "new_message", from: { _id: ann._id, name: "Ann" }, message: "hello ben", timestamp: reply.message.sentAt });
    expect(await delivered).toMatchObject({ messageId: id, conversationId: reply.message.conversationId, status: "delivered" });
    // the 001 view's status reflects it
    const withBen = await http("GET", `/api/messages/${ben._id}`, { token: ann.token });
    expect(withBen.body.map((m: any) => [m._id, m.status])).toEqual([[id, "delivered"]]);

    // unread count and history over the socket
    const unreadEvent = next(sb, "unread_count");
    expect(await ack(sb, "get_unread_count")).toMatchObject({ count: 1 });
    expect(await unreadEvent).toMatchObject({ count: 1 });
    const historyEvent = next(sb, "message_history");
    const history = await ack(sb, "get_message_history", { otherUserId: ann._id, page: 1, limit: 50 });
    expect(history.messages.map((m: any) => m._id)).toEqual([id]);
    expect(history.messages[0]).toMatchObject({ content: "hello ben", senderName: "Ann", receiverName: "Ben" });
    expect(history.otherUser).toMatchObject({ _id: ann._id, name: "Ann" });
    expect(history.pagination).toMatchObject({ page: 1, hasMore: false });
    expect(await historyEvent).toEqual(history);

    // mark read: confirmation to the reader, message_read and the read status to the sender
    const readNote = next(sa, "message_read");
    const readStatus = next(sa, "message_status", (s) => s.status === "read");
    const confirmed = next(sb, "message_read_confirmed");
    const read = await ack(sb, "mark_message_read", { messageId: id });
    expect(read).toMatchObject({ success: true, message: { _id: id, read: true } });
    expect(await confirmed).toEqual(read);
    expect(await readNote).toMatchObject({ messageId: id, readBy: { _id: ben._id, name: "Ben" }, readAt: expect.any(String) });
    expect(await readStatus).toMatchObject({ messageId: id, status: "read" });
    expect(await ack(sb, "get_unread_count")).toMatchObject({ count: 0 });

    // the other way round: polling sends, websocket receives; then a marker proves no duplicate
    const back = next(sa, "receive_message");
    const answer = await ack(sb, "send_message", { receiverId: ann._id, content: "hi ann" });
    expect(await back).toMatchObject({ _id: answer.message._id, content: "hi ann", senderId: ben._id });
    const marker = next(sb, "receive_message", (m) => m.content === "marker");
    await ack(sa, "send_message", { receiverId: ben._id, content: "marker" });
    await marker;
    expect(received.events.map(([m]) => m.content)).toEqual(["hello ben", "marker"]);
  });

  it("typing_start / typing_stop by receiverId -> typing_indicator; an unfinished typing ends by itself", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    await conversationOf(ann, ben); // typing to a user never creates a conversation
    const sa = await std(ann, { mode: "polling" });
    const sb = await std(ben, { mode: "websocket" });
    const indicators = record(sb, "typing_indicator");

    const on = next(sb, "typing_indicator", (t) => t.isTyping === true);
    expect(await ack(sa, "typing_start", { receiverId: ben._id })).toMatchObject({ success: true, typing: true });
    expect(await on).toMatchObject({ userId: ann.userId, _id: ann._id, userName: "Ann", isTyping: true });
    const off = next(sb, "typing_indicator", (t) => t.isTyping === false);
    await ack(sa, "typing_stop", { receiverId: ben._id });
    expect(await off).toMatchObject({ userName: "Ann", isTyping: false });

    // start, then nothing: the conversation's alarm ends it (~5 s)
    const expired = next(sb, "typing_indicator", (t) => t.isTyping === false, 12_000);
    await ack(sa, "typing_start", { receiverId: ben._id });
    expect(await expired).toMatchObject({ userName: "Ann", isTyping: false });
    expect(indicators.events.map(([t]) => t.isTyping)).toEqual([true, false, true, false]);
  });

  it("connection and online_users on connect; user_online / user_offline between conversation partners", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    // conversation partners = people who exchanged messages (an empty conversation relates nobody)
    await conversationOf(ann, ben);
    expect((await http("POST", "/api/messages/send", { token: ann.token, body: { recipientId: ben._id, text: "hi" } })).status).toBe(201);
    const sa = await std(ann);
    const online = next(sa, "user_online", (u) => u._id === ben._id);
    const sb = socketFor(ben.token, { mode: "websocket", autoConnect: false, query: { dialect: "standard" } });
    const connection = next(sb, "connection");
    const list = next(sb, "online_users");
    sb.connect();
    expect(await connection).toMatchObject({ success: true, user: { _id: ben._id, name: "Ben" } });
    expect((await list).map((u: any) => u._id)).toEqual([ann._id]);
    expect(await online).toMatchObject({ userId: ben.userId, name: "Ben" });
    const offline = next(sa, "user_offline", (u) => u._id === ben._id);
    sb.close();
    expect(await offline).toMatchObject({ userId: ben.userId, lastSeen: expect.any(String) });
  });
});

describe("001 messaging (query token)", () => {
  afterEach(() => closeAll());

  it("sendMessage by recipientId -> ack with the 001 message, receiveMessage; typing/stopTyping -> typingStatus; userStatus", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    const sa = await std(ann, { placement: "query", mode: "websocket" });
    const sb = await std(ben, { placement: "query", mode: "polling" });

    const arrived = next(sb, "receiveMessage");
    const msg = await ack(sa, "sendMessage", { recipientId: ben._id, text: "from 001", attachment: null });
    expect(msg).toMatchObject({ _id: expect.any(String), conversationId: expect.any(String), senderId: ann._id, recipientId: ben._id, text: "from 001", status: "sent" });
    expect(await arrived).toMatchObject({ _id: msg._id, text: "from 001", senderId: ann._id, status: "sent" });

    const typing = next(sb, "typingStatus", (t) => t.isTyping === true);
    expect(await ack(sa, "typing", { recipientId: ben._id })).toMatchObject({ success: true, typing: true });
    expect(await typing).toMatchObject({ senderId: ann._id, isTyping: true });
    const stopped = next(sb, "typingStatus", (t) => t.isTyping === false);
    await ack(sa, "stopTyping", { recipientId: ben._id });
    expect(await stopped).toMatchObject({ senderId: ann._id, isTyping: false });

    // userStatus to the conversation partner when the other goes offline
    const status = next(sa, "userStatus", (s) => s._id === ben._id && s.isOnline === false);
    sb.close();
    expect(await status).toMatchObject({ userId: ben.userId, isOnline: false, lastSeen: expect.any(String) });
  });
});

describe("003 over the socket: a group of 5", () => {
  afterEach(() => closeAll());

  it("createGroup, joinGroup, sendMessage to the conversation, getMessages, markMessagesRead; each member gets each message once", async () => {
    const people = await Promise.all(["G1", "G2", "G3", "G4", "G5"].map(login));
    const [owner, ...others] = people;
    const sockets = await Promise.all(people.map((p, i) => std(p, { mode: i % 2 ? "polling" : "websocket" })));
    const created = await ack(sockets[0], "createGroup", { name: "Five", members: others.map((p) => p._id) });
    expect(created).toMatchObject({ success: true, statusCode: 201, message: "Group conversation created successfully", data: { type: "group", name: "Five" } });
    expect(created.data.members).toHaveLength(5);
    const conversationId = created.data._id as string;

    const joined = await ack(sockets[1], "joinGroup", { conversationId });
    expect(joined).toMatchObject({ success: true, statusCode: 200, data: { _id: conversationId } });

    const recorders = sockets.map((s) => record(s, "receive_message"));
    const texts = ["one", "two", "three"];
    const replies = [];
    for (const [i, text] of texts.entries()) {
      // senders rotate through the group; the sending connection gets its ack, not a copy
      replies.push(await ack(sockets[i], "sendMessage", { conversationId, message: text, messageType: "text", clientMsgId: `g-${i}` }));
    }
    for (const r of replies) expect(r).toMatchObject({ success: true, statusCode: 201, message: "Message sent successfully", data: { conversationId, status: "saved" } });
    // a marker from the last member
    const markers = sockets.slice(0, 4).map((s) => next(s, "receive_message", (m) => m.content === "marker"));
    await ack(sockets[4], "sendMessage", { conversationId, message: "marker" });
    await Promise.all(markers);
    for (const [i, rec] of recorders.entries()) {
      const expected = [...texts.filter((_, j) => j !== i), ...(i === 4 ? [] : ["marker"])];
      expect(rec.events.map(([m]) => m.content)).toEqual(expected);
    }

    // a repeated clientMsgId is the first message, delivered to nobody again
    const again = await ack(sockets[0], "sendMessage", { conversationId, message: "one", clientMsgId: "g-0" });
    expect(again).toMatchObject({ statusCode: 200, data: { _id: replies[0].data._id } });

    const page = await ack(sockets[2], "getMessages", { conversationId, page: 1, limit: 10 });
    expect(page).toMatchObject({ success: true, statusCode: 200, data: { pagination: { currentPage: 1, totalMessages: 4, hasNextPage: false } } });
    expect(page.data.messages.map((m: any) => m.message)).toEqual(["one", "two", "three", "marker"]);

    const marked = await ack(sockets[3], "markMessagesRead", { conversationId });
    expect(marked).toEqual({ success: true, statusCode: 200, message: "Messages marked as read", data: { modifiedCount: 4 } });
    const unread = await http("GET", `/api/messages/unread/count/${conversationId}`, { token: people[3].token });
    expect(unread.body.data.unreadCount).toBe(0);
    expect(created.data.createdBy).toBe(owner._id);
  });
});

describe("004 messaging (chat-socket dialect)", () => {
  afterEach(() => closeAll());

  it("send_message by to_email -> new_message to both, message_notification; rooms, user_typing, mark_as_read, get_online_users", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    const sa = await chat(ann, { mode: "websocket" });
    const sb = await chat(ben, { mode: "polling" });

    const mine = next(sa, "new_message");
    const theirs = next(sb, "new_message");
    const note = next(sb, "message_notification");
    const sent = await ack(sa, "send_message", { to_email: ben.email, message: "hi from 004", message_type: "text" });
    expect(sent).toMatchObject({ id: expect.any(String), conversation_id: expect.any(String), sender_email: ann.email, sender_name: "Ann", message: "hi from 004", message_type: "text", reply_to: null });
    const conv = sent.conversation_id as string;
    expect(await mine).toMatchObject({ id: sent.id, message: "hi from 004" });
    expect(await theirs).toMatchObject({ id: sent.id, conversation_id: conv, sender_email: ann.email, sender_name: "Ann", timestamp: sent.timestamp });
    expect(await note).toMatchObject({ conversation_id: conv, sender_email: ann.email, sender_name: "Ann", message: "hi from 004" });

    // rooms
    const joinedA = next(sa, "joined_conversation");
    expect(await ack(sa, "join_conversation", { conversation_id: conv })).toMatchObject({ conversation_id: conv });
    expect(await joinedA).toMatchObject({ conversation_id: conv });
    await ack(sb, "join_conversation", { conversation_id: conv });

    // typing by conversation
    const typingOn = next(sa, "user_typing", (t) => t.typing === true);
    expect(await ack(sb, "typing_start", { conversation_id: conv })).toMatchObject({ success: true, typing: true });
    expect(await typingOn).toEqual(expect.objectContaining({ conversation_id: conv, user_email: ben.email, typing: true }));
    const typingOff = next(sa, "user_typing", (t) => t.typing === false);
    await ack(sb, "typing_stop", { conversation_id: conv });
    expect(await typingOff).toMatchObject({ conversation_id: conv, user_email: ben.email, typing: false });

    // a reply by conversation_id, then mark_as_read
    const reply = next(sa, "new_message", (m) => m.message === "answer");
    await ack(sb, "send_message", { conversation_id: conv, message: "answer", reply_to: sent.id });
    expect(await reply).toMatchObject({ reply_to: sent.id, sender_email: ben.email });
    const readByBen = next(sa, "marked_as_read");
    const ownConfirmation = next(sb, "marked_as_read");
    const marked = await ack(sb, "mark_as_read", { conversation_id: conv });
    expect(marked).toMatchObject({ message: "Conversation marked as read", conversation_id: conv });
    expect(await ownConfirmation).toMatchObject({ conversation_id: conv, user_email: ben.email });
    expect(await readByBen).toMatchObject({ conversation_id: conv, user_email: ben.email });

    // online users (those whose presence Ann may see: her conversation partner)
    const listed = next(sa, "online_users");
    expect(await ack(sa, "get_online_users")).toEqual({ users: [ben.email] });
    expect(await listed).toEqual({ users: [ben.email] });

    // leaving the room: no more user_typing for Ann's connection
    const left = next(sa, "left_conversation");
    expect(await ack(sa, "leave_conversation", { conversation_id: conv })).toMatchObject({ conversation_id: conv });
    expect(await left).toMatchObject({ conversation_id: conv });
    const typings = record(sa, "user_typing");
    await ack(sb, "typing_start", { conversation_id: conv });
    await ack(sb, "typing_stop", { conversation_id: conv });
    const marker = next(sa, "new_message", (m) => m.message === "after leaving");
    await ack(sb, "send_message", { conversation_id: conv, message: "after leaving" });
    await marker; // new_message reaches members whether or not they joined the room
    expect(typings.events).toEqual([]);
  });

  it("a 004 client and a 002 client chat with each other, each in its own dialect", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    const sa = await chat(ann); // default transports: polling, then upgrade
    const sb = await std(ben, { mode: "polling" });
    const at002 = next(sb, "receive_message");
    const legacy = record(sb, "new_message");
    await ack(sa, "send_message", { to_email: ben.email, message: "004 -> 002" });
    expect(await at002).toMatchObject({ content: "004 -> 002", senderId: ann._id, senderName: "Ann" });
    const at004 = next(sa, "new_message", (m) => m.message === "002 -> 004");
    const own002 = record(sb, "receive_message");
    await ack(sb, "send_message", { receiverId: ann._id, content: "002 -> 004" });
    expect(await at004).toMatchObject({ sender_email: ben.email, sender_name: "Ben" });
    expect(legacy.events).toEqual([]);
    expect(own002.events).toEqual([]); // the 002 sender gets message_sent, not its own message back
  });
});

describe("several devices, blocking, bad payloads", () => {
  afterEach(() => closeAll());

  it("every device of both users gets the message once, in its dialect; the sending connection gets only its confirmation", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    const annPhone = await std(ann, { mode: "websocket" });
    const annLaptop = await std(ann, { mode: "polling" });
    const annWeb = await chat(ann, { mode: "websocket" });
    const benPhone = await std(ben, { mode: "polling" });
    const benWeb = await chat(ben, { mode: "websocket" });

    const rec = {
      phoneSent: record(annPhone, "message_sent"),
      phoneReceive: record(annPhone, "receive_message"),
      laptopSent: record(annLaptop, "message_sent"),
      laptopReceive: record(annLaptop, "receive_message"),
      annWeb: record(annWeb, "new_message"),
      benPhone: record(benPhone, "receive_message"),
      benWeb: record(benWeb, "new_message"),
    };
    const first = await ack(annPhone, "send_message", { receiverId: ben._id, content: "m1", clientMsgId: "multi-1" });
    const second = await ack(annPhone, "send_message", { receiverId: ben._id, content: "m2", clientMsgId: "multi-2" });
    // a retry of m1 (same clientMsgId) is the same message, and nobody gets it twice
    const retry = await ack(annPhone, "send_message", { receiverId: ben._id, content: "m1", clientMsgId: "multi-1" });
    expect(retry.message._id).toBe(first.message._id);
    const markers = [
      // every stream asserted below, up to its last event
      next(annPhone, "message_sent", (m) => m.message.content === "marker"),
      next(annLaptop, "message_sent", (m) => m.message.content === "marker"),
      next(annWeb, "new_message", (m) => m.message === "marker"),
      next(benPhone, "receive_message", (m) => m.content === "marker"),
      next(benWeb, "new_message", (m) => m.message === "marker"),
    ];
    const marker = await ack(annLaptop, "send_message", { receiverId: ben._id, content: "marker" });
    await Promise.all(markers);
    void second;
    void marker;

    // its own three confirmations (the retry confirms again), then the laptop's message as another device
    expect(rec.phoneSent.events.map(([m]) => m.message.content)).toEqual(["m1", "m2", "m1", "marker"]);
    expect(rec.phoneReceive.events).toEqual([]);
    expect(rec.laptopSent.events.map(([m]) => m.message.content)).toEqual(["m1", "m2", "marker"]);
    expect(rec.laptopReceive.events).toEqual([]);
    expect(rec.annWeb.events.map(([m]) => m.message)).toEqual(["m1", "m2", "marker"]);
    expect(rec.benPhone.events.map(([m]) => m.content)).toEqual(["m1", "m2", "marker"]);
    expect(rec.benWeb.events.map(([m]) => m.message)).toEqual(["m1", "m2", "marker"]);
  });

  it("a blocked sender gets 403 Access denied as an error event and an error ack, and nothing is delivered", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    const block = await http("PUT", `/api/conversations/${ann._id}/metadata`, { token: ben.token, body: { isBlocked: true } });
    expect(block.status).toBe(200);
    const sa = await std(ann, { mode: "websocket" });
    const sb = await std(ben, { mode: "polling" });
    const got = record(sb, "receive_message");
    const error = next(sa, "error");
    const reply = await ack(sa, "send_message", { receiverId: ben._id, content: "let me in" });
    expect(reply).toMatchObject({ success: false, statusCode: 403, message: "Access denied" });
    expect(await error).toEqual({ message: "Access denied" });
    const typingError = await ack(sa, "typing_start", { receiverId: ben._id });
    expect(typingError).toMatchObject({ statusCode: 403, message: "Access denied" });
    const sc = await chat(ann);
    expect(await ack(sc, "send_message", { to_email: ben.email, message: "004 too" })).toMatchObject({ statusCode: 403, message: "Access denied" });
    // Ben still hears from others
    const carl = await login("Carl");
    const sCarl = await std(carl, { mode: "websocket" });
    const fromCarl = next(sb, "receive_message");
    await ack(sCarl, "send_message", { receiverId: ben._id, content: "carl here" });
    expect(await fromCarl).toMatchObject({ content: "carl here" });
    expect(got.events.map(([m]) => m.content)).toEqual(["carl here"]);
  });

  it("bad payloads get an error event and an error ack naming the problem", async () => {
    const ann = await login("Ann");
    const sa = await std(ann, { mode: "websocket" });
    const errors = record(sa, "error");
    const cases: [string, unknown, number, RegExp][] = [
      ["send_message", {}, 400, /receiverId/],
      ["send_message", { receiverId: "nope", content: "x" }, 400, /receiverId/],
      ["send_message", { receiverId: ann._id, content: "" }, 400, /content/],
      ["send_message", { to_email: "not-an-email", message: "x" }, 422, /to_email/],
      ["sendMessage", { conversationId: "123", message: "x" }, 400, /conversationId/],
      ["sendMessage", { recipientId: ann._id }, 400, /text/],
      ["mark_message_read", { messageId: 5 }, 400, /messageId/],
      ["get_message_history", { otherUserId: ann._id, page: 0 }, 400, /page/],
      ["typing_start", {}, 400, /conversation_id/],
      ["join_conversation", { conversation_id: "zz" }, 422, /conversation_id/],
      ["join_conversation", { conversation_id: "0123456789abcdef01234567" }, 404, /Conversation not found/],
      ["sync_messages", { conversationId: "0123456789abcdef01234567", since: "yesterday" }, 400, /since/],
      ["createGroup", { name: "", members: [] }, 400, /name/],
    ];
    for (const [event, payload, status, mention] of cases) {
      const reply = await ack(sa, event, payload);
      expect(reply, `${event} ${JSON.stringify(payload)}`).toMatchObject({ success: false, statusCode: status });
      expect(reply.message).toMatch(mention);
    }
    expect(errors.events.map(([e]) => e.message)).toHaveLength(cases.length);
    expect(errors.events.every(([e]) => typeof e.message === "string" && e.message.length > 0)).toBe(true);
  });
});

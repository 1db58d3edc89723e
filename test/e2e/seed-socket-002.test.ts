/**
 * 002 "Socket.IO Real-Time Messaging" to the letter, against `wrangler dev`
 * with the stock socket.io-client. Users come from 000's register (the
 * `standard` dialect a 002 client speaks); no dialect override anywhere.
 *
 * - the document's React `MessagingComponent` run as plain functions fed by
 *   a real socket made exactly as it makes it (`io(url, {auth: {token}})`);
 * - every 002 server event with every documented field, as a second real
 *   client sees it; acks on every client -> server event;
 * - the documented errors: `Receiver not found`, `Access denied`, bad payloads.
 */
import { afterEach, describe, expect, it } from "vitest";
import { http } from "./client";
import { befriend, connectWith, docSocket, emitAck, expectErrorAck, ISO, next, OBJECT_ID, type SeedUser, user000 } from "./seed-socket-helpers";
import { closeAll, record, type Socket, waitFor } from "./sockets";

afterEach(() => closeAll());

/**
 * 002's `MessagingComponent`, its React state as plain variables and its
 * handlers copied from the document (console calls kept as records).
 */
function messagingComponent(token: string) {
  const state = {
    messages: [] as any[],
    onlineUsers: [] as any[],
    typing: null as string | null,
    errors: [] as string[],
    logs: [] as string[],
  };
  const setMessages = (f: (prev: any[]) => any[]) => (state.messages = f(state.messages));
  const setOnlineUsers = (v: any[]) => (state.onlineUsers = v);
  const setTyping = (v: string | null) => (state.typing = v);
  const console = { log: (s: string) => state.logs.push(s), error: (_s: string, m: string) => state.errors.push(m) };

  // Initialize Socket.IO connection (the document passes only `auth`: default transports)
  const newSocket = docSocket(token);

  newSocket.on("connect", () => {
    console.log("Connected to server");
    newSocket.emit("get_unread_count");
  });
  newSocket.on("online_users", (users: any[]) => {
    setOnlineUsers(users);
  });
  newSocket.on("receive_message", (message: any) => {
    setMessages((prev) => [...prev, message]);
  });
  newSocket.on("typing_indicator", (data: any) => {
    setTyping(data.isTyping ? data.userName : null);
  });
  newSocket.on("message_sent", (response: any) => {
    if (response.success) {
      setMessages((prev) => [...prev, response.message]);
    }
  });
  newSocket.on("error", (error: any) => {
    console.error("Socket error:", error.message);
  });
  const socket: Socket | null = newSocket;

  return {
    state,
    socket: newSocket,
    sendMessage: (receiverId: string, content: string) => socket && socket.emit("send_message", { receiverId, content }),
    startTyping: (receiverId: string) => socket && socket.emit("typing_start", { receiverId }),
    stopTyping: (receiverId: string) => socket && socket.emit("typing_stop", { receiverId }),
    markAsRead: (messageId: string) => socket && socket.emit("mark_message_read", { messageId }),
    unmount: () => newSocket.close(),
  };
}

/** Every documented field of a 002 message, for `message` sent by `from` to `to`. */
function expect002Message(m: any, from: SeedUser, to: SeedUser, content: string) {
  expect(m).toMatchObject({
    _id: expect.stringMatching(OBJECT_ID),
    content,
    sentAt: expect.stringMatching(ISO),
    read: false,
    senderId: from._id,
    senderName: from.name,
    receiverId: to._id,
    receiverName: to.name,
  });
}

const until = async (check: () => boolean, what: string, ms = 8000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe("002 MessagingComponent, run as written", () => {
  it("two components chat: online users, messages both ways, typing, read receipts, unread count, errors", async () => {
    const ann = await user000("Ann Two");
    const ben = await user000("Ben Two");
    await befriend(ann, ben);

    // Ben's component is up first; Ann's arrives and Ben hears user_online
    const benUi = messagingComponent(ben.token);
    await waitFor(benUi.socket, "connect", { timeout: 8000 });
    const annOnline = next(benUi.socket, "user_online", (u) => u._id === ann._id);
    const annUi = messagingComponent(ann.token);
    const annUnread = next(annUi.socket, "unread_count");
    const annConnection = next(annUi.socket, "connection");
    await waitFor(annUi.socket, "connect", { timeout: 8000 });

    expect(await annConnection).toEqual({ success: true, user: expect.objectContaining({ _id: ann._id, name: "Ann Two", username: expect.any(String) }) });
    // the connect handler's get_unread_count was answered
    expect(await annUnread).toMatchObject({ count: 0 });
    // online_users filled the component's list with the documented fields
    await until(() => annUi.state.onlineUsers.length > 0, "online users");
    expect(annUi.state.onlineUsers).toEqual([
      expect.objectContaining({
        userId: ben.userId,
        _id: ben._id,
        name: "Ben Two",
        username: expect.any(String),
        email: ben.email,
        role: expect.any(String),
        lastSeen: expect.stringMatching(ISO),
      }),
    ]);
    expect(await annOnline).toMatchObject({ userId: ann.userId, _id: ann._id, name: "Ann Two", username: expect.any(String), email: ann.email });
    expect(annUi.state.logs).toEqual(["Connected to server"]);

    // Ann sends; her list gets it through message_sent, Ben's through receive_message
    const note = next(benUi.socket, "message_notification");
    annUi.sendMessage(ben._id, "Hello, this is a message!");
    await until(() => annUi.state.messages.length === 1 && benUi.state.messages.length === 1, "message in both lists");
    const [mine] = annUi.state.messages;
    const [theirs] = benUi.state.messages;
    expect002Message(mine, ann, ben, "Hello, this is a message!");
    expect002Message(theirs, ann, ben, "Hello, this is a message!");
    expect(theirs._id).toBe(mine._id);
    expect(theirs.sentAt).toBe(mine.sentAt);
    expect(await note).toMatchObject({
      type: "new_message",
      from: { _id: ann._id, name: "Ann Two" },
      message: "Hello, this is a message!",
      timestamp: mine.sentAt,
    });

    // typing: Ben's indicator shows Ann's name, then clears
    annUi.startTyping(ben._id);
    await until(() => benUi.state.typing === "Ann Two", "typing shown");
    annUi.stopTyping(ben._id);
    await until(() => benUi.state.typing === null, "typing cleared");

    // Ben marks it read: he gets the confirmation, Ann gets message_read
    const confirmed = next(benUi.socket, "message_read_confirmed");
    const readByBen = next(annUi.socket, "message_read");
    benUi.markAsRead(mine._id);
    expect(await confirmed).toMatchObject({ success: true, message: { _id: mine._id, content: "Hello, this is a message!", read: true } });
    expect(await readByBen).toMatchObject({ messageId: mine._id, readBy: { _id: ben._id, name: "Ben Two" }, readAt: expect.stringMatching(ISO) });

    // Ben answers; both lists grow, in order
    benUi.sendMessage(ann._id, "Hi Ann");
    await until(() => annUi.state.messages.length === 2 && benUi.state.messages.length === 2, "reply in both lists");
    expect(annUi.state.messages.map((m) => m.content)).toEqual(["Hello, this is a message!", "Hi Ann"]);
    expect(benUi.state.messages.map((m) => m.content)).toEqual(["Hello, this is a message!", "Hi Ann"]);
    expect002Message(annUi.state.messages[1], ben, ann, "Hi Ann");

    // a receiver that does not exist reaches the component's error handler
    annUi.sendMessage("0123456789abcdef01234567", "anyone there?");
    await until(() => annUi.state.errors.length === 1, "error event");
    expect(annUi.state.errors).toEqual(["Receiver not found"]);
    expect(annUi.state.messages).toHaveLength(2);

    // Ben unmounts: Ann hears user_offline with lastSeen
    const offline = next(annUi.socket, "user_offline", (u) => u._id === ben._id);
    benUi.unmount();
    expect(await offline).toMatchObject({ userId: ben.userId, _id: ben._id, email: ben.email, lastSeen: expect.stringMatching(ISO) });
    expect(benUi.state.errors).toEqual([]);
  });
});

describe("002 events with acknowledgements", () => {
  it("every client -> server event acks with the body of its server event", async () => {
    const ann = await user000("Ann Ack");
    const ben = await user000("Ben Ack");
    // the document's connection snippet: websocket first, polling as fallback
    const { socket: sa } = await connectWith(ann.token, [], { transports: ["websocket", "polling"] });
    const { socket: sb } = await connectWith(ben.token, [], { transports: ["websocket", "polling"] });

    const sentEvent = next(sa, "message_sent");
    const received = next(sb, "receive_message");
    const sent = await emitAck(sa, "send_message", { receiverId: ben._id, content: "acked" });
    expect(sent).toMatchObject({ success: true });
    expect002Message(sent.message, ann, ben, "acked");
    expect(await sentEvent).toEqual(sent);
    expect((await received)._id).toBe(sent.message._id);

    const unreadEvent = next(sb, "unread_count");
    const unread = await emitAck(sb, "get_unread_count");
    expect(unread).toMatchObject({ count: 1 });
    expect(await unreadEvent).toEqual(unread);

    const historyEvent = next(sb, "message_history");
    const history = await emitAck(sb, "get_message_history", { otherUserId: ann._id, page: 1, limit: 50 });
    expect(history).toMatchObject({ otherUser: { _id: ann._id, name: "Ann Ack" }, pagination: { page: 1, hasMore: false } });
    expect(history.messages).toHaveLength(1);
    expect002Message(history.messages[0], ann, ben, "acked");
    expect(await historyEvent).toEqual(history);

    const indicatorOn = next(sb, "typing_indicator", (t) => t.isTyping === true);
    const startAck = await emitAck(sa, "typing_start", { receiverId: ben._id });
    expect(startAck).toMatchObject({ success: true });
    expect(await indicatorOn).toMatchObject({ userId: ann.userId, userName: "Ann Ack", isTyping: true });
    const indicatorOff = next(sb, "typing_indicator", (t) => t.isTyping === false);
    expect(await emitAck(sa, "typing_stop", { receiverId: ben._id })).toMatchObject({ success: true });
    expect(await indicatorOff).toMatchObject({ userId: ann.userId, userName: "Ann Ack", isTyping: false });

    const confirmedEvent = next(sb, "message_read_confirmed");
    const readEvent = next(sa, "message_read");
    const confirmed = await emitAck(sb, "mark_message_read", { messageId: sent.message._id });
    expect(confirmed).toMatchObject({ success: true, message: { _id: sent.message._id, read: true } });
    expect(await confirmedEvent).toEqual(confirmed);
    expect(await readEvent).toMatchObject({ messageId: sent.message._id, readBy: { _id: ben._id, name: "Ben Ack" } });
    expect(await emitAck(sb, "get_unread_count")).toMatchObject({ count: 0 });

    // get_message_history paginates: page 2 of 1-message pages is the older one
    await emitAck(sb, "send_message", { receiverId: ann._id, content: "second" });
    const page1 = await emitAck(sa, "get_message_history", { otherUserId: ben._id, page: 1, limit: 1 });
    expect(page1.messages.map((m: any) => m.content)).toEqual(["second"]);
    expect(page1.pagination).toMatchObject({ page: 1, hasMore: true });
    const page2 = await emitAck(sa, "get_message_history", { otherUserId: ben.userId, page: 2, limit: 1 });
    expect(page2.messages.map((m: any) => m.content)).toEqual(["acked"]);
    expect(page2.pagination).toMatchObject({ page: 2, hasMore: false });
  });
});

describe("002 errors (error event {message} and an error ack)", () => {
  it("Receiver not found, Access denied, bad payloads; nothing is delivered", async () => {
    const ann = await user000("Ann Err");
    const ben = await user000("Ben Err");
    const { socket: sa } = await connectWith(ann.token, []);
    const { socket: sb } = await connectWith(ben.token, [], { transports: ["websocket"] });
    const errors = record(sa, "error");
    const delivered = record(sb, "receive_message");

    // unknown receivers, in both id forms
    expectErrorAck(await emitAck(sa, "send_message", { receiverId: "0123456789abcdef01234567", content: "x" }), 404, "Receiver not found");
    expectErrorAck(await emitAck(sa, "send_message", { receiverId: crypto.randomUUID(), content: "x" }), 404, "Receiver not found");
    expectErrorAck(await emitAck(sa, "typing_start", { receiverId: "0123456789abcdef01234567" }), 404, "Receiver not found");

    // Ben blocks Ann (001 metadata): her sends and typing are refused with Access denied
    expect((await http("PUT", `/api/conversations/${ann._id}/metadata`, { token: ben.token, body: { isBlocked: true } })).status).toBe(200);
    expectErrorAck(await emitAck(sa, "send_message", { receiverId: ben._id, content: "let me in" }), 403, "Access denied");
    expectErrorAck(await emitAck(sa, "typing_start", { receiverId: ben._id }), 403, "Access denied");

    // bad payloads name the field
    expectErrorAck(await emitAck(sa, "send_message", { content: "to nobody" }), 400, /receiverId/);
    expectErrorAck(await emitAck(sa, "send_message", { receiverId: ben._id, content: "" }), 400, /content/);
    expectErrorAck(await emitAck(sa, "send_message", { receiverId: "not-an-id", content: "x" }), 400, /receiverId/);
    expectErrorAck(await emitAck(sa, "send_message", "just a string"), 400, /payload/);
    expectErrorAck(await emitAck(sa, "mark_message_read", {}), 400, /messageId/);
    expectErrorAck(await emitAck(sa, "mark_message_read", { messageId: "0123456789abcdef01234567" }), 404, "Message not found");
    expectErrorAck(await emitAck(sa, "get_message_history", { otherUserId: ben._id, page: 0 }), 400, /page/);
    expectErrorAck(await emitAck(sa, "get_message_history", { page: 1 }), 400, /otherUserId/);
    expectErrorAck(await emitAck(sa, "typing_stop", { receiverId: 42 }), 400, /receiverId/);

    // each failure also came as an `error` event {message}
    await new Promise((r) => setTimeout(r, 200));
    expect(errors.events.length).toBe(14);
    for (const [e] of errors.events) expect(Object.keys(e)).toContain("message");
    expect(errors.events.slice(0, 5).map(([e]) => e.message)).toEqual([
      "Receiver not found",
      "Receiver not found",
      "Receiver not found",
      "Access denied",
      "Access denied",
    ]);

    // an error without an ack callback is still the `error` event
    const plain = next(sa, "error");
    sa.emit("send_message", { receiverId: ben._id, content: "no ack" });
    expect(await plain).toEqual({ message: "Access denied" });

    // Ben unblocks: the next message goes through
    await http("PUT", `/api/conversations/${ann._id}/metadata`, { token: ben.token, body: { isBlocked: false } });
    const got = next(sb, "receive_message");
    await emitAck(sa, "send_message", { receiverId: ben._id, content: "hello again" });
    expect(await got).toMatchObject({ content: "hello again", senderId: ann._id });
    expect(delivered.events.map(([m]) => m.content)).toEqual(["hello again"]);
  });
});

describe("002 presence: online_users and user_online/user_offline", () => {
  it("online_users lists only related online users; user_online/user_offline carry the 002 and 004 fields", async () => {
    const ann = await user000("Ann Presence");
    const friend = await user000("Friend Presence");
    const stranger = await user000("Stranger Presence");
    await befriend(ann, friend);

    await connectWith(stranger.token, []);
    const { socket: friendSocket } = await connectWith(friend.token, [], { transports: ["polling"] });
    const strangerSeen = record(friendSocket, "user_online");
    const annOnline = next(friendSocket, "user_online", (u) => u._id === ann._id);
    const { socket: sa, first } = await connectWith(ann.token, ["connection", "online_users"], { transports: ["websocket"] });
    expect(first.connection).toEqual({ success: true, user: expect.objectContaining({ _id: ann._id, name: "Ann Presence", username: expect.any(String) }) });
    expect(first.online_users.map((u: any) => u._id)).toEqual([friend._id]);
    expect(first.online_users[0]).toEqual(
      expect.objectContaining({ userId: friend.userId, _id: friend._id, name: "Friend Presence", username: expect.any(String), email: friend.email, role: "user" }),
    );

    const online = await annOnline;
    expect(online).toEqual(
      expect.objectContaining({ userId: ann.userId, _id: ann._id, name: "Ann Presence", username: expect.any(String), email: ann.email, lastSeen: expect.stringMatching(ISO) }),
    );
    const offline = next(friendSocket, "user_offline", (u) => u._id === ann._id);
    sa.close();
    expect(await offline).toEqual(
      expect.objectContaining({ userId: ann.userId, _id: ann._id, name: "Ann Presence", username: expect.any(String), email: ann.email, lastSeen: expect.stringMatching(ISO) }),
    );
    expect(strangerSeen.events.map(([u]) => u._id)).toEqual([ann._id]);
  });
});

describe("002 presence and blocking (CONTRACT.md: the blocked user cannot see the blocker's presence)", () => {
  it("a friend the user blocked gets no user_online / user_offline / userStatus and does not list them online", async () => {
    const ann = await user000("Ann Blocks");
    const ben = await user000("Ben Blocked");
    const cat = await user000("Cat Friend");
    await befriend(ann, ben);
    await befriend(ann, cat);
    expect((await http("PUT", `/api/conversations/${ben._id}/metadata`, { token: ann.token, body: { isBlocked: true } })).status).toBe(200);

    const { socket: sb } = await connectWith(ben.token, []);
    const { socket: sc } = await connectWith(cat.token, [], { transports: ["polling"] });
    const benHears = ["user_online", "user_offline", "userStatus"].map((e) => record(sb, e));
    const catOnline = next(sc, "user_online", (u) => u._id === ann._id);
    const { socket: sa, first } = await connectWith(ann.token, ["online_users"], { transports: ["websocket"] });
    // Ann sees both friends online (blocking hides her from Ben, not Ben from her)
    expect(first.online_users.map((u: any) => u._id).sort()).toEqual([ben._id, cat._id].sort());
    await catOnline;
    expect(await emitAck(sb, "get_online_users")).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ _id: ann._id })]),
    );
    const catOffline = next(sc, "user_offline", (u) => u._id === ann._id);
    sa.close();
    await catOffline;
    // Cat heard both changes; by then Ben would have heard them too
    for (const r of benHears) expect(r.events.filter(([u]) => u._id === ann._id)).toEqual([]);
  });
});

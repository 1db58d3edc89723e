/**
 * A realistic chat over real HTTP against `wrangler dev`: two people log in
 * with the 004 form, start a conversation, write both ways with the 001 and
 * 004 bodies, list conversations in both dialects, page history, read, and
 * watch the unread counters.
 */
import { afterEach, describe, expect, it } from "vitest";
import { http, register } from "./client";
import { closeAll, connect, record, waitFor } from "./sockets";

async function formLogin(name: string) {
  const email = `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const r = await http("POST", "/api/auth/login", { form: { email, name } });
  expect(r.status).toBe(200);
  expect(r.body.token_type).toBe("bearer");
  return { email, name, token: r.body.access_token as string, _id: r.body.user._id as string };
}

describe("chat over REST against wrangler dev", () => {
  afterEach(() => closeAll());

  it("runs a whole conversation", async () => {
    const alice = await formLogin("Alice");
    const bob = await formLogin("Bob");

    const start = await http("POST", "/api/conversations/start", { token: alice.token, form: { to_email: bob.email } });
    expect(start.status).toBe(200);
    expect(start.body.participants).toEqual([alice.email, bob.email]);
    const conv = start.body.conversation_id as string;

    // Alice writes with the 004 body, Bob answers with the 001 body, alternating
    const sent: string[] = [];
    for (let i = 1; i <= 6; i++) {
      if (i % 2) {
        const r = await http("POST", "/api/messages/send", { token: alice.token, body: { to_email: bob.email, message: `alice ${i}`, message_type: "text" } });
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ conversation_id: conv, sender_email: alice.email, sender_name: "Alice", message: `alice ${i}` });
        sent.push(r.body.id);
      } else {
        const r = await http("POST", "/api/messages/send", { token: bob.token, body: { recipientId: alice._id, text: `bob ${i}` } });
        expect(r.status).toBe(201);
        expect(r.body).toMatchObject({ conversationId: conv, senderId: bob._id, recipientId: alice._id, text: `bob ${i}`, status: "sent" });
        sent.push(r.body._id);
      }
    }
    // a reply with the 004 body
    const reply = await http("POST", "/api/messages/send", {
      token: bob.token,
      body: { to_email: alice.email, message: "replying to your first", reply_to: sent[0] },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.reply_to).toBe(sent[0]);
    sent.push(reply.body.id);

    // Alice's list in her 004 dialect, Bob's in the standard one via ?dialect=
    const aliceList = await http("GET", "/api/conversations", { token: alice.token });
    expect(aliceList.status).toBe(200);
    expect(aliceList.body).toEqual([
      expect.objectContaining({ conversation_id: conv, last_message: "replying to your first", last_message_sender: bob.email, unread_count: 4 }),
    ]);
    const bobList = await http("GET", "/api/conversations?dialect=standard", { token: bob.token });
    expect(bobList.body).toMatchObject({ success: true, statusCode: 200 });
    expect(bobList.body.data[0]).toMatchObject({ _id: conv, type: "1on1", unreadCount: 3, lastMessage: { _id: reply.body.id } });

    // history: 004 skip/limit and 003 pages agree on the order
    const newest = await http("GET", `/api/conversations/${conv}/messages?skip=0&limit=4`, { token: bob.token });
    expect(newest.body.map((m: any) => m.id)).toEqual(sent.slice(3));
    const older = await http("GET", `/api/conversations/${conv}/messages?skip=4&limit=4`, { token: bob.token });
    expect(older.body.map((m: any) => m.id)).toEqual(sent.slice(0, 3));
    const page2 = await http("GET", `/api/messages/conversation/${conv}?page=2&limit=4`, { token: alice.token });
    expect(page2.body.data.messages.map((m: any) => m._id)).toEqual(sent.slice(0, 3));
    expect(page2.body.data.pagination).toEqual({ currentPage: 2, totalPages: 2, totalMessages: 7, hasNextPage: false, hasPrevPage: true, limit: 4 });
    const withBob = await http("GET", `/api/messages/${bob._id}`, { token: alice.token });
    expect(withBob.body.map((m: any) => m._id)).toEqual(sent);

    // reads and counters
    expect((await http("GET", "/api/messages/unread/count", { token: alice.token })).body.data.unreadCount).toBe(4);
    const readOne = await http("PUT", `/api/messages/${sent[1]}/read`, { token: alice.token });
    expect(readOne.body.data).toMatchObject({ _id: sent[1], read: true });
    expect((await http("GET", `/api/messages/unread/count/${conv}`, { token: alice.token })).body.data.unreadCount).toBe(3);
    const markRead = await http("POST", `/api/conversations/${conv}/mark-read`, { token: alice.token });
    expect(markRead.status).toBe(200);
    expect(markRead.body.message).toBe("Conversation marked as read");
    expect((await http("GET", "/api/conversations", { token: alice.token })).body[0].unread_count).toBe(0);
    const bobRead = await http("PUT", `/api/messages/conversation/${conv}/read`, { token: bob.token });
    expect(bobRead.body.data.modifiedCount).toBe(3);
    const statuses = await http("GET", `/api/messages/${alice._id}`, { token: bob.token });
    expect(statuses.body.every((m: any) => m.status === "read")).toBe(true);
  });

  it("a REST send reaches the other member's sockets in their dialect, and the sender's other devices", async () => {
    const alice = await formLogin("Alice"); // chat-socket dialect
    const bob = await register("Bob Standard"); // standard dialect
    const bobSocket = await connect(bob.token, { placement: "query" }); // 001 style
    const aliceDevice = await connect(alice.token, { transports: ["websocket"] });
    const aliceOther = await connect(alice.token);

    const legacy = record(bobSocket, "new_message");
    const gotReceive = waitFor(bobSocket, "receiveMessage");
    const gotReceive002 = waitFor(bobSocket, "receive_message");
    const gotNotification = waitFor(bobSocket, "message_notification");
    const echo = waitFor(aliceOther, "new_message");
    const sent = await http("POST", "/api/messages/send", { token: alice.token, body: { to_email: bob.email, message: "ping" } });
    expect(sent.status).toBe(200);
    const [m001] = await gotReceive;
    expect(m001).toMatchObject({ _id: sent.body.id, conversationId: sent.body.conversation_id, senderId: alice._id, recipientId: bob._id, text: "ping", status: "sent" });
    const [m002] = await gotReceive002;
    expect(m002).toMatchObject({ _id: sent.body.id, content: "ping", senderId: alice._id, senderName: "Alice", receiverId: bob._id, receiverName: "Bob Standard", read: false });
    const [note] = await gotNotification;
    expect(note).toMatchObject({ type: "new_message", from: { _id: alice._id, name: "Alice" }, message: "ping", conversation_id: sent.body.conversation_id, sender_email: alice.email });
    const [mine] = await echo;
    expect(mine).toMatchObject({ id: sent.body.id, message: "ping", sender_email: alice.email });
    expect(legacy.events).toEqual([]); // 004 names never reach a standard-dialect socket

    const onDevice = waitFor(aliceDevice, "new_message");
    const notified = waitFor(aliceDevice, "message_notification");
    const pong = await http("POST", "/api/messages/send", { token: bob.token, body: { recipientId: alice._id, text: "pong" } });
    expect(pong.status).toBe(201);
    const [m004] = await onDevice;
    expect(m004).toMatchObject({ id: pong.body._id, conversation_id: sent.body.conversation_id, sender_email: bob.email, sender_name: "Bob Standard", message: "pong", message_type: "text", reply_to: null });
    expect((await notified)[0]).toMatchObject({ conversation_id: sent.body.conversation_id, sender_name: "Bob Standard", message: "pong" });
  });
});

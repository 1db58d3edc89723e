/**
 * /api/messages over the Worker entry: every send shape (001, 003, 004),
 * history and pagination, reads and unread counters, edit and soft delete,
 * idempotent resends, ordering under concurrency, blocking, membership.
 */
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, makeUser, type TestUser } from "./helpers";
import { roomStub } from "./objects";

async function pair(a: TestUser, b: TestUser): Promise<string> {
  const r = await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: b._id } });
  expect([200, 201]).toContain(r.status);
  return r.body.data._id;
}

async function group(creator: TestUser, others: TestUser[], name = "Team"): Promise<string> {
  const r = await api("POST", "/api/conversations/group", { token: creator.token, body: { name, members: others.map((o) => o._id) } });
  expect(r.status).toBe(201);
  return r.body.data._id;
}

async function send(u: TestUser, conversationId: string, message: string, extra: Record<string, unknown> = {}) {
  const r = await api("POST", "/api/messages", { token: u.token, body: { conversationId, message, ...extra } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.data;
}

async function unread(u: TestUser, conversationId?: string): Promise<number> {
  const r = await api("GET", conversationId ? `/api/messages/unread/count/${conversationId}` : "/api/messages/unread/count", { token: u.token });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ success: true, statusCode: 200, message: "Unread count retrieved" });
  return r.body.data.unreadCount;
}

async function history(u: TestUser, conversationId: string, page = 1, limit = 50) {
  const r = await api("GET", `/api/messages/conversation/${conversationId}?page=${page}&limit=${limit}`, { token: u.token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.data as { messages: any[]; pagination: any };
}

describe("POST /api/messages (003)", () => {
  it("stores a message and answers the documented shape", async () => {
    const [a, b] = [await makeUser({ name: "John Doe" }), await makeUser()];
    const conv = await pair(a, b);
    const r = await api("POST", "/api/messages", {
      token: a.token,
      body: { conversationId: conv, message: "Hello everyone!", messageType: "text", fileUrl: "https://example.com/file.pdf", payload: { customData: "value" } },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ success: true, statusCode: 201, message: "Message sent successfully" });
    const m = r.body.data;
    expect(m._id).toMatch(/^[0-9a-f]{24}$/);
    expect(m).toMatchObject({
      conversationId: conv,
      senderId: { _id: a._id, userId: a.userId, name: "John Doe", email: a.email, profilePicture: null },
      receiverId: b._id,
      message: "Hello everyone!",
      messageType: "text",
      fileUrl: "https://example.com/file.pdf",
      payload: { customData: "value" },
      read: false,
      status: "saved",
      edited: false,
      deleted: false,
      replyTo: null,
    });
    expect(new Date(m.timestamp).toISOString()).toBe(m.timestamp);
  });

  it("accepts every documented message type", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conv = await group(a, [b]);
    const types = ["text", "visitor", "checkin", "checkout", "task", "note", "file", "splitMoney", "image", "video"];
    for (const messageType of types) {
      const m = await send(a, conv, `a ${messageType}`, { messageType, payload: { kind: messageType } });
      expect(m.messageType).toBe(messageType);
      expect(m.payload).toEqual({ kind: messageType });
      expect(m.receiverId).toBeNull();
    }
    const { messages } = await history(b, conv);
    expect(messages.map((m) => m.messageType)).toEqual(types);
  });

  it("rejects bad input with 400 naming the field", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conv = await pair(a, b);
    const cases: [unknown, string][] = [
      [{ message: "no conversation" }, "conversationId"],
      [{ conversationId: "nope", message: "x" }, "conversationId"],
      [{ conversationId: conv, message: "   " }, "message"],
      [{ conversationId: conv, message: "x", messageType: "gif" }, "messageType"],
      [{ conversationId: conv, message: "x", fileUrl: "javascript:alert(1)" }, "fileUrl"],
      [{ conversationId: conv, message: "x".repeat(10_001) }, "message"],
      [{ conversationId: conv, message: "x", payload: "not an object" }, "payload"],
    ];
    for (const [body, field] of cases) {
      const r = await api("POST", "/api/messages", { token: a.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body).toMatchObject({ success: false, statusCode: 400, error: "Bad Request" });
      expect(r.body.message).toContain(field);
    }
    const none = await api("POST", "/api/messages", { token: a.token, body: { conversationId: "0123456789abcdef01234567", message: "x" } });
    expect(none.status).toBe(404);
    const anon = await api("POST", "/api/messages", { body: { conversationId: conv, message: "x" } });
    expect(anon.status).toBe(401);
  });

  it("replies must point into the same conversation", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const ab = await pair(a, b);
    const ac = await pair(a, c);
    const first = await send(b, ab, "question?");
    const reply = await send(a, ab, "answer", { replyTo: first._id });
    expect(reply.replyTo).toBe(first._id);
    const elsewhere = await api("POST", "/api/messages", { token: a.token, body: { conversationId: ac, message: "x", replyTo: first._id } });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.message).toContain("replyTo");
    const unknown = await api("POST", "/api/messages", { token: a.token, body: { conversationId: ab, message: "x", replyTo: "0123456789abcdef01234567" } });
    expect(unknown.status).toBe(400);
  });
});

describe("POST /api/messages/send", () => {
  it("001 body: 201 with the 001 message schema, by either id form", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const r = await api("POST", "/api/messages/send", {
      token: a.token,
      body: { recipientId: b._id, text: "Hello there!", attachment: { type: "image", url: "https://example.com/image.jpg" } },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      senderId: a._id,
      recipientId: b._id,
      text: "Hello there!",
      attachment: { type: "image", url: "https://example.com/image.jpg" },
      status: "sent",
    });
    expect(r.body._id).toMatch(/^[0-9a-f]{24}$/);
    expect(r.body.conversationId).toMatch(/^[0-9a-f]{24}$/);
    expect(Date.parse(r.body.createdAt)).not.toBeNaN();
    // by UUID, and from the other side: the same 1-on-1 conversation
    const back = await api("POST", "/api/messages/send", { token: b.token, body: { recipientId: a.userId, text: "Hi!" } });
    expect(back.status).toBe(201);
    expect(back.body.conversationId).toBe(r.body.conversationId);
    expect(back.body.recipientId).toBe(a._id);
    // attachment only
    const file = await api("POST", "/api/messages/send", { token: a.token, body: { recipientId: b._id, text: "", attachment: { type: "file", url: "https://example.com/a.pdf" } } });
    expect(file.status).toBe(201);
    expect(file.body.text).toBe("");
  });

  it("001 body errors: 400 naming the field, 404 for an unknown recipient", async () => {
    const a = await makeUser();
    const empty = await api("POST", "/api/messages/send", { token: a.token, body: { recipientId: a._id.replace(/./, "f"), text: "" } });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toContain("text");
    const noRecipient = await api("POST", "/api/messages/send", { token: a.token, body: { text: "hi" } });
    expect(noRecipient.status).toBe(400);
    expect(noRecipient.body.message).toContain("recipientId");
    const unknown = await api("POST", "/api/messages/send", { token: a.token, body: { recipientId: "0123456789abcdef01234567", text: "hi" } });
    expect(unknown.status).toBe(404);
    const self = await api("POST", "/api/messages/send", { token: a.token, body: { recipientId: a._id, text: "hi" } });
    expect(self.status).toBe(400);
  });

  it("004 body: 200 with the 004 shape; bad input is 422", async () => {
    const [a, b] = [await makeUser({ name: "John Doe" }), await makeUser()];
    const first = await api("POST", "/api/messages/send", { token: b.token, body: { to_email: a.email, message: "Hello there!", message_type: "text" } });
    expect(first.status).toBe(200);
    const r = await api("POST", "/api/messages/send", {
      token: a.token,
      body: { to_email: b.email.toUpperCase(), message: "Hi! How are you?", message_type: "text", reply_to: first.body.id },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      conversation_id: first.body.conversation_id,
      sender_email: a.email,
      sender_name: "John Doe",
      message: "Hi! How are you?",
      message_type: "text",
      reply_to: first.body.id,
      edited: false,
    });
    expect(r.body.id).toMatch(/^[0-9a-f]{24}$/);
    expect(Date.parse(r.body.timestamp)).not.toBeNaN();

    const bad = await api("POST", "/api/messages/send", { token: a.token, body: { to_email: "not-an-email", message: "x" } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toContain("to_email");
    const empty = await api("POST", "/api/messages/send", { token: a.token, body: { to_email: b.email, message: "" } });
    expect(empty.status).toBe(422);
    expect(empty.body.detail).toContain("message");
    const unknown = await api("POST", "/api/messages/send", { token: a.token, body: { to_email: "nobody-here@example.com", message: "x" } });
    expect(unknown.status).toBe(404);
    const other = await makeUser();
    const foreignReply = await api("POST", "/api/messages/send", { token: a.token, body: { to_email: other.email, message: "x", reply_to: first.body.id } });
    expect(foreignReply.status).toBe(422);
    expect(foreignReply.body.detail).toContain("reply_to");
  });
});

describe("history", () => {
  it("GET /api/messages/:otherUserId (001) is the pair's history, oldest first", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    for (const [from, to, text] of [[a, b, "one"], [b, a, "two"], [a, b, "three"]] as const) {
      const r = await api("POST", "/api/messages/send", { token: from.token, body: { recipientId: to._id, text } });
      expect(r.status).toBe(201);
    }
    const h = await api("GET", `/api/messages/${b.userId}`, { token: a.token });
    expect(h.status).toBe(200);
    expect(h.body.map((m: any) => m.text)).toEqual(["one", "two", "three"]);
    expect(h.body[1]).toMatchObject({ senderId: b._id, recipientId: a._id, status: "sent", attachment: null });
    const paged = await api("GET", `/api/messages/${b._id}?page=1&limit=2`, { token: a.token });
    expect(paged.body.map((m: any) => m.text)).toEqual(["two", "three"]);
    const never = await api("GET", `/api/messages/${c._id}`, { token: a.token });
    expect(never.status).toBe(200);
    expect(never.body).toEqual([]);
    const unknown = await api("GET", "/api/messages/0123456789abcdef01234567", { token: a.token });
    expect(unknown.status).toBe(404);
    const garbage = await api("GET", "/api/messages/not-a-user", { token: a.token });
    expect(garbage.status).toBe(400);
  });

  it("003 pages: newest page first, each page oldest first, documented pagination fields", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conv = await pair(a, b);

    const empty = await history(a, conv, 1, 3);
    expect(empty.messages).toEqual([]);
    expect(empty.pagination).toEqual({ currentPage: 1, totalPages: 0, totalMessages: 0, hasNextPage: false, hasPrevPage: false, limit: 3 });

    for (let i = 1; i <= 6; i++) await send(i % 2 ? a : b, conv, `m${i}`);
    // exact multiple of the page size
    const p1 = await history(b, conv, 1, 3);
    expect(p1.messages.map((m) => m.message)).toEqual(["m4", "m5", "m6"]);
    expect(p1.pagination).toMatchObject({ currentPage: 1, totalPages: 2, totalMessages: 6, hasNextPage: true, hasPrevPage: false });
    const p2 = await history(b, conv, 2, 3);
    expect(p2.messages.map((m) => m.message)).toEqual(["m1", "m2", "m3"]);
    expect(p2.pagination).toMatchObject({ currentPage: 2, totalPages: 2, hasNextPage: false, hasPrevPage: true });
    // a partial last page
    await send(a, conv, "m7");
    const last = await history(b, conv, 3, 3);
    expect(last.messages.map((m) => m.message)).toEqual(["m1"]);
    expect(last.pagination).toMatchObject({ currentPage: 3, totalPages: 3, totalMessages: 7, hasNextPage: false, hasPrevPage: true });
    // beyond the end
    const beyond = await history(b, conv, 9, 3);
    expect(beyond.messages).toEqual([]);
    expect(beyond.pagination).toMatchObject({ currentPage: 9, hasNextPage: false, hasPrevPage: true });
    // defaults: page 1, limit 50
    const all = await api("GET", `/api/messages/conversation/${conv}`, { token: a.token });
    expect(all.body.data.messages).toHaveLength(7);
    expect(all.body.data.pagination).toMatchObject({ currentPage: 1, totalPages: 1, limit: 50 });

    for (const q of ["page=0", "limit=0", "limit=101", "page=x"]) {
      const r = await api("GET", `/api/messages/conversation/${conv}?${q}`, { token: a.token });
      expect(r.status, q).toBe(400);
      expect(r.body.message).toMatch(/page|limit/);
    }
  });

  it("004 skip/limit: skip=0 is the newest window, oldest first", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conv = await pair(a, b);
    for (let i = 1; i <= 5; i++) await send(a, conv, `m${i}`);
    const get = (q: string) => api("GET", `/api/conversations/${conv}/messages?${q}`, { token: b.token });
    const newest = await get("skip=0&limit=2");
    expect(newest.status).toBe(200);
    expect(newest.body.map((m: any) => m.message)).toEqual(["m4", "m5"]);
    expect(newest.body[0]).toMatchObject({ conversation_id: conv, sender_email: a.email, sender_name: a.name, message_type: "text", edited: false, reply_to: null });
    expect(newest.body[0].id).toMatch(/^[0-9a-f]{24}$/);
    expect((await get("skip=2&limit=2")).body.map((m: any) => m.message)).toEqual(["m2", "m3"]);
    expect((await get("skip=4&limit=2")).body.map((m: any) => m.message)).toEqual(["m1"]);
    expect((await get("skip=5&limit=2")).body).toEqual([]);
    expect((await get("")).body).toHaveLength(5);
    const bad = await get("skip=-1");
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toContain("skip");
  });
});

describe("reads and unread counters", () => {
  it("1-on-1: sends, single read, conversation read, edits and deletes keep counts right", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conv = await pair(a, b);
    const m1 = await send(a, conv, "one");
    const m2 = await send(a, conv, "two");
    const m3 = await send(a, conv, "three");
    expect(await unread(b)).toBe(3);
    expect(await unread(b, conv)).toBe(3);
    expect(await unread(a)).toBe(0);

    // reading #2 reads everything up to it
    const r = await api("PUT", `/api/messages/${m2._id}/read`, { token: b.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, statusCode: 200, message: "Message marked as read" });
    expect(r.body.data).toMatchObject({ _id: m2._id, read: true });
    expect(r.body.data.seenBy).toHaveLength(1);
    expect(r.body.data.seenBy[0].userId).toBe(b._id);
    expect(Date.parse(r.body.data.seenBy[0].timestamp)).not.toBeNaN();
    expect(await unread(b)).toBe(1);
    const h = await history(a, conv);
    expect(h.messages.map((m) => m.read)).toEqual([true, true, false]);
    const h001 = await api("GET", `/api/messages/${b._id}`, { token: a.token });
    expect(h001.body.map((m: any) => m.status)).toEqual(["read", "read", "sent"]);
    // reading my own message changes nothing
    const own = await api("PUT", `/api/messages/${m3._id}/read`, { token: a.token });
    expect(own.status).toBe(200);
    expect(own.body.data.read).toBe(false);
    // reading an older message again does not move the position back
    await api("PUT", `/api/messages/${m1._id}/read`, { token: b.token });
    expect(await unread(b)).toBe(1);

    // an edit changes no counter
    const edit = await api("PUT", `/api/messages/${m3._id}`, { token: a.token, body: { message: "three!" } });
    expect(edit.status).toBe(200);
    expect(await unread(b)).toBe(1);
    // deleting the unread message takes it out of the count; deleting a read one changes nothing
    await api("DELETE", `/api/messages/${m3._id}`, { token: a.token });
    expect(await unread(b)).toBe(0);
    await api("DELETE", `/api/messages/${m1._id}`, { token: a.token });
    expect(await unread(b)).toBe(0);

    await send(a, conv, "four");
    await send(a, conv, "five");
    expect(await unread(b)).toBe(2);
    const all = await api("PUT", `/api/messages/conversation/${conv}/read`, { token: b.token });
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ success: true, statusCode: 200, message: "Messages marked as read", data: { modifiedCount: 2 } });
    expect(await unread(b)).toBe(0);
    const again = await api("PUT", `/api/messages/conversation/${conv}/read`, { token: b.token });
    expect(again.body.data.modifiedCount).toBe(0);
    // the single-read recount covers only messages above the new position and skips deleted ones
    const m6 = await send(a, conv, "six");
    const m7 = await send(a, conv, "seven");
    await send(a, conv, "eight");
    await api("DELETE", `/api/messages/${m7._id}`, { token: a.token });
    expect(await unread(b)).toBe(2);
    await api("PUT", `/api/messages/${m6._id}/read`, { token: b.token });
    expect(await unread(b)).toBe(1);
    const list = await api("GET", "/api/conversations", { token: b.token });
    expect(list.body.data.find((c: any) => c._id === conv).unreadCount).toBe(1);
  });

  it("group: counters per member, read only when every other member read it", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const conv = await group(a, [b, c]);
    const other = await pair(a, c);
    const a1 = await send(a, conv, "a1");
    await send(a, conv, "a2");
    const b1 = await send(b, conv, "b1");
    await send(a, other, "private");
    expect(await unread(a, conv)).toBe(1);
    expect(await unread(b, conv)).toBe(2);
    expect(await unread(c, conv)).toBe(3);
    expect(await unread(c)).toBe(4);

    await api("PUT", `/api/messages/${a1._id}/read`, { token: b.token });
    let h = await history(a, conv);
    expect(h.messages[0].read).toBe(false); // C has not read it
    expect(h.messages[0].seenBy.map((s: any) => s.userId)).toEqual([b._id]);

    // 004 mark-read for C
    const mark = await api("POST", `/api/conversations/${conv}/mark-read`, { token: c.token });
    expect(mark.status).toBe(200);
    expect(mark.body.message).toBe("Conversation marked as read");
    expect(await unread(c, conv)).toBe(0);
    expect(await unread(c)).toBe(1);
    h = await history(a, conv);
    expect(h.messages[0].read).toBe(true);
    expect(h.messages[0].seenBy.map((s: any) => s.userId).sort()).toEqual([b._id, c._id].sort());

    // B deletes b1: A had not read it (count drops), C had (stays at 0, never negative)
    const del = await api("DELETE", `/api/messages/${b1._id}`, { token: b.token });
    expect(del.status).toBe(200);
    expect(await unread(a, conv)).toBe(0);
    expect(await unread(c, conv)).toBe(0);
    expect(await unread(b, conv)).toBe(1);

    const list = await api("GET", "/api/conversations?dialect=chat-socket", { token: b.token });
    expect(list.body.find((s: any) => s.conversation_id === conv).unread_count).toBe(1);
  });
});

describe("edit and delete", () => {
  it("edit: sender only, edited/editedAt, visible in history", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const conv = await pair(a, b);
    const m = await send(a, conv, "typo");
    const notSender = await api("PUT", `/api/messages/${m._id}`, { token: b.token, body: { message: "hacked" } });
    expect(notSender.status).toBe(403);
    const notMember = await api("PUT", `/api/messages/${m._id}`, { token: c.token, body: { message: "hacked" } });
    expect(notMember.status).toBe(404);
    const empty = await api("PUT", `/api/messages/${m._id}`, { token: a.token, body: { message: " " } });
    expect(empty.status).toBe(400);
    const missing = await api("PUT", `/api/messages/${m._id}`, { token: a.token, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain("message");

    const r = await api("PUT", `/api/messages/${m._id}`, { token: a.token, body: { message: "fixed" } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, statusCode: 200, message: "Message updated successfully" });
    expect(r.body.data).toMatchObject({ _id: m._id, message: "fixed", edited: true });
    expect(Date.parse(r.body.data.editedAt)).not.toBeNaN();
    const h = await history(b, conv);
    expect(h.messages[0]).toMatchObject({ message: "fixed", edited: true });
    const h004 = await api("GET", `/api/conversations/${conv}/messages`, { token: b.token });
    expect(h004.body[0]).toMatchObject({ message: "fixed", edited: true });
  });

  it("delete: sender only, soft, the text is never served again", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conv = await pair(a, b);
    const m = await send(a, conv, "secret", { fileUrl: "https://example.com/secret.png", messageType: "image", payload: { k: 1 } });
    const notSender = await api("DELETE", `/api/messages/${m._id}`, { token: b.token });
    expect(notSender.status).toBe(403);

    const r = await api("DELETE", `/api/messages/${m._id}`, { token: a.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, statusCode: 200, message: "Message deleted successfully" });
    expect(r.body.data).toMatchObject({ _id: m._id, deleted: true, deletedBy: a._id, message: "", fileUrl: null, payload: null });
    expect(Date.parse(r.body.data.deletedAt)).not.toBeNaN();

    const h = await history(b, conv);
    expect(h.messages).toHaveLength(1);
    expect(h.messages[0]).toMatchObject({ _id: m._id, deleted: true, message: "", fileUrl: null });
    const h001 = await api("GET", `/api/messages/${a._id}`, { token: b.token });
    expect(h001.body[0]).toMatchObject({ text: "", attachment: null, deleted: true });
    const h004 = await api("GET", `/api/conversations/${conv}/messages`, { token: b.token });
    expect(h004.body[0].message).toBe("");
    const list = await api("GET", "/api/conversations", { token: b.token });
    expect(list.body.data[0].lastMessage).toMatchObject({ _id: m._id, message: "", deleted: true });
    expect(JSON.stringify([h, h001.body, h004.body, list.body])).not.toContain("secret");

    const twice = await api("DELETE", `/api/messages/${m._id}`, { token: a.token });
    expect(twice.status).toBe(200);
    expect(twice.body.data.deletedAt).toBe(r.body.data.deletedAt);
    const edit = await api("PUT", `/api/messages/${m._id}`, { token: a.token, body: { message: "back" } });
    expect(edit.status).toBe(400);
  });
});

describe("idempotency and ordering", () => {
  it("a repeated clientMsgId returns the first message instead of a duplicate", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conv = await pair(a, b);
    const first = await api("POST", "/api/messages", { token: a.token, body: { conversationId: conv, message: "once", clientMsgId: "c-1" } });
    expect(first.status).toBe(201);
    const again = await api("POST", "/api/messages", { token: a.token, body: { conversationId: conv, message: "once (retry)", clientMsgId: "c-1" } });
    expect(again.status).toBe(200);
    expect(again.body.data._id).toBe(first.body.data._id);
    expect(again.body.data.message).toBe("once");
    // 001 and 004 spellings address the same key
    const via001 = await api("POST", "/api/messages/send", { token: a.token, body: { recipientId: b._id, text: "once", clientMsgId: "c-1" } });
    expect(via001.status).toBe(200);
    expect(via001.body._id).toBe(first.body.data._id);
    const via004 = await api("POST", "/api/messages/send", { token: a.token, body: { to_email: b.email, message: "once", client_msg_id: "c-1" } });
    expect(via004.body.id).toBe(first.body.data._id);
    expect((await history(b, conv)).messages).toHaveLength(1);
    expect(await unread(b)).toBe(1);
    // the same id from another sender is another message
    const fromB = await api("POST", "/api/messages", { token: b.token, body: { conversationId: conv, message: "mine", clientMsgId: "c-1" } });
    expect(fromB.status).toBe(201);
    // a client id is the sender's key within one conversation: in another conversation it is another message
    const c = await makeUser();
    const elsewhere = await api("POST", "/api/messages/send", { token: a.token, body: { recipientId: c._id, text: "x", clientMsgId: "c-1" } });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body._id).not.toBe(first.body.data._id);
  });

  it("concurrent resends of one clientMsgId store one message", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conv = await pair(a, b);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api("POST", "/api/messages", { token: a.token, body: { conversationId: conv, message: "dup", clientMsgId: "same" } })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(new Set(results.map((r) => r.body.data._id)).size).toBe(1);
    expect((await history(a, conv)).pagination.totalMessages).toBe(1);
    expect(await unread(b, conv)).toBe(1);
  });

  it("24 concurrent sends from three members get gap-free seqs; history order is send order", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const conv = await group(a, [b, c]);
    const senders = [a, b, c];
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        api("POST", "/api/messages", { token: senders[i % 3].token, body: { conversationId: conv, message: `n${i}` } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(24).fill(201));
    const seqs = results.map((r) => r.body.data.seq).sort((x: number, y: number) => x - y);
    expect(seqs).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    const byId = new Map(results.map((r) => [r.body.data._id, r.body.data]));
    for (const reader of senders) {
      const { messages } = await history(reader, conv, 1, 100);
      expect(messages.map((m) => m.seq)).toEqual(seqs);
      const times = messages.map((m) => Date.parse(m.timestamp));
      expect([...times].sort((x, y) => x - y)).toEqual(times);
      for (const m of messages) expect(byId.get(m._id)?.message).toBe(m.message);
    }
    // each member's counter is exactly the messages of the others
    expect(await unread(a, conv)).toBe(16);
    expect(await unread(b, conv)).toBe(16);
    expect(await unread(c, conv)).toBe(16);
  });
});

describe("ConversationRoom sequencing", () => {
  it("continues the sequence after the object is evicted; the log, reads and receipts are the object's own storage", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conv = await pair(a, b);
    expect((await send(a, conv, "one")).seq).toBe(1);
    expect((await send(b, conv, "two")).seq).toBe(2);
    const stub = roomStub(conv);
    const firstId = (await history(b, conv)).messages[0]._id;
    expect((await api("PUT", `/api/messages/${firstId}/read`, { token: b.token })).status).toBe(200);
    await evictDurableObject(stub);
    expect((await send(a, conv, "three")).seq).toBe(3);
    await evictDurableObject(stub);
    const { messages } = await history(b, conv);
    expect(messages.map((m) => [m.seq, m.message])).toEqual([[1, "one"], [2, "two"], [3, "three"]]);
    expect(messages[0].seenBy).toEqual([{ userId: b._id, timestamp: expect.any(String) }]);
    expect(await unread(b)).toBe(1);
  });
});

describe("blocking and membership", () => {
  it("a blocked user cannot message the blocker (403 Access denied)", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conv = await pair(a, b);
    const block = await api("PUT", `/api/conversations/${a._id}/metadata`, { token: b.token, body: { isBlocked: true } });
    expect(block.status).toBe(200);
    const attempts = [
      api("POST", "/api/messages", { token: a.token, body: { conversationId: conv, message: "hi" } }),
      api("POST", "/api/messages/send", { token: a.token, body: { recipientId: b._id, text: "hi" } }),
      api("POST", "/api/messages/send", { token: a.token, body: { to_email: b.email, message: "hi" } }),
      api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: b._id } }),
      api("POST", "/api/conversations/start", { token: a.token, form: { to_email: b.email } }),
      api("POST", "/api/conversations/group", { token: a.token, body: { name: "g", members: [b._id] } }),
    ];
    for (const r of await Promise.all(attempts)) {
      expect(r.status).toBe(403);
      expect(r.body.message).toBe("Access denied");
    }
    expect(await unread(b)).toBe(0);
    // the blocker can still write, and unblocking restores the other direction
    expect((await api("POST", "/api/messages", { token: b.token, body: { conversationId: conv, message: "bye" } })).status).toBe(201);
    await api("PUT", `/api/conversations/${a.userId}/metadata`, { token: b.token, body: { isBlocked: false } });
    expect((await api("POST", "/api/messages", { token: a.token, body: { conversationId: conv, message: "sorry" } })).status).toBe(201);
  });

  it("non-members get 404 for everything in a conversation", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const conv = await pair(a, b);
    const m = await send(a, conv, "private");
    const calls = await Promise.all([
      api("GET", `/api/conversations/${conv}`, { token: c.token }),
      api("GET", `/api/conversations/${conv}/messages`, { token: c.token }),
      api("POST", `/api/conversations/${conv}/mark-read`, { token: c.token }),
      api("GET", `/api/messages/conversation/${conv}`, { token: c.token }),
      api("PUT", `/api/messages/conversation/${conv}/read`, { token: c.token }),
      api("GET", `/api/messages/unread/count/${conv}`, { token: c.token }),
      api("POST", "/api/messages", { token: c.token, body: { conversationId: conv, message: "intrude" } }),
      api("PUT", `/api/messages/${m._id}/read`, { token: c.token }),
      api("PUT", `/api/messages/${m._id}`, { token: c.token, body: { message: "x" } }),
      api("DELETE", `/api/messages/${m._id}`, { token: c.token }),
      api("POST", `/api/conversations/${conv}/members`, { token: c.token, body: { members: [c._id] } }),
      api("DELETE", `/api/conversations/${conv}/leave`, { token: c.token }),
    ]);
    for (const r of calls) {
      expect(r.status).toBe(404);
      expect(r.body.success).toBe(false);
    }
    expect(JSON.stringify(calls.map((r) => r.body))).not.toContain("private");
  });
});

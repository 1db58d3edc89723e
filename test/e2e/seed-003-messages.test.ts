/**
 * 003 message APIs, followed to the letter against `wrangler dev`: send to a
 * conversation (the documented body, every documented message type), paged
 * history with the documented pagination fields, mark all / one read,
 * sender-only edit and soft delete, unread counts; the envelope and its
 * message texts; errors `{success:false, statusCode, message, error}`.
 */
import { describe, expect, it } from "vitest";
import type { E2EUser } from "./client";
import { call, expectError, standardUser, unknownHexId } from "./seed-chat-client";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

async function oneOnOne(me: E2EUser, other: E2EUser): Promise<string> {
  const r = await call("POST", "/api/conversations/1on1", { token: me.token, json: { receiverId: other._id } });
  expect([200, 201], r.text).toContain(r.status);
  return r.body.data._id;
}

async function group(me: E2EUser, members: E2EUser[]): Promise<string> {
  const r = await call("POST", "/api/conversations/group", { token: me.token, json: { name: "Group", members: members.map((m) => m._id) } });
  expect(r.status, r.text).toBe(201);
  return r.body.data._id;
}

async function send(me: E2EUser, conversationId: string, message: string, extra: Record<string, unknown> = {}) {
  const r = await call("POST", "/api/messages", { token: me.token, json: { conversationId, message, ...extra } });
  expect(r.status, r.text).toBe(201);
  return r.body.data;
}

async function unreadTotal(u: E2EUser): Promise<number> {
  const r = await call("GET", "/api/messages/unread/count", { token: u.token });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ success: true, statusCode: 200, message: "Unread count retrieved" });
  return r.body.data.unreadCount;
}

async function unreadIn(u: E2EUser, conversationId: string): Promise<number> {
  const r = await call("GET", `/api/messages/unread/count/${conversationId}`, { token: u.token });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ success: true, statusCode: 200, message: "Unread count retrieved" });
  return r.body.data.unreadCount;
}

describe("003 POST /messages", () => {
  it("sends the documented body and answers 201 with the documented message", async () => {
    const john = await standardUser("John Doe");
    const jane = await standardUser("Jane Smith");
    const conv = await oneOnOne(john, jane);
    const r = await call("POST", "/api/messages", {
      token: john.token,
      json: {
        conversationId: conv,
        message: "Hello everyone!",
        messageType: "text",
        fileUrl: "https://example.com/file.pdf",
        payload: { customData: "value" },
      },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ success: true, statusCode: 201, message: "Message sent successfully" });
    const m = r.body.data;
    expect(m).toMatchObject({
      conversationId: conv,
      senderId: { _id: john._id, name: "John Doe", email: john.email },
      receiverId: jane._id,
      message: "Hello everyone!",
      messageType: "text",
      fileUrl: "https://example.com/file.pdf",
      payload: { customData: "value" },
      read: false,
      status: "saved",
      edited: false,
      deleted: false,
    });
    expect(m._id).toMatch(/^[0-9a-f]{24}$/);
    expect(m.senderId).toHaveProperty("profilePicture");
    expect(m.timestamp).toMatch(ISO);
  });

  it("accepts every documented message type and refuses others", async () => {
    const a = await standardUser("Typist");
    const b = await standardUser("Reader");
    const conv = await oneOnOne(a, b);
    for (const messageType of ["text", "visitor", "checkin", "checkout", "task", "note", "file", "splitMoney"]) {
      const m = await send(a, conv, `a ${messageType}`, { messageType });
      expect(m.messageType).toBe(messageType);
    }
    // without messageType the message is text
    expect((await send(a, conv, "plain")).messageType).toBe("text");
    expectError(await call("POST", "/api/messages", { token: a.token, json: { conversationId: conv, message: "x", messageType: "sticker" } }), 400, /^messageType: /);
    const history = await call("GET", `/api/messages/conversation/${conv}`, { token: b.token });
    expect(history.body.data.messages.map((m: any) => m.messageType)).toEqual([
      "text", "visitor", "checkin", "checkout", "task", "note", "file", "splitMoney", "text",
    ]);
  });

  it("rejects bad input with 400 naming the field, unknown conversations with 404, no token with 401", async () => {
    const a = await standardUser("Bad Sender");
    const b = await standardUser("Bad Receiver");
    const conv = await oneOnOne(a, b);
    expectError(await call("POST", "/api/messages", { token: a.token, json: { message: "x" } }), 400, /^conversationId: /);
    expectError(await call("POST", "/api/messages", { token: a.token, json: { conversationId: "conv_123456789", message: "x" } }), 400, /^conversationId: /);
    expectError(await call("POST", "/api/messages", { token: a.token, json: { conversationId: conv, message: "" } }), 400, /^message: /);
    expectError(await call("POST", "/api/messages", { token: a.token, json: { conversationId: conv, message: 7 } }), 400, /^message: /);
    expectError(await call("POST", "/api/messages", { token: a.token, json: { conversationId: conv, message: "x", fileUrl: "not a url" } }), 400, /^fileUrl: /);
    expectError(await call("POST", "/api/messages", { token: a.token, json: { conversationId: conv, message: "x", payload: "str" } }), 400, /^payload: /);
    expectError(await call("POST", "/api/messages", { token: a.token, raw: "{oops", contentType: "application/json" }), 400, /JSON/);
    expectError(await call("POST", "/api/messages", { token: a.token, json: { conversationId: unknownHexId(), message: "x" } }), 404, /not found/i);
    const stranger = await standardUser("Intruder");
    expectError(await call("POST", "/api/messages", { token: stranger.token, json: { conversationId: conv, message: "let me in" } }), 404);
    expectError(await call("POST", "/api/messages", { json: { conversationId: conv, message: "x" } }), 401);
    // none of it was stored
    const history = await call("GET", `/api/messages/conversation/${conv}`, { token: a.token });
    expect(history.body.data.messages).toEqual([]);
    expect(history.body.data.pagination.totalMessages).toBe(0);
  });
});

describe("003 GET /messages/conversation/:conversationId", () => {
  it("pages with page/limit: page 1 is the newest, each page oldest first, with the documented pagination", async () => {
    const a = await standardUser("Pager A");
    const b = await standardUser("Pager B");
    const conv = await oneOnOne(a, b);
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await send(i % 2 ? a : b, conv, `n${i}`))._id);

    const p1 = await call("GET", `/api/messages/conversation/${conv}?page=1&limit=2`, { token: a.token });
    expect(p1.status).toBe(200);
    expect(p1.body).toMatchObject({ success: true, statusCode: 200, message: "Messages retrieved successfully" });
    expect(p1.body.data.messages.map((m: any) => m._id)).toEqual(ids.slice(3));
    expect(p1.body.data.pagination).toMatchObject({ currentPage: 1, totalPages: 3, totalMessages: 5, hasNextPage: true, hasPrevPage: false });
    const first = p1.body.data.messages[0];
    expect(first).toMatchObject({ conversationId: conv, senderId: { _id: b._id, name: "Pager B", email: b.email }, message: "n4", edited: false });
    expect(typeof first.read).toBe("boolean");
    expect(first.timestamp).toMatch(ISO);

    const p2 = await call("GET", `/api/messages/conversation/${conv}?page=2&limit=2`, { token: a.token });
    expect(p2.body.data.messages.map((m: any) => m._id)).toEqual(ids.slice(1, 3));
    expect(p2.body.data.pagination).toMatchObject({ currentPage: 2, totalPages: 3, hasNextPage: true, hasPrevPage: true });
    const p3 = await call("GET", `/api/messages/conversation/${conv}?page=3&limit=2`, { token: a.token });
    expect(p3.body.data.messages.map((m: any) => m._id)).toEqual(ids.slice(0, 1));
    expect(p3.body.data.pagination).toMatchObject({ currentPage: 3, hasNextPage: false, hasPrevPage: true });

    // defaults: page 1, limit 50
    const all = await call("GET", `/api/messages/conversation/${conv}`, { token: b.token });
    expect(all.body.data.messages.map((m: any) => m._id)).toEqual(ids);
    expect(all.body.data.pagination).toMatchObject({ currentPage: 1, totalPages: 1, totalMessages: 5, hasNextPage: false, hasPrevPage: false });
  });

  it("rejects bad page/limit (400 naming them) and hides other people's conversations (404)", async () => {
    const a = await standardUser("Strict A");
    const b = await standardUser("Strict B");
    const conv = await oneOnOne(a, b);
    expectError(await call("GET", `/api/messages/conversation/${conv}?page=0`, { token: a.token }), 400, /^page: /);
    expectError(await call("GET", `/api/messages/conversation/${conv}?page=two`, { token: a.token }), 400, /^page: /);
    expectError(await call("GET", `/api/messages/conversation/${conv}?limit=-5`, { token: a.token }), 400, /^limit: /);
    expectError(await call("GET", `/api/messages/conversation/${unknownHexId()}`, { token: a.token }), 404);
    expectError(await call("GET", "/api/messages/conversation/conv_123456789", { token: a.token }), 400, /^conversationId: /);
    const stranger = await standardUser("Peeker");
    expectError(await call("GET", `/api/messages/conversation/${conv}`, { token: stranger.token }), 404);
    expectError(await call("GET", `/api/messages/conversation/${conv}`), 401);
  });
});

describe("003 reads and unread counts", () => {
  it("PUT /messages/conversation/:id/read marks all read ({modifiedCount}) and the counts follow", async () => {
    const a = await standardUser("Counter A");
    const b = await standardUser("Counter B");
    const c = await standardUser("Counter C");
    const pair = await oneOnOne(a, b);
    const team = await group(c, [a, b]);
    for (const text of ["1", "2", "3"]) await send(b, pair, text);
    await send(c, team, "team 1");
    await send(c, team, "team 2");
    await send(a, team, "mine does not count for me");

    expect(await unreadTotal(a)).toBe(5);
    expect(await unreadIn(a, pair)).toBe(3);
    expect(await unreadIn(a, team)).toBe(2);
    expect(await unreadIn(b, pair)).toBe(0);

    const r = await call("PUT", `/api/messages/conversation/${pair}/read`, { token: a.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, statusCode: 200, message: "Messages marked as read", data: { modifiedCount: 3 } });
    expect(await unreadIn(a, pair)).toBe(0);
    expect(await unreadTotal(a)).toBe(2);
    // reading again changes nothing
    expect((await call("PUT", `/api/messages/conversation/${pair}/read`, { token: a.token })).body.data.modifiedCount).toBe(0);
    // the 1-on-1 messages now read as read for their sender
    const seen = await call("GET", `/api/messages/conversation/${pair}`, { token: b.token });
    expect(seen.body.data.messages.every((m: any) => m.read === true)).toBe(true);

    expectError(await call("GET", `/api/messages/unread/count/${unknownHexId()}`, { token: a.token }), 404);
    expectError(await call("PUT", `/api/messages/conversation/${unknownHexId()}/read`, { token: a.token }), 404);
    expectError(await call("GET", "/api/messages/unread/count"), 401);
  });

  it("PUT /messages/:messageId/read marks one message: {_id, read, seenBy:[{userId, timestamp}]}", async () => {
    const a = await standardUser("Single A");
    const b = await standardUser("Single B");
    const conv = await oneOnOne(a, b);
    const m1 = await send(a, conv, "first");
    const m2 = await send(a, conv, "second");
    const r = await call("PUT", `/api/messages/${m1._id}/read`, { token: b.token });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ success: true, statusCode: 200, message: "Message marked as read", data: { _id: m1._id, read: true } });
    expect(r.body.data.seenBy).toEqual([{ userId: b._id, timestamp: expect.stringMatching(ISO) }]);
    expect(await unreadIn(b, conv)).toBe(1);
    // the other message is still unread
    const history = await call("GET", `/api/messages/conversation/${conv}`, { token: a.token });
    expect(history.body.data.messages.map((m: any) => [m._id, m.read])).toEqual([[m1._id, true], [m2._id, false]]);

    expectError(await call("PUT", `/api/messages/${unknownHexId()}/read`, { token: b.token }), 404, /not found/i);
    expectError(await call("PUT", "/api/messages/msg_123456789/read", { token: b.token }), 400, /^messageId: /);
    const stranger = await standardUser("Not Reader");
    expectError(await call("PUT", `/api/messages/${m2._id}/read`, { token: stranger.token }), 404);
  });
});

describe("003 edit and delete", () => {
  it("PUT /messages/:messageId edits (sender only): {_id, message, edited:true, editedAt}", async () => {
    const a = await standardUser("Editor");
    const b = await standardUser("Watcher");
    const conv = await oneOnOne(a, b);
    const m = await send(a, conv, "typo");
    expectError(await call("PUT", `/api/messages/${m._id}`, { token: b.token, json: { message: "not yours" } }), 403);
    const r = await call("PUT", `/api/messages/${m._id}`, { token: a.token, json: { message: "Updated message content" } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      success: true,
      statusCode: 200,
      message: "Message updated successfully",
      data: { _id: m._id, message: "Updated message content", edited: true },
    });
    expect(r.body.data.editedAt).toMatch(ISO);
    const seen = await call("GET", `/api/messages/conversation/${conv}`, { token: b.token });
    expect(seen.body.data.messages[0]).toMatchObject({ _id: m._id, message: "Updated message content", edited: true });

    expectError(await call("PUT", `/api/messages/${m._id}`, { token: a.token, json: {} }), 400, /^message: /);
    expectError(await call("PUT", `/api/messages/${m._id}`, { token: a.token, json: { message: 3 } }), 400, /^message: /);
    expectError(await call("PUT", `/api/messages/${unknownHexId()}`, { token: a.token, json: { message: "x" } }), 404);
    expectError(await call("PUT", "/api/messages/not-an-id", { token: a.token, json: { message: "x" } }), 400, /^messageId: /);
  });

  it("DELETE /messages/:messageId soft-deletes (sender only): {_id, deleted:true, deletedBy, deletedAt}", async () => {
    const a = await standardUser("Deleter");
    const b = await standardUser("Witness");
    const conv = await oneOnOne(a, b);
    const keep = await send(a, conv, "keep");
    const gone = await send(a, conv, "secret");
    expect(await unreadIn(b, conv)).toBe(2);

    expectError(await call("DELETE", `/api/messages/${gone._id}`, { token: b.token }), 403);
    const r = await call("DELETE", `/api/messages/${gone._id}`, { token: a.token });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      success: true,
      statusCode: 200,
      message: "Message deleted successfully",
      data: { _id: gone._id, deleted: true, deletedBy: a._id },
    });
    expect(r.body.data.deletedAt).toMatch(ISO);
    // soft: still in the history as deleted, its text no longer served; not unread any more
    const seen = await call("GET", `/api/messages/conversation/${conv}`, { token: b.token });
    expect(seen.body.data.messages.map((m: any) => [m._id, m.deleted])).toEqual([[keep._id, false], [gone._id, true]]);
    expect(seen.text).not.toContain("secret");
    expect(await unreadIn(b, conv)).toBe(1);
    // a deleted message cannot be edited
    expectError(await call("PUT", `/api/messages/${gone._id}`, { token: a.token, json: { message: "back" } }), 400, /deleted/);
    expectError(await call("DELETE", `/api/messages/${unknownHexId()}`, { token: a.token }), 404);
    expectError(await call("DELETE", `/api/messages/${gone._id}`), 401);
  });
});

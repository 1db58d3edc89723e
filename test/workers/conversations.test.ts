/**
 * /api/conversations: 1-on-1 (unique per pair), groups (creator-only rename
 * and removal, any member adds, leave), the list in both dialects, 004 start,
 * and the 001 metadata.
 */
import { describe, expect, it } from "vitest";
import { api, makeUser, type TestUser } from "./helpers";

async function chatSocketLogin(u: TestUser): Promise<string> {
  const r = await api("POST", "/api/auth/login", { form: { email: u.email, name: u.name } });
  expect(r.status).toBe(200);
  return r.body.access_token;
}

async function group(creator: TestUser, others: TestUser[], name = "Project Team") {
  const r = await api("POST", "/api/conversations/group", { token: creator.token, body: { name, members: others.map((o) => o._id) } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.data;
}

async function send(u: TestUser, conversationId: string, message: string) {
  const r = await api("POST", "/api/messages", { token: u.token, body: { conversationId, message } });
  expect(r.status).toBe(201);
  return r.body.data;
}

describe("POST /api/conversations/1on1", () => {
  it("creates the pair's conversation once and returns it afterwards", async () => {
    const [a, b] = [await makeUser({ name: "John Doe" }), await makeUser({ name: "Jane Smith" })];
    const r = await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: b._id } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ success: true, statusCode: 201, message: "1-on-1 conversation created successfully" });
    const d = r.body.data;
    expect(d).toMatchObject({ type: "1on1", createdBy: a._id, status: "active", lastMessage: null, unreadCount: 0 });
    expect(d._id).toMatch(/^[0-9a-f]{24}$/);
    expect(d.members).toEqual([
      expect.objectContaining({ _id: a._id, userId: a.userId, name: "John Doe", email: a.email, profilePicture: null }),
      expect.objectContaining({ _id: b._id, userId: b.userId, name: "Jane Smith", email: b.email, profilePicture: null }),
    ]);
    expect(Date.parse(d.createdAt)).not.toBeNaN();
    expect(Date.parse(d.updatedAt)).not.toBeNaN();

    const again = await api("POST", "/api/conversations/1on1", { token: b.token, body: { receiverId: a.userId } });
    expect(again.status).toBe(200);
    expect(again.body.data._id).toBe(d._id);
  });

  it("concurrent creation yields one conversation", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2
          ? api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: b._id } })
          : api("POST", "/api/messages/send", { token: b.token, body: { recipientId: a._id, text: `hi ${i}` } }),
      ),
    );
    const ids = results.map((r) => r.body.data?._id ?? r.body.conversationId);
    expect(new Set(ids).size).toBe(1);
    const list = await api("GET", "/api/conversations", { token: a.token });
    expect(list.body.data).toHaveLength(1);
  });

  it("bad input", async () => {
    const a = await makeUser();
    expect((await api("POST", "/api/conversations/1on1", { token: a.token, body: {} })).body.message).toContain("receiverId");
    expect((await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: "x" } })).status).toBe(400);
    expect((await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: a._id } })).status).toBe(400);
    const unknown = await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: "0123456789abcdef01234567" } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe("Receiver not found");
    expect((await api("POST", "/api/conversations/1on1", { body: { receiverId: a._id } })).status).toBe(401);
  });
});

describe("groups", () => {
  it("creates a group with the creator as member", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const r = await api("POST", "/api/conversations/group", { token: a.token, body: { name: "Project Team", members: [b._id, c.userId, a._id, b._id] } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ success: true, statusCode: 201, message: "Group conversation created successfully" });
    expect(r.body.data).toMatchObject({ name: "Project Team", type: "group", createdBy: a._id, status: "active" });
    expect(r.body.data.members.map((m: any) => m._id)).toEqual([a._id, b._id, c._id]);
    expect(r.body.data.members[1]).toMatchObject({ name: b.name, email: b.email });

    const got = await api("GET", `/api/conversations/${r.body.data._id}`, { token: c.token });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ success: true, statusCode: 200, message: "Conversation retrieved successfully" });
    expect(got.body.data).toMatchObject({ _id: r.body.data._id, createdBy: a._id, status: "active", lastMessage: null });
  });

  it("rejects bad groups", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const cases: [unknown, number, string][] = [
      [{ members: [b._id] }, 400, "name"],
      [{ name: "  ", members: [b._id] }, 400, "name"],
      [{ name: "g", members: [] }, 400, "members"],
      [{ name: "g", members: ["bogus"] }, 400, "members"],
      [{ name: "g", members: [a._id] }, 400, "members"],
      [{ name: "g", members: [b._id, "0123456789abcdef01234567"] }, 404, "0123456789abcdef01234567"],
    ];
    for (const [body, status, text] of cases) {
      const r = await api("POST", "/api/conversations/group", { token: a.token, body });
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.message).toContain(text);
    }
  });

  it("any member adds members; newcomers do not inherit unread history", async () => {
    const [a, b, c, d] = [await makeUser(), await makeUser(), await makeUser(), await makeUser()];
    const g = await group(a, [b]);
    await send(a, g._id, "before c");
    const added = await api("POST", `/api/conversations/${g._id}/members`, { token: b.token, body: { members: [c.userId, b._id] } });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ success: true, message: "Members added successfully" });
    expect(added.body.data.members.map((m: any) => m._id)).toEqual([a._id, b._id, c._id]);
    const cView = await api("GET", `/api/conversations/${g._id}`, { token: c.token });
    expect(cView.body.data.unreadCount).toBe(0);
    await send(a, g._id, "after c");
    expect((await api("GET", `/api/messages/unread/count/${g._id}`, { token: c.token })).body.data.unreadCount).toBe(1);

    const pair = await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: b._id } });
    const toPair = await api("POST", `/api/conversations/${pair.body.data._id}/members`, { token: a.token, body: { members: [d._id] } });
    expect(toPair.status).toBe(400);
    const unknown = await api("POST", `/api/conversations/${g._id}/members`, { token: a.token, body: { members: ["0123456789abcdef01234567"] } });
    expect(unknown.status).toBe(404);
  });

  it("only the creator removes members or renames", async () => {
    const [a, b, c, outsider] = [await makeUser(), await makeUser(), await makeUser(), await makeUser()];
    const g = await group(a, [b, c]);
    const byMember = await api("DELETE", `/api/conversations/${g._id}/members`, { token: b.token, body: { members: [c._id] } });
    expect(byMember.status).toBe(403);
    const renameByMember = await api("PUT", `/api/conversations/${g._id}`, { token: b.token, body: { name: "Mine now" } });
    expect(renameByMember.status).toBe(403);

    const notMember = await api("DELETE", `/api/conversations/${g._id}/members`, { token: a.token, body: { members: [outsider._id] } });
    expect(notMember.status).toBe(400);
    const self = await api("DELETE", `/api/conversations/${g._id}/members`, { token: a.token, body: { members: [a._id] } });
    expect(self.status).toBe(400);

    const removed = await api("DELETE", `/api/conversations/${g._id}/members`, { token: a.token, body: { members: [c.userId] } });
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ success: true, message: "Members removed successfully" });
    expect(removed.body.data.members.map((m: any) => m._id)).toEqual([a._id, b._id]);
    expect((await api("GET", `/api/conversations/${g._id}`, { token: c.token })).status).toBe(404);
    expect((await api("POST", "/api/messages", { token: c.token, body: { conversationId: g._id, message: "still here?" } })).status).toBe(404);

    const renamed = await api("PUT", `/api/conversations/${g._id}`, { token: a.token, body: { name: "Updated Group Name" } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ success: true, message: "Conversation updated successfully", data: { name: "Updated Group Name" } });
    expect((await api("PUT", `/api/conversations/${g._id}`, { token: a.token, body: { name: "" } })).status).toBe(400);
    const pair = await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: b._id } });
    expect((await api("PUT", `/api/conversations/${pair.body.data._id}`, { token: a.token, body: { name: "x" } })).status).toBe(400);
  });

  it("leaving: the creator role passes on, the last one out archives", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const g = await group(a, [b, c]);
    const left = await api("DELETE", `/api/conversations/${g._id}/leave`, { token: a.token });
    expect(left.status).toBe(200);
    expect(left.body).toMatchObject({ success: true, message: "Left conversation successfully", data: { createdBy: b._id, status: "active" } });
    expect((await api("GET", `/api/conversations/${g._id}`, { token: a.token })).status).toBe(404);
    expect((await api("DELETE", `/api/conversations/${g._id}/leave`, { token: a.token })).status).toBe(404);
    // b is the creator now
    expect((await api("PUT", `/api/conversations/${g._id}`, { token: b.token, body: { name: "B's" } })).status).toBe(200);
    await api("DELETE", `/api/conversations/${g._id}/leave`, { token: c.token });
    const last = await api("DELETE", `/api/conversations/${g._id}/leave`, { token: b.token });
    expect(last.body.data.status).toBe("archived");
  });

  it("someone who left a 1-on-1 is back in it when addressed again", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const first = await api("POST", "/api/messages/send", { token: a.token, body: { recipientId: b._id, text: "one" } });
    await api("DELETE", `/api/conversations/${first.body.conversationId}/leave`, { token: b.token });
    expect((await api("GET", "/api/conversations", { token: b.token })).body.data).toEqual([]);
    const second = await api("POST", "/api/messages/send", { token: a.token, body: { recipientId: b._id, text: "two" } });
    expect(second.body.conversationId).toBe(first.body.conversationId);
    const list = await api("GET", "/api/conversations", { token: b.token });
    expect(list.body.data.map((c: any) => c._id)).toEqual([first.body.conversationId]);
    expect(list.body.data[0].unreadCount).toBe(1);
  });
});

describe("GET /api/conversations", () => {
  it("standard dialect: 003 envelope, newest activity first, with lastMessage and unreadCount", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const ab = (await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: b._id } })).body.data._id;
    const ac = (await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: c._id } })).body.data._id;
    const g = (await group(c, [a, b]))._id;
    // newest created first while nobody wrote
    let list = await api("GET", "/api/conversations", { token: a.token });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ success: true, statusCode: 200, message: "Conversations retrieved successfully" });
    expect(list.body.data.map((x: any) => x._id)).toEqual([g, ac, ab]);
    const m = await send(b, ab, "Hello there!");
    list = await api("GET", "/api/conversations", { token: a.token });
    expect(list.body.data.map((x: any) => x._id)).toEqual([ab, g, ac]);
    expect(list.body.data[0]).toMatchObject({
      type: "1on1",
      lastMessage: { _id: m._id, message: "Hello there!", timestamp: m.timestamp },
      lastMessageAt: m.timestamp,
      unreadCount: 1,
    });
    expect(list.body.data[0].members).toHaveLength(2);
    await send(c, g, "group news");
    list = await api("GET", "/api/conversations", { token: a.token });
    expect(list.body.data.map((x: any) => x._id)).toEqual([g, ab, ac]);
    // c does not see a and b's conversation
    const cList = await api("GET", "/api/conversations", { token: c.token });
    expect(cList.body.data.map((x: any) => x._id)).toEqual([g, ac]);
  });

  it("chat-socket dialect (004 token or ?dialect=): bare array of summaries", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    await api("POST", "/api/messages/send", { token: b.token, body: { to_email: a.email, message: "Hello there!" } });
    const token004 = await chatSocketLogin(a);
    const r = await api("GET", "/api/conversations", { token: token004 });
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body)).toBe(true);
    expect(r.body).toHaveLength(1);
    expect(r.body[0]).toMatchObject({
      participants: expect.arrayContaining([a.email, b.email]),
      last_message: "Hello there!",
      last_message_sender: b.email,
      unread_count: 1,
    });
    expect(r.body[0].conversation_id).toMatch(/^[0-9a-f]{24}$/);
    expect(Date.parse(r.body[0].last_message_time)).not.toBeNaN();
    const viaQuery = await api("GET", "/api/conversations?dialect=chat-socket", { token: a.token });
    expect(viaQuery.body).toEqual(r.body);
    const back = await api("GET", "/api/conversations?dialect=standard", { token: token004 });
    expect(back.body.success).toBe(true);
    expect(back.body.data[0]._id).toBe(r.body[0].conversation_id);
  });
});

describe("POST /api/conversations/start (004)", () => {
  it("form to_email starts or returns the pair's conversation", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const token = await chatSocketLogin(a);
    const r = await api("POST", "/api/conversations/start", { token, form: { to_email: b.email } });
    expect(r.status).toBe(200);
    expect(r.body.conversation_id).toMatch(/^[0-9a-f]{24}$/);
    expect(r.body.participants).toEqual([a.email, b.email]);
    const again = await api("POST", "/api/conversations/start", { token: b.token, body: { to_email: a.email } });
    expect(again.status).toBe(200);
    expect(again.body.conversation_id).toBe(r.body.conversation_id);
    const viaOneOnOne = await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: b._id } });
    expect(viaOneOnOne.body.data._id).toBe(r.body.conversation_id);
  });

  it("validation is 422, unknown users 404", async () => {
    const a = await makeUser();
    const missing = await api("POST", "/api/conversations/start", { token: a.token, form: {} as Record<string, string> });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toContain("to_email");
    const bad = await api("POST", "/api/conversations/start", { token: a.token, form: { to_email: "nope" } });
    expect(bad.status).toBe(422);
    const none = await api("POST", "/api/conversations/start", { token: a.token });
    expect(none.status).toBe(422);
    const unknown = await api("POST", "/api/conversations/start", { token: a.token, form: { to_email: "ghost-user@example.com" } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toBe("Target user not found");
    const self = await api("POST", "/api/conversations/start", { token: a.token, form: { to_email: a.email } });
    expect(self.status).toBe(422);
  });

  it("mark-read answers the documented message and resets the counter", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const start = await api("POST", "/api/conversations/start", { token: a.token, form: { to_email: b.email } });
    const conv = start.body.conversation_id;
    await send(b, conv, "1");
    await send(b, conv, "2");
    const r = await api("POST", `/api/conversations/${conv}/mark-read`, { token: a.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ message: "Conversation marked as read", modifiedCount: 2 });
    expect((await api("GET", "/api/conversations?dialect=chat-socket", { token: a.token })).body[0].unread_count).toBe(0);
    expect((await api("POST", "/api/conversations/0123456789abcdef01234567/mark-read", { token: a.token })).status).toBe(404);
  });
});

describe("conversation metadata (001)", () => {
  it("GET defaults, PUT upserts only the given fields and returns the stored object", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const empty = await api("GET", `/api/conversations/${b._id}/metadata`, { token: a.token });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ _id: null, userId: a._id, otherUserId: b._id, isPinned: false, isBlocked: false, customRingtone: null, isFavorite: false });

    const put = await api("PUT", `/api/conversations/${b.userId}/metadata`, {
      token: a.token,
      body: { isPinned: true, isBlocked: false, customRingtone: "ringtone_url", isFavorite: true },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ success: true, userId: a._id, otherUserId: b._id, isPinned: true, isBlocked: false, customRingtone: "ringtone_url", isFavorite: true });
    expect(put.body._id).toMatch(/^[0-9a-f]{24}$/);

    const partial = await api("PUT", `/api/conversations/${b._id}/metadata`, { token: a.token, body: { isPinned: false } });
    expect(partial.body).toMatchObject({ _id: put.body._id, isPinned: false, customRingtone: "ringtone_url", isFavorite: true });
    const got = await api("GET", `/api/conversations/${b.userId}/metadata`, { token: a.token });
    expect(got.body).toMatchObject({ _id: put.body._id, isPinned: false, isFavorite: true });
    // per owner: b's view of a is untouched
    expect((await api("GET", `/api/conversations/${a._id}/metadata`, { token: b.token })).body._id).toBeNull();
  });

  it("bad input", async () => {
    const a = await makeUser();
    const bad = await api("PUT", `/api/conversations/${a._id}/metadata`, { token: a.token, body: { isPinned: true } });
    expect(bad.status).toBe(400);
    const wrongType = await api("PUT", "/api/conversations/0123456789abcdef01234567/metadata", { token: a.token, body: { isPinned: "yes" } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.message).toContain("isPinned");
    const unknown = await api("PUT", "/api/conversations/0123456789abcdef01234567/metadata", { token: a.token, body: { isPinned: true } });
    expect(unknown.status).toBe(404);
  });
});

describe("OpenAPI", () => {
  it("documents every chat route", async () => {
    const r = await api("GET", "/openapi.json");
    expect(r.status).toBe(200);
    const paths = r.body.paths;
    const expected: [string, string][] = [
      ["/api/conversations/1on1", "post"],
      ["/api/conversations/group", "post"],
      ["/api/conversations", "get"],
      ["/api/conversations/start", "post"],
      ["/api/conversations/{conversationId}", "get"],
      ["/api/conversations/{conversationId}", "put"],
      ["/api/conversations/{conversationId}/members", "post"],
      ["/api/conversations/{conversationId}/members", "delete"],
      ["/api/conversations/{conversationId}/leave", "delete"],
      ["/api/conversations/{conversationId}/messages", "get"],
      ["/api/conversations/{conversationId}/mark-read", "post"],
      ["/api/conversations/{otherUserId}/metadata", "put"],
      ["/api/conversations/{otherUserId}/metadata", "get"],
      ["/api/messages", "post"],
      ["/api/messages/send", "post"],
      ["/api/messages/unread/count", "get"],
      ["/api/messages/unread/count/{conversationId}", "get"],
      ["/api/messages/conversation/{conversationId}", "get"],
      ["/api/messages/conversation/{conversationId}/read", "put"],
      ["/api/messages/{messageId}/read", "put"],
      ["/api/messages/{messageId}", "put"],
      ["/api/messages/{messageId}", "delete"],
      ["/api/messages/{otherUserId}", "get"],
      ["/api/friends", "get"],
      ["/api/friends/requests", "post"],
      ["/api/friends/requests", "get"],
      ["/api/friends/requests/{requestId}/accept", "post"],
      ["/api/friends/requests/{requestId}/decline", "post"],
      ["/api/friends/requests/{requestId}", "delete"],
      ["/api/friends/{userId}", "delete"],
      ["/api/uploads", "post"],
      ["/api/uploads/{uploadId}", "get"],
    ];
    const missing = expected.filter(([p, m]) => !paths[p]?.[m]).map(([p, m]) => `${m.toUpperCase()} ${p}`);
    expect(missing).toEqual([]);
    expect(paths["/api/messages/conversation/{conversationId}"].get.description).toContain("NEWEST");
  });
});

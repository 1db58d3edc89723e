/**
 * Groups and lists cannot be used to spam or track people: a group's size
 * and every per-user list are capped (409 naming the cap, nothing written),
 * nobody who blocked the adder can be put in a group, conversation lists are
 * paged, typing creates no conversation, and presence reaches only people one
 * has exchanged messages with (plus contacts and friends). One rule per check,
 * whatever the dispatch form: blocks for typing and sending by conversation
 * and by user, a read of a foreign message moves nothing, a blocked sender
 * creates no conversation.
 */
import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { contacts, conversationMembers, conversations, friendRequests, friendships, statusSchedules, statusTemplates } from "../../src/db/schema";
import { pairKey } from "../../src/domain/conversations";
import { watchedBy, watchersOf } from "../../src/domain/relations";
import { LIMITS } from "../../src/lib/limits";
import { api, fakeSocket, makeUser, type TestUser } from "./helpers";

const db = createDb(env.DB);

/** `n` bare user rows (no email or phone) for filling lists; their ids. */
async function fillerUsers(n: number): Promise<string[]> {
  const prefix = crypto.randomUUID().replace(/-/g, "").slice(0, 16);
  await db.run(sql`
    INSERT INTO users (id, user_id, name, username)
    WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${n})
    SELECT ${prefix} || printf('%08x', i), lower(hex(randomblob(16))), 'Filler ' || i, 'filler_' || ${prefix} || '_' || i FROM k`);
  return (await db.all<{ id: string }>(sql`SELECT id FROM users WHERE id LIKE ${prefix + "%"} ORDER BY id`)).map((r) => r.id);
}

const block = (blocker: TestUser, blocked: TestUser) =>
  api("PUT", `/api/conversations/${blocked._id}/metadata`, { token: blocker.token, body: { isBlocked: true } });

const pairConversation = (a: string, b: string) => db.select().from(conversations).where(eq(conversations.pairKey, pairKey(a, b))).get();

let pool: string[] = [];
beforeAll(async () => {
  pool = await fillerUsers(Math.max(LIMITS.contacts, LIMITS.friends, LIMITS.pendingFriendRequests, LIMITS.groupMembers));
});

describe("groups", () => {
  it("nobody who blocked the adder can be added: REST create and add, socket createGroup (403 Access denied, nothing written)", async () => {
    const [ann, ben, cat] = [await makeUser(), await makeUser(), await makeUser()];
    expect((await block(cat, ann)).status).toBe(200);

    const rest = await api("POST", "/api/conversations/group", { token: ann.token, body: { name: "no cat", members: [ben._id, cat._id] } });
    expect(rest).toMatchObject({ status: 403, body: { message: "Access denied" } });
    const socket = fakeSocket(ann);
    await expect(socket.call("createGroup", { name: "no cat", members: [cat.userId] })).rejects.toMatchObject({ status: 403, message: "Access denied" });
    expect(await db.select().from(conversations).where(eq(conversations.createdBy, ann._id)).all()).toEqual([]);

    const group = await api("POST", "/api/conversations/group", { token: ann.token, body: { name: "G", members: [ben._id] } });
    expect(group.status).toBe(201);
    const id = group.body.data._id as string;
    const add = await api("POST", `/api/conversations/${id}/members`, { token: ann.token, body: { members: [cat._id] } });
    expect(add).toMatchObject({ status: 403, body: { message: "Access denied" } });
    // another member (whom cat did not block) may add her
    expect((await api("POST", `/api/conversations/${id}/members`, { token: ben.token, body: { members: [cat._id] } })).status).toBe(200);
  });

  it(`a group holds at most ${LIMITS.groupMembers} members: an add past it is 409 and adds nobody`, async () => {
    const [ann, ben, cat, dan] = [await makeUser(), await makeUser(), await makeUser(), await makeUser()];
    const group = await api("POST", "/api/conversations/group", { token: ann.token, body: { name: "big", members: [ben._id] } });
    const id = group.body.data._id as string;
    // fill up to one short of the cap
    const fill = LIMITS.groupMembers - 3;
    await db.run(sql`INSERT INTO conversation_members (conversation_id, user_id, joined_at)
      SELECT ${id}, value, 0 FROM json_each(${JSON.stringify(pool.slice(0, fill))})`);
    const count = async () => (await db.all(sql`SELECT 1 FROM conversation_members WHERE conversation_id = ${id}`)).length;
    expect(await count()).toBe(LIMITS.groupMembers - 1);

    const two = await api("POST", `/api/conversations/${id}/members`, { token: ann.token, body: { members: [cat._id, dan._id] } });
    expect(two.status).toBe(409);
    expect(two.body.message).toMatch(new RegExp(`members: at most ${LIMITS.groupMembers} members in a group`));
    expect(await count()).toBe(LIMITS.groupMembers - 1);
    expect((await api("POST", `/api/conversations/${id}/members`, { token: ann.token, body: { members: [cat._id] } })).status).toBe(200);
    expect(await count()).toBe(LIMITS.groupMembers);
    expect((await api("POST", `/api/conversations/${id}/members`, { token: ann.token, body: { members: [dan._id] } })).status).toBe(409);
  });
});

describe("per-user caps", () => {
  it(`contacts: at most ${LIMITS.contacts}; re-adding one already there still works`, async () => {
    const [owner, extra] = [await makeUser(), await makeUser()];
    await db.run(sql`INSERT INTO contacts (owner_id, contact_id, created_at) SELECT ${owner._id}, value, 0 FROM json_each(${JSON.stringify(pool.slice(0, LIMITS.contacts))})`);
    const refused = await api("POST", "/api/contacts", { token: owner.token, body: { userId: extra._id } });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/at most 5,000 contacts per user/);
    expect(await db.select().from(contacts).where(and(eq(contacts.ownerId, owner._id), eq(contacts.contactId, extra._id))).all()).toEqual([]);
    expect((await api("POST", "/api/contacts", { token: owner.token, body: { userId: pool[0], name: "renamed" } })).status).toBe(200);
  });

  it(`friends: accepting past ${LIMITS.friends} friends is 409 and the request stays pending; pending requests are capped too`, async () => {
    const [popular, asker] = [await makeUser(), await makeUser()];
    await db.run(sql`INSERT INTO friendships (user_id, friend_id, created_at) SELECT ${popular._id}, value, 0 FROM json_each(${JSON.stringify(pool.slice(0, LIMITS.friends))})`);
    const req = await api("POST", "/api/friends/requests", { token: asker.token, body: { userId: popular._id } });
    expect(req.status).toBe(201);
    const accept = await api("POST", `/api/friends/requests/${req.body._id}/accept`, { token: popular.token });
    expect(accept.status).toBe(409);
    expect(accept.body.message).toMatch(/friends: at most 5,000 friends per user/);
    expect((await db.select().from(friendRequests).where(eq(friendRequests.id, req.body._id)).get())?.status).toBe("pending");
    expect(await db.select().from(friendships).where(eq(friendships.userId, asker._id)).all()).toEqual([]);

    const [spammer, target] = [await makeUser(), await makeUser()];
    await db.run(sql`INSERT INTO friend_requests (id, from_id, to_id, status, created_at, updated_at)
      SELECT substr(value, 1, 16) || printf('%08x', key), ${spammer._id}, value, 'pending', 0, 0 FROM json_each(${JSON.stringify(pool.slice(0, LIMITS.pendingFriendRequests))})`);
    const more = await api("POST", "/api/friends/requests", { token: spammer.token, body: { userId: target._id } });
    expect(more.status).toBe(409);
    expect(more.body.message).toMatch(/at most 1,000 pending friend requests per user/);
  });

  it(`schedules (at most ${LIMITS.schedules}) and templates (at most ${LIMITS.templates}): single and bulk creation refused with 409, nothing written`, async () => {
    const u = await makeUser();
    await db.run(sql`INSERT INTO status_schedules (id, user_id, status, start_time, end_time)
      WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${LIMITS.schedules})
      SELECT substr(${u._id}, 1, 16) || printf('%08x', i), ${u._id}, 'busy', 1000, 2000 FROM k`);
    const schedule = { status: "away", startTime: "2030-01-01T09:00:00Z", endTime: "2030-01-01T10:00:00Z" };
    const one = await api("POST", `/api/users/${u.userId}/schedules`, { token: u.token, body: schedule });
    expect(one.status).toBe(409);
    expect(one.body.message).toMatch(/schedules: at most 500 status schedules per user/);
    expect((await api("POST", "/api/bulk/schedules/bulk", { token: u.token, body: [schedule, schedule] })).status).toBe(409);
    expect((await db.select().from(statusSchedules).where(eq(statusSchedules.userId, u._id)).all()).length).toBe(LIMITS.schedules);

    const t = await makeUser();
    const template = { name: "Lunch", status: "eating", duration: 30 };
    const first = await api("POST", "/api/bulk/templates/bulk", { token: t.token, body: Array.from({ length: 50 }, () => template) });
    expect(first.status).toBe(201);
    await db.run(sql`INSERT INTO status_templates (id, user_id, name, status)
      WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${LIMITS.templates - 51})
      SELECT substr(${t._id}, 1, 16) || printf('%08x', i), ${t._id}, 'T' || i, 'busy' FROM k`);
    expect((await api("POST", "/api/status/templates", { token: t.token, body: template })).status).toBe(201);
    const over = await api("POST", "/api/status/templates", { token: t.token, body: template });
    expect(over.status).toBe(409);
    expect(over.body.message).toMatch(/templates: at most 200 status templates per user/);
    expect((await api("POST", "/api/bulk/templates/bulk", { token: t.token, body: [template] })).status).toBe(409);
    expect((await db.select().from(statusTemplates).where(eq(statusTemplates.userId, t._id)).all()).length).toBe(LIMITS.templates);
  });
});

describe("GET /api/conversations pages", () => {
  it("page and limit in both dialects (newest activity first); limit over 100 is 400", async () => {
    const me = await makeUser();
    const others = [await makeUser(), await makeUser(), await makeUser()];
    for (const o of others) {
      expect((await api("POST", "/api/messages/send", { token: me.token, body: { recipientId: o._id, text: `to ${o.name}` } })).status).toBe(201);
    }
    const newestFirst = [...others].reverse().map((o) => o._id);
    const page1 = await api("GET", "/api/conversations?limit=2", { token: me.token });
    expect(page1.status).toBe(200);
    expect(page1.body).toMatchObject({ success: true, statusCode: 200 });
    const otherOf = (c: any) => c.members.map((m: any) => m._id).find((id: string) => id !== me._id);
    expect(page1.body.data.map(otherOf)).toEqual(newestFirst.slice(0, 2));
    const page2 = await api("GET", "/api/conversations?limit=2&page=2", { token: me.token });
    expect(page2.body.data.map(otherOf)).toEqual(newestFirst.slice(2));
    expect((await api("GET", "/api/conversations?limit=2&page=3", { token: me.token })).body.data).toEqual([]);
    expect((await api("GET", "/api/conversations", { token: me.token })).body.data).toHaveLength(3);

    const chat = await api("GET", "/api/conversations?dialect=chat-socket&limit=1&page=2", { token: me.token });
    expect(Array.isArray(chat.body)).toBe(true);
    expect(chat.body).toHaveLength(1);
    expect(chat.body[0].participants).toContain(others[1].email);

    const tooMany = await api("GET", "/api/conversations?limit=101", { token: me.token });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/limit: must be <= 100/);
    expect((await api("GET", "/api/conversations?page=0", { token: me.token })).status).toBe(400);
  });
});

describe("typing and presence do not track strangers", () => {
  it("typing to a user one has no conversation with creates none, emits nothing and relates nobody", async () => {
    const [ann, stranger] = [await makeUser(), await makeUser()];
    const s = fakeSocket(ann);
    const none = { success: true, typing: false, conversation_id: null, conversationId: null };
    expect(await s.call("typing_start", { receiverId: stranger._id })).toEqual(none);
    expect(await s.call("typing", { recipientId: stranger.userId })).toEqual(none);
    expect(await s.call("typing_stop", { receiverId: stranger._id })).toEqual(none);
    expect(await s.call("stopTyping", { recipientId: stranger._id })).toEqual(none);
    expect(await pairConversation(ann._id, stranger._id)).toBeUndefined();
    expect(await watchersOf(db, stranger._id)).not.toContain(ann._id);
    expect(await watchedBy(db, ann._id)).not.toContain(stranger._id);
  });

  it("presence: conversation partners are those who exchanged messages; an empty 1-on-1 or a silent group relates nobody", async () => {
    const [ann, ben, cat] = [await makeUser(), await makeUser(), await makeUser()];
    expect((await api("POST", "/api/conversations/1on1", { token: ann.token, body: { receiverId: ben._id } })).status).toBe(201);
    const group = await api("POST", "/api/conversations/group", { token: ann.token, body: { name: "quiet", members: [cat._id] } });
    expect(group.status).toBe(201);
    expect(await watchersOf(db, ann._id)).toEqual([]);
    expect(await watchedBy(db, ben._id)).toEqual([]);

    expect((await api("POST", "/api/messages/send", { token: ben.token, body: { recipientId: ann._id, text: "hi" } })).status).toBe(201);
    expect((await pairConversation(ann._id, ben._id))?.firstMessageAt).toBeInstanceOf(Date);
    expect(await watchersOf(db, ann._id)).toEqual([ben._id]);
    expect(await watchedBy(db, ben._id)).toEqual([ann._id]);

    const sent = await api("POST", "/api/messages", { token: cat.token, body: { conversationId: group.body.data._id, message: "hello group" } });
    expect(sent.status).toBe(201);
    expect((await watchersOf(db, cat._id)).sort()).toEqual([ann._id]);
    // the group's first message relates its members; a later one writes nothing more
    const stamped = (await db.select().from(conversations).where(eq(conversations.id, group.body.data._id)).get())!.firstMessageAt;
    expect((await api("POST", "/api/messages", { token: ann.token, body: { conversationId: group.body.data._id, message: "again" } })).status).toBe(201);
    expect((await db.select().from(conversations).where(eq(conversations.id, group.body.data._id)).get())!.firstMessageAt).toEqual(stamped);
    // the block still wins
    expect((await block(ann, ben)).status).toBe(200);
    expect(await watchersOf(db, ann._id)).toEqual([cat._id]);
  });
});

describe("one rule per check, whatever the dispatch form", () => {
  it("typing honours blocks by conversation_id as by receiverId / recipientId", async () => {
    const [ann, ben] = [await makeUser(), await makeUser()];
    const sent = await api("POST", "/api/messages/send", { token: ann.token, body: { recipientId: ben._id, text: "hi" } });
    const conversationId = sent.body.conversationId as string;
    expect((await block(ben, ann)).status).toBe(200);
    const s = fakeSocket(ann);
    for (const [event, payload] of [
      ["typing_start", { conversation_id: conversationId }],
      ["typing_start", { conversationId }],
      ["typing_start", { receiverId: ben._id }],
      ["typing", { recipientId: ben._id }],
    ] as const) {
      await expect(s.call(event, payload), `${event} ${JSON.stringify(payload)}`).rejects.toMatchObject({ status: 403, message: "Access denied" });
    }
  });

  it("sending to someone who blocked you is refused in every form, and a blocked sender creates no conversation", async () => {
    const [ann, ben, cat] = [await makeUser(), await makeUser(), await makeUser()];
    // no conversation yet: the refusal comes before any write
    expect((await block(ben, ann)).status).toBe(200);
    const byUser = await api("POST", "/api/messages/send", { token: ann.token, body: { recipientId: ben._id, text: "let me in" } });
    expect(byUser).toMatchObject({ status: 403, body: { message: "Access denied" } });
    const byEmail = await api("POST", "/api/messages/send", { token: ann.token, body: { to_email: ben.email, message: "004" } });
    expect(byEmail).toMatchObject({ status: 403, body: { message: "Access denied" } });
    await expect(fakeSocket(ann).call("send_message", { receiverId: ben._id, content: "002" })).rejects.toMatchObject({ status: 403 });
    expect(await pairConversation(ann._id, ben._id)).toBeUndefined();

    // an existing conversation: by conversation as by user
    const first = await api("POST", "/api/messages/send", { token: ann.token, body: { recipientId: cat._id, text: "hi" } });
    const conversationId = first.body.conversationId as string;
    expect((await block(cat, ann)).status).toBe(200);
    const s = fakeSocket(ann);
    await expect(s.call("sendMessage", { conversationId, message: "003" })).rejects.toMatchObject({ status: 403, message: "Access denied" });
    await expect(s.call("send_message", { conversation_id: conversationId, message: "004" })).rejects.toMatchObject({ status: 403, message: "Access denied" });
    await expect(s.call("sendMessage", { recipientId: cat._id, text: "001" })).rejects.toMatchObject({ status: 403, message: "Access denied" });
    expect((await api("POST", "/api/messages", { token: ann.token, body: { conversationId, message: "003 REST" } })).status).toBe(403);
  });

  it("a blocked user who left the pair's conversation is not made a member again by addressing the blocker", async () => {
    const [ann, ben] = [await makeUser(), await makeUser()];
    const first = await api("POST", "/api/messages/send", { token: ann.token, body: { recipientId: ben._id, text: "hi" } });
    const conversationId = first.body.conversationId as string;
    expect((await api("DELETE", `/api/conversations/${conversationId}/leave`, { token: ann.token })).status).toBe(200);
    expect((await block(ben, ann)).status).toBe(200);
    // the pair is cached from the first send: the rejoin is refused all the same
    const again = await api("POST", "/api/messages/send", { token: ann.token, body: { recipientId: ben._id, text: "back" } });
    expect(again).toMatchObject({ status: 403, body: { message: "Access denied" } });
    const members = await db.select().from(conversationMembers).where(eq(conversationMembers.conversationId, conversationId)).all();
    expect(members.map((m) => m.userId)).toEqual([ben._id]);
  });

  it("markMessagesRead naming a message of another conversation is 400 and moves no read position", async () => {
    const [ann, ben, cat] = [await makeUser(), await makeUser(), await makeUser()];
    const inG = await api("POST", "/api/messages/send", { token: ben.token, body: { recipientId: ann._id, text: "one" } });
    await api("POST", "/api/messages/send", { token: ben.token, body: { recipientId: ann._id, text: "two" } });
    const elsewhere = await api("POST", "/api/messages/send", { token: cat.token, body: { recipientId: ann._id, text: "other" } });
    const conversationId = inG.body.conversationId as string;
    const unread = async () => (await api("GET", `/api/messages/unread/count/${conversationId}`, { token: ann.token })).body.data.unreadCount;
    expect(await unread()).toBe(2);
    const s = fakeSocket(ann);
    await expect(s.call("markMessagesRead", { conversationId, messageId: elsewhere.body._id })).rejects.toMatchObject({ status: 400 });
    expect(await unread()).toBe(2);
    const otherUnread = await api("GET", `/api/messages/unread/count/${elsewhere.body.conversationId}`, { token: ann.token });
    expect(otherUnread.body.data.unreadCount).toBe(1);
    // the same read through the domain with a mismatched conversation (no handler check): 404, nothing moved
    const { markMessageRead } = await import("../../src/domain/messages");
    await expect(markMessageRead(env, db, elsewhere.body._id, ann._id, { conversationId })).rejects.toMatchObject({ status: 404 });
    expect(await unread()).toBe(2);
    // 004 mark_as_read and join_conversation: members only, in every form
    const outsider = fakeSocket(cat, "chat-socket");
    await expect(outsider.call("mark_as_read", { conversation_id: conversationId })).rejects.toMatchObject({ status: 404 });
    await expect(outsider.call("join_conversation", { conversation_id: conversationId })).rejects.toMatchObject({ status: 404 });
    await expect(fakeSocket(cat).call("joinGroup", { conversationId })).rejects.toMatchObject({ status: 404 });
    await expect(fakeSocket(cat).call("markMessagesRead", { conversationId })).rejects.toMatchObject({ status: 404 });
    expect(await unread()).toBe(2);
  });
});

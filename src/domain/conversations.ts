/**
 * Conversations: 1-on-1 (unique per pair of users, got-or-created when a user
 * is addressed) and groups (creator-only rename and removal, any member adds,
 * the last member leaving archives it). Members only see and write: a
 * conversation you are not a member of answers 404 everywhere.
 *
 * Read positions: every member has `read_seq` (all messages with seq <= it
 * are read) and `unread_count` (messages from others, not deleted, above it),
 * maintained on write so counting never scans message history.
 */
import { and, asc, eq, inArray, ne, sql, type SQLWrapper } from "drizzle-orm";
import { type Conversation, type ConversationMember, conversationMembers, conversations, type User, users } from "../db/schema";
import type { Env } from "../env";
import { chunks, D1_IN_LIST_MAX } from "../lib/chunks";
import { errorText } from "../lib/db-errors";
import { capGuard, capReached, LIMITS, withCap } from "../lib/limits";
import { badRequest, forbidden, notFound } from "../lib/errors";
import type { Db } from "../db/client";
import { objectId } from "../lib/ids";
import { conversationRoom, userHub } from "../objects/stubs";
import type { ConversationRecord, MembershipChange } from "./read-models";
import { blockersAmong, hasBlocked } from "./relations";
import { findUsersByRefs } from "./users";

export const MAX_GROUP_MEMBERS_PER_REQUEST = LIMITS.groupMembersPerRequest;
export const MAX_GROUP_MEMBERS = LIMITS.groupMembers;

/** Fails the batch when the conversation has more than MAX_GROUP_MEMBERS members. */
const groupCap = (db: Db, conversationId: string) =>
  capGuard(db, sql`SELECT count(*) FROM ${conversationMembers} WHERE ${conversationMembers.conversationId} = ${conversationId}`, MAX_GROUP_MEMBERS, {
    table: conversations,
    where: eq(conversations.id, conversationId),
  });
const groupFull = (have?: number) =>
  capReached("members", "members in a group", MAX_GROUP_MEMBERS, have === undefined ? "remove members first" : `this group has ${have}; remove members first`);

export const isUniqueViolation = (err: unknown) => /UNIQUE constraint failed/i.test(errorText(err));

/** The two user ids sorted and joined by ":". */
export const pairKey = (a: string, b: string) => [a, b].sort().join(":");

/** The other member of a 1-on-1 conversation (from its pair key), or null for groups. */
export function otherInPair(c: Pick<Conversation, "type" | "pairKey">, me: string): string | null {
  if (c.type !== "1on1" || !c.pairKey) return null;
  const [a, b] = c.pairKey.split(":");
  return a === me ? b : a;
}

export const conversationNotFound = () => notFound("Conversation not found");

/** The conversation and the caller's membership row; 404 when it does not exist or the caller is not a member. */
export async function requireMembership(
  db: Db,
  conversationId: string,
  userId: string,
): Promise<{ conversation: Conversation; member: ConversationMember }> {
  const row = await db
    .select({ conversation: conversations, member: conversationMembers })
    .from(conversationMembers)
    .innerJoin(conversations, eq(conversations.id, conversationMembers.conversationId))
    .where(and(eq(conversationMembers.conversationId, conversationId), eq(conversationMembers.userId, userId)))
    .get();
  if (!row) throw conversationNotFound();
  return row;
}

/** Inserts membership rows in chunks that stay under D1's 100 bound parameters per query (three a row). */
function insertMembers(db: Db, conversationId: string, userIds: string[], joinedAt: Date) {
  const rows = userIds.map((userId) => ({ conversationId, userId, joinedAt }));
  return chunks(rows, Math.floor(D1_IN_LIST_MAX / 3)).map((part) => db.insert(conversationMembers).values(part).onConflictDoNothing());
}

/** Who is in the conversation changed: its room reloads its members now (new members start with nothing unread). */
export async function membershipChanged(env: Env, conversationId: string, change?: MembershipChange): Promise<void> {
  await conversationRoom(env, conversationId).invalidate(change);
}

/**
 * What rooms cache about `userId` changed: their profile (every conversation
 * of theirs), or a block between them and `otherId` (the pair's
 * conversation). Those rooms reload before the next send.
 */
export async function peopleChanged(env: Env, db: Db, userId: string, otherId?: string): Promise<void> {
  const ids = otherId
    ? (await db.select({ id: conversations.id }).from(conversations).where(eq(conversations.pairKey, pairKey(userId, otherId))).all()).map((r) => r.id)
    : (await db.select({ id: conversationMembers.conversationId }).from(conversationMembers).where(eq(conversationMembers.userId, userId)).all()).map((r) => r.id);
  for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map((id) => membershipChanged(env, id)));
}

/**
 * Gets or creates the 1-on-1 conversation of two users (unique `pair_key`, so
 * concurrent creation yields one). Someone who left it is a member again when
 * it is addressed again.
 */
export async function getOrCreatePair(env: Env, db: Db, meId: string, otherId: string): Promise<{ conversation: Conversation; created: boolean }> {
  if (meId === otherId) throw badRequest("receiverId: you cannot start a conversation with yourself");
  const key = pairKey(meId, otherId);
  const existing = await db
    .select({
      conversation: conversations,
      memberCount: sql<number>`(select count(*) from ${conversationMembers} where ${conversationMembers.conversationId} = ${conversations.id})`,
    })
    .from(conversations)
    .where(eq(conversations.pairKey, key))
    .get();
  if (existing) {
    if (existing.memberCount >= 2) return { conversation: existing.conversation, created: false };
    const c = existing.conversation;
    const now = new Date();
    await db.batch([
      db.update(conversations).set({ status: "active", updatedAt: now }).where(eq(conversations.id, c.id)),
      ...insertMembers(db, c.id, [meId, otherId], now),
    ] as const);
    await membershipChanged(env, c.id);
    return { conversation: { ...c, status: "active", updatedAt: now }, created: false };
  }
  const now = new Date();
  const conversation: Conversation = {
    id: objectId(now.getTime()),
    type: "1on1",
    name: null,
    createdBy: meId,
    status: "active",
    pairKey: key,
    firstMessageAt: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await db.batch([db.insert(conversations).values(conversation), ...insertMembers(db, conversation.id, [meId, otherId], now)] as const);
    return { conversation, created: true };
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // a concurrent request created the pair first: use theirs
    const winner = await db.select().from(conversations).where(eq(conversations.pairKey, key)).get();
    if (!winner) throw err;
    return { conversation: winner, created: false };
  }
}

/** 403 `Access denied` when `blockerId` has blocked `userId`. */
export async function assertNotBlockedBy(db: Db, blockerId: string, userId: string): Promise<void> {
  if (await hasBlocked(db, blockerId, userId)) throw forbidden("Access denied");
}

/** Resolves member refs (either id form) to users; 404 naming unknown refs. */
async function resolveMembers(db: Db, refs: string[], field = "members"): Promise<User[]> {
  const unique = [...new Set(refs.map((r) => r.trim().toLowerCase()))];
  if (unique.length > MAX_GROUP_MEMBERS_PER_REQUEST) throw badRequest(`${field}: at most ${MAX_GROUP_MEMBERS_PER_REQUEST} users per request`);
  const found = await findUsersByRefs(db, unique);
  const known = new Set(found.flatMap((u) => [u.id, u.userId]));
  const missing = unique.filter((r) => !known.has(r));
  if (missing.length) throw notFound(`${field}: user not found: ${missing.join(", ")}`);
  return found;
}

const others = (found: User[], selfId: string) => found.filter((u) => u.id !== selfId);

export async function createGroup(db: Db, creatorId: string, name: string, refs: string[]): Promise<Conversation> {
  const invited = others(await resolveMembers(db, refs), creatorId);
  if (!invited.length) throw badRequest("members: a group needs at least one member besides you");
  if ((await blockersAmong(db, creatorId, invited.map((u) => u.id))).size) throw forbidden("Access denied");
  const now = new Date();
  const conversation: Conversation = {
    id: objectId(now.getTime()),
    type: "group",
    name,
    createdBy: creatorId,
    status: "active",
    pairKey: null,
    firstMessageAt: null,
    createdAt: now,
    updatedAt: now,
  };
  if (invited.length + 1 > MAX_GROUP_MEMBERS) throw groupFull();
  await db.batch([
    db.insert(conversations).values(conversation),
    ...insertMembers(db, conversation.id, [creatorId, ...invited.map((u) => u.id)], now),
  ] as const);
  return conversation;
}

/** `GET /api/conversations` pages: `limit` defaults to 50 and is at most 100. */
export const CONVERSATION_PAGE_DEFAULT = 50;
export const CONVERSATION_PAGE_MAX = 100;

type Inbox = Awaited<ReturnType<ReturnType<typeof userHub>["inbox"]>>;

/**
 * Records for the given conversations, in that order: conversations and
 * members from D1 (one round trip), inbox entries from the viewer's hub.
 * `wanted` selects the ids in SQL (default: exactly `ids`).
 */
async function recordsOf(db: Db, ids: string[], inbox: Inbox, wanted?: SQLWrapper): Promise<ConversationRecord[]> {
  if (!ids.length) return [];
  // one bound parameter for any number of ids (D1 allows 100 per query)
  wanted ??= sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`;
  const [rows, memberRows] = await db.batch([
    db.select().from(conversations).where(inArray(conversations.id, wanted)),
    db
      .select({ conversationId: conversationMembers.conversationId, user: users })
      .from(conversationMembers)
      .innerJoin(users, eq(users.id, conversationMembers.userId))
      .where(inArray(conversationMembers.conversationId, wanted))
      .orderBy(asc(conversationMembers.joinedAt), asc(sql`${conversationMembers}.rowid`)),
  ] as const);
  const membersOf = new Map<string, User[]>();
  for (const r of memberRows) {
    const list = membersOf.get(r.conversationId) ?? [];
    list.push(r.user);
    membersOf.set(r.conversationId, list);
  }
  const entryOf = new Map(inbox.map((e) => [e.conversationId, e]));
  const byId = new Map(rows.map((c) => [c.id, c]));
  return ids.flatMap((id) => {
    const conversation = byId.get(id);
    if (!conversation) return [];
    const entry = entryOf.get(id);
    return [{ conversation, members: membersOf.get(id) ?? [], unreadCount: entry?.unread ?? 0, last: entry?.last ?? null }];
  });
}

/**
 * One page of the caller's conversations as view records, ordered by last
 * activity (last message, else creation), newest first. The order needs only
 * each conversation's id and creation time (D1) and the caller's inbox
 * (UserHub: last messages and unread counts); members are loaded for the
 * page alone, so a page costs the same however many conversations one has.
 */
export async function listConversations(
  env: Env,
  db: Db,
  viewerId: string,
  page: { page: number; limit: number } = { page: 1, limit: CONVERSATION_PAGE_DEFAULT },
): Promise<ConversationRecord[]> {
  const mine = db.select({ id: conversationMembers.conversationId }).from(conversationMembers).where(eq(conversationMembers.userId, viewerId));
  const [heads, inbox] = await Promise.all([
    db.select({ id: conversations.id, createdAt: conversations.createdAt }).from(conversations).where(inArray(conversations.id, mine)).all(),
    userHub(env, viewerId).inbox(),
  ]);
  const lastAt = new Map(inbox.map((e) => [e.conversationId, e.last?.createdAt.getTime()]));
  const activity = (h: (typeof heads)[number]) => lastAt.get(h.id) ?? h.createdAt.getTime();
  heads.sort((a, b) => activity(b) - activity(a) || (a.id < b.id ? 1 : -1));
  const limit = Math.min(Math.max(1, page.limit), CONVERSATION_PAGE_MAX);
  const ids = heads.slice((Math.max(1, page.page) - 1) * limit, Math.max(1, page.page) * limit).map((h) => h.id);
  return recordsOf(db, ids, inbox);
}

/** One conversation as the caller sees it; 404 when not a member. */
export async function getConversation(env: Env, db: Db, conversationId: string, viewerId: string): Promise<ConversationRecord> {
  const membership = db
    .select({ id: conversationMembers.conversationId })
    .from(conversationMembers)
    .where(and(eq(conversationMembers.userId, viewerId), eq(conversationMembers.conversationId, conversationId)));
  const [record] = await recordsOf(db, [conversationId], await userHub(env, viewerId).inbox(), membership);
  if (!record) throw conversationNotFound();
  return record;
}

function requireGroup(c: Conversation, action: string) {
  if (c.type !== "group") throw badRequest(`conversationId: ${action} is only possible in a group conversation`);
}

/** Any member may add members to a group (003). */
export async function addMembers(env: Env, db: Db, conversationId: string, actorId: string, refs: string[]): Promise<ConversationRecord> {
  const { conversation } = await requireMembership(db, conversationId, actorId);
  requireGroup(conversation, "adding members");
  const added = others(await resolveMembers(db, refs), actorId);
  if (!added.length) throw badRequest("members: name at least one user other than yourself");
  if ((await blockersAmong(db, actorId, added.map((u) => u.id))).size) throw forbidden("Access denied");
  const now = new Date();
  // the cap is checked in the same transaction as the insert: concurrent adds cannot pass it together
  await withCap(
    () =>
      db.batch([
        db.update(conversations).set({ updatedAt: now }).where(eq(conversations.id, conversationId)),
        ...insertMembers(db, conversationId, added.map((u) => u.id), now),
        groupCap(db, conversationId),
      ] as const),
    () => groupFull(),
  );
  await membershipChanged(env, conversationId, { kind: "added", actorId, userIds: added.map((u) => u.id) });
  return getConversation(env, db, conversationId, actorId);
}

/** Only the creator removes members (003); leaving is `leaveConversation`. */
export async function removeMembers(env: Env, db: Db, conversationId: string, actorId: string, refs: string[]): Promise<ConversationRecord> {
  const { conversation } = await requireMembership(db, conversationId, actorId);
  requireGroup(conversation, "removing members");
  if (conversation.createdBy !== actorId) throw forbidden("Only the group creator can remove members");
  const found = await resolveMembers(db, refs);
  if (found.some((u) => u.id === actorId)) throw badRequest("members: you cannot remove yourself; leave the conversation instead");
  const ids = found.map((u) => u.id);
  const present = await db
    .select({ userId: conversationMembers.userId })
    .from(conversationMembers)
    .where(and(eq(conversationMembers.conversationId, conversationId), inArray(conversationMembers.userId, ids)))
    .all();
  const presentIds = new Set(present.map((p) => p.userId));
  const absent = found.filter((u) => !presentIds.has(u.id));
  if (absent.length) throw badRequest(`members: not a member of this conversation: ${absent.map((u) => u.id).join(", ")}`);
  await db.batch([
    db.delete(conversationMembers).where(and(eq(conversationMembers.conversationId, conversationId), inArray(conversationMembers.userId, ids))),
    db.update(conversations).set({ updatedAt: new Date() }).where(eq(conversations.id, conversationId)),
  ] as const);
  await membershipChanged(env, conversationId, { kind: "removed", actorId, userIds: ids });
  return getConversation(env, db, conversationId, actorId);
}

/** Only the creator renames a group (003). */
export async function renameGroup(env: Env, db: Db, conversationId: string, actorId: string, name: string): Promise<ConversationRecord> {
  const { conversation } = await requireMembership(db, conversationId, actorId);
  requireGroup(conversation, "renaming");
  if (conversation.createdBy !== actorId) throw forbidden("Only the group creator can update the group");
  await db.update(conversations).set({ name, updatedAt: new Date() }).where(eq(conversations.id, conversationId));
  await membershipChanged(env, conversationId, { kind: "renamed", actorId, name });
  return getConversation(env, db, conversationId, actorId);
}

/**
 * Leaving removes the caller's membership. When the creator of a group leaves,
 * the longest-standing remaining member becomes its creator; the last member
 * leaving archives the conversation.
 */
export async function leaveConversation(env: Env, db: Db, conversationId: string, userId: string): Promise<{ conversationId: string; status: string; createdBy: string }> {
  const { conversation } = await requireMembership(db, conversationId, userId);
  const next = await db
    .select({ userId: conversationMembers.userId })
    .from(conversationMembers)
    .where(and(eq(conversationMembers.conversationId, conversationId), ne(conversationMembers.userId, userId)))
    .orderBy(asc(conversationMembers.joinedAt), asc(sql`${conversationMembers}.rowid`))
    .get();
  const status = next ? conversation.status : "archived";
  const createdBy = conversation.createdBy === userId && next && conversation.type === "group" ? next.userId : conversation.createdBy;
  await db.batch([
    db.delete(conversationMembers).where(and(eq(conversationMembers.conversationId, conversationId), eq(conversationMembers.userId, userId))),
    db.update(conversations).set({ status, createdBy, updatedAt: new Date() }).where(eq(conversations.id, conversationId)),
  ] as const);
  await membershipChanged(env, conversationId, { kind: "left", actorId: userId });
  return { conversationId, status, createdBy };
}

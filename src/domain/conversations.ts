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
import { and, asc, desc, eq, inArray, ne, sql } from "drizzle-orm";
import {
  type Conversation,
  type ConversationMember,
  conversationMembers,
  conversations,
  messages,
  type User,
  users,
} from "../db/schema";
import { badRequest, forbidden, notFound } from "../lib/errors";
import type { Db } from "../lib/http";
import { objectId } from "../lib/ids";
import type { ConversationRecord } from "../views/conversation";
import { blockersAmong, hasBlocked } from "./relations";
import { findUsersByRefs } from "./users";

export const MAX_GROUP_MEMBERS_PER_REQUEST = 50;

/** The messages of an error and its causes (drizzle wraps D1's error in a DrizzleQueryError). */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return parts.join(" <- ");
}

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

function memberRows(conversationId: string, userIds: string[], joinedAt: Date, readSeq: number | ReturnType<typeof sql>) {
  return userIds.map((userId) => ({ conversationId, userId, readSeq, readAt: null, unreadCount: 0, joinedAt }));
}

/** Inserts membership rows in chunks that stay under D1's 100 bound parameters per query. */
function insertMembers(db: Db, conversationId: string, userIds: string[], joinedAt: Date, readSeq: number | ReturnType<typeof sql>) {
  const rows = memberRows(conversationId, userIds, joinedAt, readSeq);
  const out = [];
  for (let i = 0; i < rows.length; i += 15) {
    out.push(db.insert(conversationMembers).values(rows.slice(i, i + 15)).onConflictDoNothing());
  }
  return out;
}

/** New members start at the conversation's current position: history before they joined is not unread for them. */
const currentSeq = (conversationId: string) =>
  sql`(select ${conversations.lastSeq} from ${conversations} where ${conversations.id} = ${conversationId})`;

/**
 * Gets or creates the 1-on-1 conversation of two users (unique `pair_key`, so
 * concurrent creation yields one). Someone who left it is a member again when
 * it is addressed again.
 */
export async function getOrCreatePair(db: Db, meId: string, otherId: string): Promise<{ conversation: Conversation; created: boolean }> {
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
      ...insertMembers(db, c.id, [meId, otherId], now, currentSeq(c.id)),
    ] as const);
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
    lastSeq: 0,
    lastMessageId: null,
    lastMessageAt: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await db.batch([db.insert(conversations).values(conversation), ...insertMembers(db, conversation.id, [meId, otherId], now, 0)] as const);
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
    lastSeq: 0,
    lastMessageId: null,
    lastMessageAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await db.batch([
    db.insert(conversations).values(conversation),
    ...insertMembers(db, conversation.id, [creatorId, ...invited.map((u) => u.id)], now, 0),
  ] as const);
  return conversation;
}

/**
 * The caller's conversations as view records, ordered by last activity
 * (last message, else creation), newest first. Four reads in one round trip,
 * none of them with an unbounded parameter list.
 */
async function loadRecords(db: Db, viewerId: string, conversationId?: string): Promise<ConversationRecord[]> {
  const viewer = conversationId
    ? and(eq(conversationMembers.userId, viewerId), eq(conversationMembers.conversationId, conversationId))
    : eq(conversationMembers.userId, viewerId);
  const mine = db.select({ id: conversationMembers.conversationId }).from(conversationMembers).where(viewer);
  const lastIds = db.select({ id: conversations.lastMessageId }).from(conversations).where(inArray(conversations.id, mine));
  // D1 batches map rows by column name: joined selects here must not repeat a column name.
  const [rows, memberRows, lastMessages, lastSenders] = await db.batch([
    db
      .select({ conversation: conversations, unreadCount: conversationMembers.unreadCount })
      .from(conversationMembers)
      .innerJoin(conversations, eq(conversations.id, conversationMembers.conversationId))
      .where(viewer)
      .orderBy(desc(sql`coalesce(${conversations.lastMessageAt}, ${conversations.createdAt})`), desc(conversations.id)),
    db
      .select({ conversationId: conversationMembers.conversationId, user: users })
      .from(conversationMembers)
      .innerJoin(users, eq(users.id, conversationMembers.userId))
      .where(inArray(conversationMembers.conversationId, mine))
      .orderBy(asc(conversationMembers.joinedAt), asc(sql`${conversationMembers}.rowid`)),
    db
      .select()
      .from(messages)
      .where(inArray(messages.id, lastIds)),
    db
      .select()
      .from(users)
      .where(inArray(users.id, db.select({ id: messages.senderId }).from(messages).where(inArray(messages.id, lastIds)))),
  ] as const);
  const membersOf = new Map<string, User[]>();
  for (const r of memberRows) {
    const list = membersOf.get(r.conversationId) ?? [];
    list.push(r.user);
    membersOf.set(r.conversationId, list);
  }
  const senderOf = new Map(lastSenders.map((u) => [u.id, u]));
  const lastOf = new Map(lastMessages.map((m) => [m.conversationId, { message: m, sender: senderOf.get(m.senderId) }]));
  return rows.map(({ conversation, unreadCount }) => {
    const last = lastOf.get(conversation.id);
    return {
      conversation,
      members: membersOf.get(conversation.id) ?? [],
      unreadCount,
      lastMessage: last?.message ?? null,
      lastSender: last?.sender ?? null,
    };
  });
}

export const listConversations = (db: Db, viewerId: string) => loadRecords(db, viewerId);

/** One conversation as the caller sees it; 404 when not a member. */
export async function getConversation(db: Db, conversationId: string, viewerId: string): Promise<ConversationRecord> {
  const [record] = await loadRecords(db, viewerId, conversationId);
  if (!record) throw conversationNotFound();
  return record;
}

function requireGroup(c: Conversation, action: string) {
  if (c.type !== "group") throw badRequest(`conversationId: ${action} is only possible in a group conversation`);
}

/** Any member may add members to a group (003). */
export async function addMembers(db: Db, conversationId: string, actorId: string, refs: string[]): Promise<ConversationRecord> {
  const { conversation } = await requireMembership(db, conversationId, actorId);
  requireGroup(conversation, "adding members");
  const added = others(await resolveMembers(db, refs), actorId);
  if (!added.length) throw badRequest("members: name at least one user other than yourself");
  if ((await blockersAmong(db, actorId, added.map((u) => u.id))).size) throw forbidden("Access denied");
  const now = new Date();
  await db.batch([
    db.update(conversations).set({ updatedAt: now }).where(eq(conversations.id, conversationId)),
    ...insertMembers(db, conversationId, added.map((u) => u.id), now, currentSeq(conversationId)),
  ] as const);
  return getConversation(db, conversationId, actorId);
}

/** Only the creator removes members (003); leaving is `leaveConversation`. */
export async function removeMembers(db: Db, conversationId: string, actorId: string, refs: string[]): Promise<ConversationRecord> {
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
  return getConversation(db, conversationId, actorId);
}

/** Only the creator renames a group (003). */
export async function renameGroup(db: Db, conversationId: string, actorId: string, name: string): Promise<ConversationRecord> {
  const { conversation } = await requireMembership(db, conversationId, actorId);
  requireGroup(conversation, "renaming");
  if (conversation.createdBy !== actorId) throw forbidden("Only the group creator can update the group");
  await db.update(conversations).set({ name, updatedAt: new Date() }).where(eq(conversations.id, conversationId));
  return getConversation(db, conversationId, actorId);
}

/**
 * Leaving removes the caller's membership. When the creator of a group leaves,
 * the longest-standing remaining member becomes its creator; the last member
 * leaving archives the conversation.
 */
export async function leaveConversation(db: Db, conversationId: string, userId: string): Promise<{ conversationId: string; status: string; createdBy: string }> {
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
  return { conversationId, status, createdBy };
}

/**
 * Marks everything in the conversation read for the caller: the read position
 * jumps to the conversation's last sequence number and the counter resets.
 * Returns how many messages became read (the counter before the reset).
 */
export async function markConversationRead(db: Db, conversationId: string, userId: string): Promise<number> {
  return (await readConversation(db, conversationId, userId)).modifiedCount;
}

/**
 * `markConversationRead` with the read position before and after, for the
 * real-time read receipts (src/realtime/deliver.ts `notifyRead`).
 */
export async function readConversation(
  db: Db,
  conversationId: string,
  userId: string,
): Promise<{ modifiedCount: number; readSeqBefore: number; readSeqAfter: number }> {
  const where = and(eq(conversationMembers.conversationId, conversationId), eq(conversationMembers.userId, userId));
  const [before, , after] = await db.batch([
    db.select({ unreadCount: conversationMembers.unreadCount, readSeq: conversationMembers.readSeq }).from(conversationMembers).where(where),
    db
      .update(conversationMembers)
      .set({ readSeq: sql`max(${conversationMembers.readSeq}, ${currentSeq(conversationId)})`, unreadCount: 0, readAt: new Date() })
      .where(where),
    db.select({ readSeq: conversationMembers.readSeq }).from(conversationMembers).where(where),
  ] as const);
  if (!before.length) throw conversationNotFound();
  return { modifiedCount: before[0].unreadCount, readSeqBefore: before[0].readSeq, readSeqAfter: after[0]?.readSeq ?? before[0].readSeq };
}

/** Total unread messages across the caller's conversations (sum of counters). */
export async function unreadTotal(db: Db, userId: string): Promise<number> {
  const row = await db
    .select({ n: sql<number>`coalesce(sum(${conversationMembers.unreadCount}), 0)` })
    .from(conversationMembers)
    .where(eq(conversationMembers.userId, userId))
    .get();
  return Number(row?.n ?? 0);
}

export async function unreadIn(db: Db, conversationId: string, userId: string): Promise<number> {
  const { member } = await requireMembership(db, conversationId, userId);
  return member.unreadCount;
}


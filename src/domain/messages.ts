/**
 * Messages: the one message model behind every document's shape.
 *
 * Writes that create a message go through the conversation's Durable Object
 * (ConversationRoom), which serialises them, assigns the next gap-free `seq`
 * and persists message + conversation + unread counters in ONE D1 batch
 * before answering (`appendMessage`). Reads, edits and deletes are single
 * atomic D1 batches that keep the per-member counters consistent:
 *
 *   unread_count(member) = messages from others, not deleted, with seq > read_seq
 *
 * so counting never scans history. `sendMessage` is the entry point for REST
 * and socket handlers alike; after a message is created, callers hand it to
 * `deliverMessage` (src/realtime/deliver.ts).
 */
import { and, asc, between, eq, gt, inArray, lt, lte, ne, or, sql } from "drizzle-orm";
import {
  type Conversation,
  type ConversationMember,
  conversationMembers,
  conversations,
  type Message,
  messageReceipts,
  messages,
  type User,
  users,
} from "../db/schema";
import type { Env } from "../env";
import { ApiError, badRequest, forbidden, notFound } from "../lib/errors";
import { checkMessageRate } from "../lib/rate-limit";
import type { Db } from "../lib/http";
import { objectId } from "../lib/ids";
import type { MESSAGE_TYPES } from "../lib/schemas";
import type { MessageRecord } from "../views/message";
import {
  errorText,
  getOrCreatePair,
  otherInPair,
  pairKey,
  requireMembership,
} from "./conversations";
import { hasBlocked } from "./relations";
import { attachmentUpload } from "./uploads";
import { findUserByEmail, findUserByRef, requireUserByRef } from "./users";

export type MessageTypeValue = (typeof MESSAGE_TYPES)[number];

// ---------------------------------------------------------------------------
// Appending (runs inside the conversation's Durable Object)
// ---------------------------------------------------------------------------

/** What the Worker hands the conversation's Durable Object to store. */
export interface MessageDraft {
  senderId: string;
  recipientId: string | null;
  type: string;
  text: string;
  attachmentType: string | null;
  attachmentUrl: string | null;
  uploadId: string | null;
  /** JSON text */
  payload: string | null;
  replyTo: string | null;
  clientMsgId: string | null;
}

/** The Durable Object's position in its conversation. */
export interface SeqCursor {
  lastSeq: number;
  /** createdAt of the last message (ms), so timestamps never go backwards against seq. */
  lastAt: number;
}

export type AppendResult =
  | { ok: true; message: Message; created: boolean }
  | { ok: false; status: 404 | 409; error: string };

export async function loadCursor(db: Db, conversationId: string): Promise<SeqCursor | null> {
  const row = await db
    .select({ lastSeq: conversations.lastSeq, lastAt: conversations.lastMessageAt })
    .from(conversations)
    .where(eq(conversations.id, conversationId))
    .get();
  return row ? { lastSeq: row.lastSeq, lastAt: row.lastAt?.getTime() ?? 0 } : null;
}

async function priorByClientId(db: Db, senderId: string, clientMsgId: string) {
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.senderId, senderId), eq(messages.clientMsgId, clientMsgId)))
    .get();
}

function dedupe(prior: Message, conversationId: string): AppendResult {
  return prior.conversationId === conversationId
    ? { ok: true, message: prior, created: false }
    : { ok: false, status: 409, error: "clientMsgId: already used for a message in another conversation" };
}

/**
 * Stores the next message of a conversation. Must only be called by that
 * conversation's Durable Object, one call at a time, with its cursor (which is
 * advanced on success). A repeated (sender, clientMsgId) returns the first
 * message instead of storing a duplicate.
 */
export async function appendMessage(db: Db, conversationId: string, draft: MessageDraft, cursor: SeqCursor): Promise<AppendResult> {
  if (draft.clientMsgId) {
    const prior = await priorByClientId(db, draft.senderId, draft.clientMsgId);
    if (prior) return dedupe(prior, conversationId);
  }
  const seq = cursor.lastSeq + 1;
  const createdAt = new Date(Math.max(Date.now(), cursor.lastAt));
  const message: Message = {
    id: objectId(createdAt.getTime()),
    conversationId,
    seq,
    ...draft,
    createdAt,
    deliveredAt: null,
    edited: false,
    editedAt: null,
    deleted: false,
    deletedBy: null,
    deletedAt: null,
  };
  try {
    await db.batch([
      db.insert(messages).values(message),
      db
        .update(conversations)
        .set({ lastSeq: seq, lastMessageId: message.id, lastMessageAt: createdAt, updatedAt: createdAt })
        .where(eq(conversations.id, conversationId)),
      db
        .update(conversationMembers)
        .set({ unreadCount: sql`${conversationMembers.unreadCount} + 1` })
        .where(and(eq(conversationMembers.conversationId, conversationId), ne(conversationMembers.userId, draft.senderId))),
    ] as const);
  } catch (err) {
    // the same client id raced in through another conversation's object
    if (draft.clientMsgId && /UNIQUE constraint failed: messages\.sender_id, messages\.client_msg_id/.test(errorText(err))) {
      const prior = await priorByClientId(db, draft.senderId, draft.clientMsgId);
      if (prior) return dedupe(prior, conversationId);
    }
    throw err;
  }
  cursor.lastSeq = seq;
  cursor.lastAt = createdAt.getTime();
  return { ok: true, message, created: true };
}

export const conversationRoom = (env: Env, conversationId: string) =>
  env.CONVERSATION_ROOM.get(env.CONVERSATION_ROOM.idFromName(conversationId));

// ---------------------------------------------------------------------------
// Sending (Worker side: REST routes and socket handlers)
// ---------------------------------------------------------------------------

export interface SendInput {
  /** the sender's `_id` */
  senderId: string;
  /** address a conversation the sender is a member of (003, 004 sockets) ... */
  conversationId?: string | null;
  /** ... or a user, by either id form (001 `recipientId`, 002/003 `receiverId`) ... */
  recipientId?: string | null;
  /** ... or by email (004 `to_email`); a user gets-or-creates the 1-on-1 conversation. */
  toEmail?: string | null;
  text?: string | null;
  type?: MessageTypeValue;
  attachment?: { type?: string | null; url: string } | null;
  payload?: unknown;
  replyTo?: string | null;
  clientMsgId?: string | null;
  /**
   * The Engine.IO session id of the socket connection that sent it, when that
   * connection should not get the message back through real-time delivery
   * (standard dialect: it gets `message_sent` / its ack instead).
   */
  exceptSid?: string | null;
  /** How the caller's document names fields, for error messages. */
  fields?: Partial<Record<"text" | "recipient" | "attachment" | "replyTo", string>>;
}

export interface SendResult {
  conversation: Conversation;
  record: MessageRecord;
  /** false when a repeated clientMsgId returned the first message */
  created: boolean;
  conversationCreated: boolean;
}

const MAX_PAYLOAD_CHARS = 16_384;

/**
 * Resolves the target, checks membership, blocking, reply and attachment, then
 * appends through the conversation's object, which also delivers the new
 * message in real time (src/realtime/deliver.ts). Every send path (REST and
 * socket, every document) comes through here, so the per-user message rate
 * limit (004: 100 a minute, 429) is counted here, once per send.
 */
export async function sendMessage(env: Env, db: Db, input: SendInput): Promise<SendResult> {
  const f = { text: "message", recipient: "receiverId", attachment: "fileUrl", replyTo: "replyTo", ...input.fields };
  const text = input.text ?? "";
  const url = input.attachment?.url?.trim() || null;
  const payload = input.payload === undefined || input.payload === null ? null : JSON.stringify(input.payload);
  if (payload !== null && payload.length > MAX_PAYLOAD_CHARS) throw badRequest(`payload: larger than ${MAX_PAYLOAD_CHARS} characters`);
  if (!text.trim() && !url && payload === null) throw badRequest(`${f.text}: must not be empty (send text, an attachment or a payload)`);
  await checkMessageRate(env, input.senderId);

  let conversation: Conversation;
  let conversationCreated = false;
  if (input.conversationId) {
    ({ conversation } = await requireMembership(db, input.conversationId, input.senderId));
  } else {
    let target: User | undefined;
    if (input.toEmail) {
      target = await findUserByEmail(db, input.toEmail);
      if (!target) throw notFound("Recipient not found");
    } else if (input.recipientId) {
      target = await findUserByRef(db, input.recipientId);
      if (!target) throw notFound("Receiver not found");
    } else {
      throw badRequest(`${f.recipient}: is required`);
    }
    if (target.id === input.senderId) throw badRequest(`${f.recipient}: you cannot send a message to yourself`);
    ({ conversation, created: conversationCreated } = await getOrCreatePair(db, input.senderId, target.id));
  }

  const otherId = otherInPair(conversation, input.senderId);
  const [sender, recipient, blocked, replyTarget, upload] = await Promise.all([
    requireUserByRef(db, input.senderId, "Sender"),
    otherId ? findUserByRef(db, otherId) : Promise.resolve(undefined),
    otherId ? hasBlocked(db, otherId, input.senderId) : Promise.resolve(false),
    input.replyTo
      ? db.select({ conversationId: messages.conversationId }).from(messages).where(eq(messages.id, input.replyTo)).get()
      : Promise.resolve(undefined),
    url ? attachmentUpload(db, url, input.senderId, f.attachment) : Promise.resolve(null),
  ]);
  if (blocked) throw forbidden("Access denied");
  if (input.replyTo && replyTarget?.conversationId !== conversation.id) {
    throw badRequest(`${f.replyTo}: must be a message in the same conversation`);
  }

  const type = input.type ?? "text";
  const draft: MessageDraft = {
    senderId: input.senderId,
    recipientId: otherId,
    type,
    text,
    attachmentType: url ? (input.attachment?.type ?? (type === "image" || type === "video" ? type : "file")) : null,
    attachmentUrl: url,
    uploadId: upload?.id ?? null,
    payload,
    replyTo: input.replyTo ?? null,
    clientMsgId: input.clientMsgId ?? null,
  };
  const result = await conversationRoom(env, conversation.id).append(conversation.id, draft, {
    sender,
    recipient: recipient ?? null,
    exceptSid: input.exceptSid ?? null,
  });
  if (!result.ok) throw new ApiError(result.status, result.error);
  const message = result.message as Message;
  const record: MessageRecord = result.created
    ? { message, sender, recipient: recipient ?? null, seenBy: [], read: false }
    : (await hydrate(db, [message]))[0];
  return { conversation, record, created: result.created, conversationCreated };
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/**
 * Attaches sender, recipient and read state to messages of ONE conversation:
 * one round trip (members' read positions, the users involved, receipts in
 * the seq range).
 */
export async function hydrate(db: Db, list: Message[]): Promise<MessageRecord[]> {
  if (!list.length) return [];
  const conversationId = list[0].conversationId;
  const seqs = list.map((m) => m.seq);
  const lo = Math.min(...seqs);
  const hi = Math.max(...seqs);
  const inRange = and(eq(messages.conversationId, conversationId), between(messages.seq, lo, hi));
  const [members, people, receipts] = await db.batch([
    db
      .select({ userId: conversationMembers.userId, readSeq: conversationMembers.readSeq, readAt: conversationMembers.readAt })
      .from(conversationMembers)
      .where(eq(conversationMembers.conversationId, conversationId)),
    db
      .select()
      .from(users)
      .where(
        or(
          inArray(users.id, db.select({ id: conversationMembers.userId }).from(conversationMembers).where(eq(conversationMembers.conversationId, conversationId))),
          inArray(users.id, db.select({ id: messages.senderId }).from(messages).where(inRange)),
          inArray(users.id, db.select({ id: messages.recipientId }).from(messages).where(inRange)),
        ),
      ),
    db
      .select({ messageId: messageReceipts.messageId, userId: messageReceipts.userId, readAt: messageReceipts.readAt })
      .from(messageReceipts)
      .innerJoin(messages, eq(messages.id, messageReceipts.messageId))
      .where(inRange),
  ] as const);
  const userById = new Map(people.map((u) => [u.id, u]));
  const receiptAt = new Map(receipts.map((r) => [`${r.messageId}:${r.userId}`, r.readAt]));
  return list.map((message) => {
    const others = members.filter((m) => m.userId !== message.senderId);
    const readers = others.filter((m) => m.readSeq >= message.seq);
    const read = message.recipientId
      ? readers.some((r) => r.userId === message.recipientId)
      : others.length > 0 && readers.length === others.length;
    const sender = userById.get(message.senderId);
    if (!sender) throw new Error(`sender ${message.senderId} of message ${message.id} is missing`);
    return {
      message,
      sender,
      recipient: message.recipientId ? (userById.get(message.recipientId) ?? null) : null,
      seenBy: readers.map((r) => ({ userId: r.userId, timestamp: receiptAt.get(`${message.id}:${r.userId}`) ?? r.readAt })),
      read,
    };
  });
}

/** Messages with lo < seq <= hi, oldest first (uses the (conversation, seq) index). */
async function bySeqRange(db: Db, conversationId: string, lo: number, hi: number): Promise<Message[]> {
  if (hi <= lo) return [];
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), gt(messages.seq, lo), lte(messages.seq, hi)))
    .orderBy(asc(messages.seq))
    .all();
}

export interface MessagePage {
  records: MessageRecord[];
  /** every message in the conversation (seq is gap-free, so this is `last_seq`) */
  total: number;
  /** older messages exist beyond this page */
  hasOlder: boolean;
}

/**
 * The newest-first window of history: skip the `skip` newest messages, take
 * the next `limit`, return them oldest first. Page p of size n is skip = (p-1)*n.
 */
export async function historyWindow(db: Db, conversation: Conversation, skip: number, limit: number): Promise<MessagePage> {
  const total = conversation.lastSeq;
  const hi = Math.max(0, total - skip);
  const lo = Math.max(0, hi - limit);
  const list = await bySeqRange(db, conversation.id, lo, hi);
  return { records: await hydrate(db, list), total, hasOlder: lo > 0 };
}

/** 003/004 history of a conversation the caller is a member of. */
export async function conversationHistory(db: Db, conversationId: string, userId: string, skip: number, limit: number) {
  const { conversation } = await requireMembership(db, conversationId, userId);
  return historyWindow(db, conversation, skip, limit);
}

/** 001 history with another user: the 1-on-1 conversation's window, empty when they never talked. */
export async function historyWithUser(db: Db, userId: string, otherRef: string, skip: number, limit: number) {
  const other = await requireUserByRef(db, otherRef);
  if (other.id === userId) throw badRequest("otherUserId: must be another user");
  const key = pairKey(userId, other.id);
  const row = await db
    .select({ conversation: conversations })
    .from(conversations)
    .innerJoin(conversationMembers, and(eq(conversationMembers.conversationId, conversations.id), eq(conversationMembers.userId, userId)))
    .where(eq(conversations.pairKey, key))
    .get();
  if (!row) return { other, page: { records: [], total: 0, hasOlder: false } as MessagePage };
  return { other, page: await historyWindow(db, row.conversation, skip, limit) };
}

/** A catch-up point: after a sequence number, or after a moment. */
export type Since = { seq: number } | { at: Date };

export interface CatchUp {
  records: MessageRecord[];
  /** the conversation's newest sequence number when this was read */
  lastSeq: number;
  /** more messages exist after the last one returned: ask again with its seq */
  hasMore: boolean;
}

/**
 * Catch-up for a client that was away (or does not use Socket.IO's
 * connection-state recovery): the messages after `since`, oldest first, at
 * most `limit`. Sequence numbers are gap-free and creation times never go
 * backwards against them, so "after a moment" is the suffix of the sequence
 * whose createdAt is later than it.
 */
export async function messagesSince(db: Db, conversationId: string, userId: string, since: Since, limit: number): Promise<CatchUp> {
  const { conversation } = await requireMembership(db, conversationId, userId);
  const after =
    "seq" in since
      ? gt(messages.seq, since.seq)
      : gt(messages.createdAt, since.at);
  const list = await db
    .select()
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), after))
    .orderBy(asc(messages.seq))
    .limit(limit + 1)
    .all();
  const hasMore = list.length > limit;
  const page = hasMore ? list.slice(0, limit) : list;
  return { records: await hydrate(db, page), lastSeq: conversation.lastSeq, hasMore };
}

/** `since` as clients send it: a sequence number (`"12"`) or an ISO 8601 timestamp. */
export function parseSince(raw: string | number): Since | null {
  if (typeof raw === "number") return Number.isSafeInteger(raw) && raw >= 0 ? { seq: raw } : null;
  const s = raw.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? { seq: n } : null;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return null;
  const at = Date.parse(s);
  return Number.isNaN(at) ? null : { at: new Date(at) };
}

// ---------------------------------------------------------------------------
// Reads, edits, deletes
// ---------------------------------------------------------------------------

/** A message in a conversation the caller is a member of; 404 otherwise. */
async function requireVisibleMessage(db: Db, messageId: string, userId: string) {
  const row = await db
    .select({ message: messages, conversation: conversations, member: conversationMembers })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .innerJoin(conversationMembers, and(eq(conversationMembers.conversationId, messages.conversationId), eq(conversationMembers.userId, userId)))
    .where(eq(messages.id, messageId))
    .get();
  if (!row) throw notFound("Message not found");
  return row as { message: Message; conversation: Conversation; member: ConversationMember };
}

async function reload(db: Db, messageId: string): Promise<MessageRecord> {
  const message = await db.select().from(messages).where(eq(messages.id, messageId)).get();
  if (!message) throw notFound("Message not found");
  return (await hydrate(db, [message]))[0];
}

/**
 * Marks one message read: the caller's read position advances to it (if not
 * already past it), the counter is recounted over the messages above the new
 * position only, and a receipt records when.
 */
export async function markMessageRead(
  db: Db,
  messageId: string,
  userId: string,
): Promise<{ conversation: Conversation; record: MessageRecord; readSeqBefore: number; readSeqAfter: number }> {
  const { message, conversation, member } = await requireVisibleMessage(db, messageId, userId);
  const readSeqBefore = member.readSeq;
  const readSeqAfter = message.senderId !== userId ? Math.max(member.readSeq, message.seq) : member.readSeq;
  if (message.senderId !== userId && member.readSeq < message.seq) {
    const now = new Date();
    const position = sql`max(${conversationMembers.readSeq}, ${message.seq})`;
    await db.batch([
      db
        .update(conversationMembers)
        .set({
          readSeq: position,
          readAt: now,
          unreadCount: sql`(select count(*) from ${messages} where ${messages.conversationId} = ${conversation.id}
            and ${messages.seq} > ${position} and ${messages.senderId} != ${userId} and ${messages.deleted} = 0)`,
        })
        .where(and(eq(conversationMembers.conversationId, conversation.id), eq(conversationMembers.userId, userId))),
      db.insert(messageReceipts).values({ messageId, userId, readAt: now }).onConflictDoNothing(),
    ] as const);
  }
  return { conversation, record: await reload(db, messageId), readSeqBefore, readSeqAfter };
}

/** Sender only; a deleted message cannot be edited. */
export async function editMessage(db: Db, messageId: string, userId: string, text: string): Promise<{ conversation: Conversation; record: MessageRecord }> {
  const { message, conversation } = await requireVisibleMessage(db, messageId, userId);
  if (message.senderId !== userId) throw forbidden("Only the sender can edit this message");
  if (message.deleted) throw badRequest("messageId: a deleted message cannot be edited");
  if (!text.trim() && !message.attachmentUrl && message.payload === null) throw badRequest("message: must not be empty");
  const updated = await db
    .update(messages)
    .set({ text, edited: true, editedAt: new Date() })
    .where(and(eq(messages.id, messageId), eq(messages.deleted, false)))
    .returning({ id: messages.id })
    .get();
  if (!updated) throw badRequest("messageId: a deleted message cannot be edited");
  return { conversation, record: await reload(db, messageId) };
}

/**
 * Sender only, soft: the row stays (deleted/deletedBy/deletedAt), its content
 * is no longer served, and members who had not read it get their counter
 * decremented, in the same transaction. Deleting twice changes nothing.
 */
export async function deleteMessage(db: Db, messageId: string, userId: string): Promise<{ conversation: Conversation; record: MessageRecord }> {
  const { message, conversation } = await requireVisibleMessage(db, messageId, userId);
  if (message.senderId !== userId) throw forbidden("Only the sender can delete this message");
  if (!message.deleted) {
    const stillThere = sql`exists (select 1 from ${messages} where ${messages.id} = ${messageId} and ${messages.deleted} = 0)`;
    await db.batch([
      db
        .update(conversationMembers)
        .set({ unreadCount: sql`max(${conversationMembers.unreadCount} - 1, 0)` })
        .where(
          and(
            eq(conversationMembers.conversationId, conversation.id),
            ne(conversationMembers.userId, message.senderId),
            lt(conversationMembers.readSeq, message.seq),
            stillThere,
          ),
        ),
      db
        .update(messages)
        .set({ deleted: true, deletedBy: userId, deletedAt: new Date() })
        .where(and(eq(messages.id, messageId), eq(messages.deleted, false))),
    ] as const);
  }
  return { conversation, record: await reload(db, messageId) };
}


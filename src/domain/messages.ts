/**
 * Messages (Worker side): every operation on messages asks the owner, the
 * conversation's Durable Object (ConversationRoom), which holds the log and
 * the read state; unread totals come from the reader's UserHub (the inbox).
 * D1 is asked only for what is relational: resolving a user addressed by id
 * or email to the pair's conversation (cached), the caller's memberships
 * when a message is named by id alone, and uploads.
 *
 * `sendMessage` is the entry point for REST and socket handlers alike; the
 * room checks membership, blocks and the reply, commits, answers and then
 * delivers the message in real time.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { conversationMembers, conversations, uploadRefs, type User } from "../db/schema";
import type { Env } from "../env";
import { ApiError, badRequest } from "../lib/errors";
import { conversationTag, messageConversationTag } from "../lib/ids";
import type { SendRequest } from "../lib/requests";
import type { RoomError } from "../objects/room-api";
import { conversationRoom, userHub } from "../objects/stubs";
import { assertNotBlockedBy, getOrCreatePair, pairKey } from "./conversations";
import type { CatchUp, MessagePage, MessageRecord, Since } from "./message-model";
import type { RoomTargeting } from "./outbound";
import { checkMessageRate } from "./rate-limits";
import { attachmentUpload } from "./uploads";
import { findUserByEmail, findUserByRef, requireUserByRef } from "./users";

/** A room's answer, or the ApiError it stands for. */
export function unwrap<T>(answer: T | RoomError): Exclude<T, RoomError> {
  if (answer && typeof answer === "object" && "ok" in answer && answer.ok === false) {
    const e = answer as RoomError;
    throw new ApiError(e.status, e.error);
  }
  return answer as Exclude<T, RoomError>;
}

// ---------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------

/** A send: what the request asks (src/lib/requests.ts), from whom, and over which connection. */
export interface SendInput extends SendRequest {
  /** the sender's `_id` */
  senderId: string;
  /**
   * The Engine.IO session id of the socket connection that sent it, when that
   * connection should not get the message back through real-time delivery
   * (standard dialect: it gets `message_sent` / its ack instead).
   */
  exceptSid?: string | null;
}

export interface SendResult {
  conversationId: string;
  record: MessageRecord;
  /** false when a repeated clientMsgId returned the first message */
  created: boolean;
  /** when a recipient's live connection had it before the answer (null: none had, or a repeated clientMsgId) */
  deliveredAt: Date | null;
  conversationCreated: boolean;
}

const MAX_PAYLOAD_CHARS = 16_384;
/** How deep a message `payload` may nest (it is stored and delivered as JSON). */
const MAX_PAYLOAD_DEPTH = 32;

function payloadDepth(value: unknown, limit: number): number {
  const stack: [unknown, number][] = [[value, 1]];
  let max = 0;
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) max = d;
    if (max > limit) return max;
    if (v && typeof v === "object") for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/**
 * Who a user addresses (by id or email) and the pair's conversation, cached
 * per isolate: a pair's conversation never changes, so steady sends to a
 * user cost no D1 query. Entries expire so a changed email is seen soon.
 */
const PAIR_TTL_MS = 60_000;
const PAIR_CACHE_MAX = 10_000;
const pairs = new Map<string, { targetId: string; conversationId: string; until: number }>();

async function addressedPair(env: Env, db: Db, senderId: string, input: SendInput, f: { recipient: string }) {
  const ref = input.toEmail ? `email:${input.toEmail.trim().toLowerCase()}` : input.recipientId ? `ref:${input.recipientId.trim().toLowerCase()}` : null;
  if (!ref) throw badRequest(`${f.recipient}: is required`);
  const key = `${senderId}|${ref}`;
  const hit = pairs.get(key);
  if (hit && hit.until > Date.now()) return { conversationId: hit.conversationId, targetId: hit.targetId, created: false };
  let target: User | undefined;
  if (input.toEmail) {
    target = await findUserByEmail(db, input.toEmail);
    if (!target) throw new ApiError(404, "Recipient not found");
  } else {
    target = await findUserByRef(db, input.recipientId!);
    if (!target) throw new ApiError(404, "Receiver not found");
  }
  if (target.id === senderId) throw badRequest(`${f.recipient}: you cannot send a message to yourself`);
  // refused before anything is written: a blocked sender must not create (or rejoin) the pair's conversation.
  // The room checks the block again for every send, in every form (by user or by conversation).
  await assertNotBlockedBy(db, target.id, senderId);
  const { conversation, created } = await getOrCreatePair(env, db, senderId, target.id);
  if (pairs.size >= PAIR_CACHE_MAX) pairs.delete(pairs.keys().next().value!);
  pairs.set(key, { targetId: target.id, conversationId: conversation.id, until: Date.now() + PAIR_TTL_MS });
  return { conversationId: conversation.id, targetId: target.id, created };
}

/**
 * Resolves the target, checks the attachment, and hands the message to the
 * conversation's room, which checks membership, blocks and the reply,
 * commits it, answers, and delivers it. Every send path (REST and socket,
 * every document) comes through here, so the per-user message rate limit
 * (004: 100 a minute, 429) is counted here, once per send.
 */
export async function sendMessage(env: Env, db: Db, input: SendInput): Promise<SendResult> {
  const f = { text: "message", recipient: "receiverId", attachment: "fileUrl", replyTo: "replyTo", ...input.fields };
  const text = input.text ?? "";
  const url = input.attachment?.url?.trim() || null;
  const hasPayload = input.payload !== undefined && input.payload !== null;
  if (hasPayload && payloadDepth(input.payload, MAX_PAYLOAD_DEPTH) > MAX_PAYLOAD_DEPTH) throw badRequest(`payload: nested deeper than ${MAX_PAYLOAD_DEPTH} levels`);
  const payload = hasPayload ? JSON.stringify(input.payload) : null;
  if (payload !== null && payload.length > MAX_PAYLOAD_CHARS) throw badRequest(`payload: larger than ${MAX_PAYLOAD_CHARS} characters`);
  if (!text.trim() && !url && payload === null) throw badRequest(`${f.text}: must not be empty (send text, an attachment or a payload)`);
  await checkMessageRate(env, input.senderId);

  const addressed = input.conversationId ? null : await addressedPair(env, db, input.senderId, input, f);
  const conversationId = input.conversationId ?? addressed!.conversationId;
  const upload = url ? await attachmentUpload(db, url, input.senderId, f.attachment) : null;
  const type = input.type ?? "text";
  const request = {
    senderId: input.senderId,
    recipientId: null,
    type,
    text,
    attachmentType: url ? (input.attachment?.type ?? (type === "image" || type === "video" ? type : "file")) : null,
    attachmentUrl: url,
    uploadId: upload?.id ?? null,
    payload,
    replyTo: input.replyTo ?? null,
    clientMsgId: input.clientMsgId ?? null,
    exceptSid: input.exceptSid ?? null,
    replyField: f.replyTo,
    addressedUser: addressed !== null,
    senderCopyAfterAnswer: input.viaSocket === true,
  };
  const room = conversationRoom(env, conversationId);
  let outcome = await room.send(request);
  if (!outcome.ok && (outcome.rejoin || outcome.status === 404) && addressed) {
    // one of the two left the pair's conversation: addressing the user again makes them members again
    // (unless they blocked the sender: refused before that write, whether or not the pair was cached)
    await assertNotBlockedBy(db, addressed.targetId, input.senderId);
    await getOrCreatePair(env, db, input.senderId, addressed.targetId);
    await room.invalidate();
    outcome = await room.send(request);
  }
  const { record, created, deliveredAt } = unwrap(outcome);
  if (record.message.seq === 1) {
    // the conversation's first message: from now on its members are conversation partners (presence).
    // Once per conversation (a repeated clientMsgId of that first message tries again, harmlessly).
    await db
      .update(conversations)
      .set({ firstMessageAt: record.message.createdAt })
      .where(and(eq(conversations.id, conversationId), isNull(conversations.firstMessageAt)));
  }
  if (created && upload) {
    await db.insert(uploadRefs).values({ uploadId: upload.id, conversationId, messageId: record.message.id }).onConflictDoNothing();
  }
  return { conversationId, record, created, deliveredAt: deliveredAt ?? null, conversationCreated: addressed?.created ?? false };
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/** 003/004 history of a conversation the caller is a member of. */
export async function conversationHistory(env: Env, conversationId: string, userId: string, skip: number, limit: number): Promise<MessagePage> {
  return unwrap(await conversationRoom(env, conversationId).history(userId, skip, limit));
}

/** 001 history with another user: the 1-on-1 conversation's window, empty when they never talked. */
export async function historyWithUser(env: Env, db: Db, userId: string, otherRef: string, skip: number, limit: number) {
  const other = await requireUserByRef(db, otherRef);
  if (other.id === userId) throw badRequest("otherUserId: must be another user");
  const row = await db
    .select({ id: conversations.id })
    .from(conversations)
    .innerJoin(conversationMembers, and(eq(conversationMembers.conversationId, conversations.id), eq(conversationMembers.userId, userId)))
    .where(eq(conversations.pairKey, pairKey(userId, other.id)))
    .get();
  if (!row) return { other, page: { records: [], total: 0, hasOlder: false } as MessagePage };
  return { other, page: await conversationHistory(env, row.id, userId, skip, limit) };
}

/**
 * Catch-up for a client that was away (or does not use Socket.IO's
 * connection-state recovery): the messages after `since`, oldest first, at
 * most `limit`.
 */
export async function messagesSince(env: Env, conversationId: string, userId: string, since: Since, limit: number): Promise<CatchUp> {
  return unwrap(await conversationRoom(env, conversationId).since(userId, since, limit));
}

/** Unread messages across the caller's conversations (the caller's inbox). */
export async function unreadTotal(env: Env, userId: string): Promise<number> {
  return userHub(env, userId).unreadTotal();
}

export async function unreadIn(env: Env, conversationId: string, userId: string): Promise<number> {
  return unwrap(await conversationRoom(env, conversationId).unread(userId));
}

// ---------------------------------------------------------------------------
// A message named by id alone
// ---------------------------------------------------------------------------

/**
 * The conversation of a message the caller can see: the message id carries
 * its conversation's tag, matched against the caller's memberships. 404
 * when none matches.
 */
async function conversationOfMessage(db: Db, messageId: string, userId: string): Promise<string> {
  const tag = messageConversationTag(messageId);
  const mine = await db.select({ id: conversationMembers.conversationId }).from(conversationMembers).where(eq(conversationMembers.userId, userId)).all();
  const match = mine.find((m) => conversationTag(m.id) === tag);
  if (!match) throw new ApiError(404, "Message not found");
  return match.id;
}

export interface ReadResult {
  conversationId: string;
  record: MessageRecord;
  readSeqBefore: number;
  readSeqAfter: number;
}

/**
 * Marks one message read: the caller's read position advances to it (if not
 * already past it) and a receipt records when; senders are told.
 * `conversationId`, when given, must be the message's.
 */
export async function markMessageRead(
  env: Env,
  db: Db,
  messageId: string,
  userId: string,
  opts: { conversationId?: string } & Pick<RoomTargeting, "exceptPid"> = {},
): Promise<ReadResult> {
  const conversationId = opts.conversationId ?? (await conversationOfMessage(db, messageId, userId));
  const answer = await conversationRoom(env, conversationId).read(userId, { messageId, exceptPid: opts.exceptPid });
  const read = unwrap(answer);
  return { conversationId, record: read.record!, readSeqBefore: read.readSeqBefore, readSeqAfter: read.readSeqAfter };
}

/**
 * Marks everything in the conversation read for the caller; answers how many
 * messages became read. Connections that joined the room hear 004
 * `marked_as_read` (except `exceptPid`).
 */
export async function readConversation(env: Env, conversationId: string, userId: string, exceptPid: string | null = null) {
  const read = unwrap(await conversationRoom(env, conversationId).read(userId, { exceptPid }));
  return { modifiedCount: read.modifiedCount, readSeqBefore: read.readSeqBefore, readSeqAfter: read.readSeqAfter };
}

/** Sender only; a deleted message cannot be edited. */
export async function editMessage(env: Env, db: Db, messageId: string, userId: string, text: string): Promise<{ conversationId: string; record: MessageRecord }> {
  const conversationId = await conversationOfMessage(db, messageId, userId);
  return { conversationId, record: unwrap(await conversationRoom(env, conversationId).edit(userId, messageId, text)) };
}

/** Sender only, soft: the message stays, its content is no longer served. Deleting twice changes nothing. */
export async function deleteMessage(env: Env, db: Db, messageId: string, userId: string): Promise<{ conversationId: string; record: MessageRecord }> {
  const conversationId = await conversationOfMessage(db, messageId, userId);
  const record = unwrap(await conversationRoom(env, conversationId).remove(userId, messageId));
  // a deleted message no longer lets members read its file
  if (record.message.uploadId) await db.delete(uploadRefs).where(eq(uploadRefs.messageId, record.message.id));
  return { conversationId, record };
}

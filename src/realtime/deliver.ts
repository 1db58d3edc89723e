/**
 * Real-time delivery of messages and of what happens to them. The ONE path:
 * every new message, however it was sent (REST or socket, any document), is
 * handed by its conversation's Durable Object (ConversationRoom, in sequence
 * order) to `deliverMessage`, which reaches every member's every connected
 * device once, through each member's UserHub, in the dialect each connection
 * speaks:
 *
 * - recipients, standard dialect (001/002/003): `receiveMessage` (001 view + 003's fields),
 *   `receive_message` (002 view), `message_notification`;
 * - recipients, chat-socket dialect (004): `new_message` (004 view) and
 *   `message_notification` (the union of the 002 and 004 fields);
 * - the sender's own devices, so several devices stay in sync: standard
 *   dialect `message_sent` `{success, message}` (002), chat-socket
 *   `new_message`. The standard-dialect connection that sent the message over
 *   the socket is skipped (it got `message_sent` / its ack directly).
 *
 * Delivery status (001's `sent -> delivered -> read`): a message becomes
 * `delivered` when at least one connection of a recipient got it (live, or
 * replayed on recovery), and `read` when the recipient (1-on-1) or every
 * other member (group) has read it. The sender's devices are told with
 * `message_status`; a single-message read also sends 002's `message_read` to
 * the sender (every connection: the event is not dialect-named), and
 * conversation reads send 004's `marked_as_read` to the connections that
 * joined the conversation's room (004 `join_conversation` or 003 `joinGroup`).
 */
import { and, desc, eq, gt, inArray, isNull, lte, ne } from "drizzle-orm";
import { type Conversation, conversationMembers, messages } from "../db/schema";
import { conversationRoom } from "../domain/messages";
import { findUserByRef } from "../domain/users";
import type { Env } from "../env";
import type { Db } from "../lib/http";
import { markedAsRead004, messageRead002, messageStatusPayload } from "../views/events";
import { message002, message004, messageNotification, type MessageRecord, receiveMessagePayload } from "../views/message";
import { emitToUser, emitToUsers } from "./emit";

export interface DeliveryReport {
  /** connections of recipients (members other than the sender) reached */
  recipients: number;
  /** connections of the sender reached */
  sender: number;
}

/** What a recipient's hub records about a message it carries, to mark it delivered when replayed. */
export interface DeliveryTag {
  messageId: string;
  conversationId: string;
  senderId: string;
  seq: number;
}

export const deliveryTag = (r: MessageRecord): DeliveryTag => ({
  messageId: r.message.id,
  conversationId: r.message.conversationId,
  senderId: r.message.senderId,
  seq: r.message.seq,
});

export async function deliverMessage(
  env: Env,
  db: Db,
  conversation: Pick<Conversation, "id">,
  record: MessageRecord,
  opts: { exceptSid?: string | null } = {},
): Promise<DeliveryReport> {
  const members = await db
    .select({ userId: conversationMembers.userId })
    .from(conversationMembers)
    .where(eq(conversationMembers.conversationId, conversation.id))
    .all();
  const senderId = record.message.senderId;
  const recipients = members.map((m) => m.userId).filter((id) => id !== senderId);
  const v002 = message002(record);
  const v004 = message004(record);
  const notification = messageNotification(record);
  const tag = deliveryTag(record);
  const [toRecipients, toSender] = await Promise.all([
    emitToUsers(
      env,
      recipients,
      {
        standard: [
          ["receiveMessage", receiveMessagePayload(record)],
          ["receive_message", v002],
          ["message_notification", notification],
        ],
        "chat-socket": [
          ["new_message", v004],
          ["message_notification", notification],
        ],
      },
      { delivery: tag },
    ),
    members.some((m) => m.userId === senderId)
      ? emitToUser(
          env,
          senderId,
          { standard: [["message_sent", { success: true, message: v002 }]], "chat-socket": [["new_message", v004]] },
          { exceptSid: opts.exceptSid ?? null },
        ).catch(() => 0)
      : Promise.resolve(0),
  ]);
  if (toRecipients > 0 && !record.message.deliveredAt) await markDelivered(env, db, [tag]);
  return { recipients: toRecipients, sender: toSender };
}

/**
 * Marks messages delivered (first time only) and tells each sender's devices
 * with `message_status` `{status: "delivered"}`.
 */
export async function markDelivered(env: Env, db: Db, tags: DeliveryTag[]): Promise<number> {
  if (!tags.length) return 0;
  const now = new Date();
  const ids = [...new Set(tags.map((t) => t.messageId))];
  const changed: { id: string; conversationId: string; senderId: string; seq: number }[] = [];
  for (let i = 0; i < ids.length; i += 90) {
    changed.push(
      ...(await db
        .update(messages)
        .set({ deliveredAt: now })
        .where(and(inArray(messages.id, ids.slice(i, i + 90)), isNull(messages.deliveredAt)))
        .returning({ id: messages.id, conversationId: messages.conversationId, senderId: messages.senderId, seq: messages.seq })
        .all()),
    );
  }
  await Promise.all(
    changed.map((m) =>
      emitToUser(env, m.senderId, [["message_status", messageStatusPayload({ messageId: m.id, conversationId: m.conversationId, seq: m.seq }, "delivered", now)]]).catch(
        () => 0,
      ),
    ),
  );
  return changed.length;
}

export interface ReadChange {
  conversationId: string;
  /** the reader's `_id` */
  readerId: string;
  /** the reader's read position before and after */
  readSeqBefore: number;
  readSeqAfter: number;
  /** a single-message read (002 `mark_message_read`, 003 `PUT /messages/:id/read`) */
  messageId?: string;
  /** the connection that asked (it gets its own confirmation), by recovery session id */
  exceptPid?: string | null;
}

/**
 * After a member read: which senders' messages became `read` (1-on-1: the
 * recipient read them; group: every other member has), and tell them.
 */
export async function notifyRead(env: Env, db: Db, change: ReadChange): Promise<void> {
  const reader = await findUserByRef(db, change.readerId);
  if (!reader) return;
  const now = new Date();
  const { conversationId, readSeqBefore: lo, readSeqAfter: hi } = change;
  const tasks: Promise<unknown>[] = [];

  if (hi > lo) {
    const [members, senders] = await db.batch([
      db
        .select({ userId: conversationMembers.userId, readSeq: conversationMembers.readSeq })
        .from(conversationMembers)
        .where(eq(conversationMembers.conversationId, conversationId)),
      db
        .select({ senderId: messages.senderId })
        .from(messages)
        .where(and(eq(messages.conversationId, conversationId), gt(messages.seq, lo), lte(messages.seq, hi), ne(messages.senderId, reader.id)))
        .groupBy(messages.senderId),
    ] as const);
    for (const { senderId } of senders) {
      // the other readers' common position (the reader aside): a group message is read once everyone else read it
      const others = members.filter((m) => m.userId !== senderId && m.userId !== reader.id).map((m) => m.readSeq);
      const othersMin = others.length ? Math.min(...others) : Number.POSITIVE_INFINITY;
      const before = Math.min(lo, othersMin);
      const after = Math.min(hi, othersMin);
      if (after <= before) continue;
      tasks.push(
        (async () => {
          const newest = await db
            .select({ id: messages.id, seq: messages.seq })
            .from(messages)
            .where(and(eq(messages.conversationId, conversationId), eq(messages.senderId, senderId), gt(messages.seq, before), lte(messages.seq, after)))
            .orderBy(desc(messages.seq))
            .limit(1)
            .get();
          if (!newest) return;
          await emitToUser(env, senderId, [
            ["message_status", messageStatusPayload({ messageId: newest.id, conversationId, seq: newest.seq }, "read", now, reader)],
          ]);
        })().catch((err) => console.error("read status failed", err)),
      );
    }
  }

  if (change.messageId) {
    const m = await db
      .select({ senderId: messages.senderId })
      .from(messages)
      .where(eq(messages.id, change.messageId))
      .get();
    if (m && m.senderId !== reader.id) {
      tasks.push(
        // not a dialect-named event (CONTRACT.md): every connection of the sender gets it
        emitToUser(env, m.senderId, [["message_read", messageRead002(change.messageId, conversationId, reader, now)]]).catch(() => 0),
      );
    }
  } else {
    tasks.push(
      conversationRoom(env, conversationId)
        .emitToJoined(conversationId, [["marked_as_read", markedAsRead004(conversationId, reader)]], change.exceptPid ?? null)
        .catch((err) => console.error("marked_as_read failed", err)),
    );
  }
  await Promise.all(tasks);
}

/** Shorthand for routes: run after the response, never fail the request. */
export function afterResponse(ctx: { waitUntil(p: Promise<unknown>): void }, what: string, task: () => Promise<unknown>) {
  ctx.waitUntil(task().catch((err) => console.error(`${what} failed`, err)));
}


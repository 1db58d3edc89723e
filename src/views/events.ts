/**
 * Payloads of the real-time events that are not a message or a presence
 * change: typing, delivery/read status and room confirmations.
 *
 * - `typingStatus`      (001): `{senderId, isTyping}` (+ conversationId)
 * - `typing_indicator`  (002): `{userId, userName, isTyping}` (+ _id, senderId, conversationId)
 * - `user_typing`       (004): `{conversation_id, user_email, typing}` (+ user_id, user_name)
 * - `message_read`      (002): `{messageId, readBy:{_id, name}, readAt}` (+ conversationId)
 * - `marked_as_read`    (004): `{conversation_id, user_email}` (+ user_id)
 * - `message_status`    (ours; 001 names the states, no event): `{messageId, conversationId, seq, status, at}`
 *                       (+ readBy when status is "read")
 * - `joined_conversation` / `left_conversation` (004): `{conversation_id}`
 */
import type { User } from "../db/schema";
import type { Dialect } from "../lib/tokens";
import type { EventArgs } from "../realtime/emit";
import { iso } from "./common";

type Person = Pick<User, "id" | "userId" | "name" | "email">;

/** What the other members of a conversation see when `user` starts or stops typing, per dialect. */
export function typingEvents(user: Person, conversationId: string, isTyping: boolean): Record<Dialect, EventArgs[]> {
  return {
    standard: [
      ["typingStatus", { senderId: user.id, isTyping, conversationId }],
      ["typing_indicator", { userId: user.userId, _id: user.id, senderId: user.id, userName: user.name, isTyping, conversationId }],
    ],
    "chat-socket": [["user_typing", userTyping004(user, conversationId, isTyping)]],
  };
}

export const userTyping004 = (user: Person, conversationId: string, typing: boolean) => ({
  conversation_id: conversationId,
  user_email: user.email,
  user_id: user.id,
  user_name: user.name,
  typing,
});

export type StatusValue = "sent" | "delivered" | "read";

export function messageStatusPayload(
  m: { messageId: string; conversationId: string; seq: number },
  status: StatusValue,
  at: Date,
  readBy?: Person,
) {
  return {
    messageId: m.messageId,
    _id: m.messageId,
    conversationId: m.conversationId,
    conversation_id: m.conversationId,
    seq: m.seq,
    status,
    at: iso(at),
    ...(readBy ? { readBy: { _id: readBy.id, userId: readBy.userId, name: readBy.name } } : {}),
  };
}

/** 002 `message_read` (to the sender of the message that was read). */
export function messageRead002(messageId: string, conversationId: string, reader: Person, readAt: Date) {
  return {
    messageId,
    conversationId,
    readBy: { _id: reader.id, userId: reader.userId, name: reader.name },
    readAt: iso(readAt),
  };
}

/** 004 `marked_as_read`. */
export function markedAsRead004(conversationId: string, reader: Person) {
  return { conversation_id: conversationId, user_email: reader.email, user_id: reader.id };
}

export const roomConfirmation004 = (conversationId: string) => ({ conversation_id: conversationId, success: true });

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
import type { Dialect } from "../lib/tokens";
import type { MessageRecord, Person, PersonRef } from "../domain/message-model";
import type { EventArgs } from "../domain/outbound";
import { iso } from "./common";
import { message001, message002, message004 } from "./message";
import type { MembershipChange } from "../domain/read-models";


/** What the other members of a conversation see when `user` starts or stops typing, per dialect. */
export function typingEvents(user: PersonRef, conversationId: string, isTyping: boolean): Record<Dialect, EventArgs[]> {
  return {
    standard: [
      ["typingStatus", { senderId: user.id, isTyping, conversationId }],
      ["typing_indicator", { userId: user.userId, _id: user.id, senderId: user.id, userName: user.name, isTyping, conversationId }],
    ],
    "chat-socket": [["user_typing", userTyping004(user, conversationId, isTyping)]],
  };
}

export const userTyping004 = (user: PersonRef, conversationId: string, typing: boolean) => ({
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
  readBy?: PersonRef,
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
export function messageRead002(messageId: string, conversationId: string, reader: PersonRef, readAt: Date) {
  return {
    messageId,
    conversationId,
    readBy: { _id: reader.id, userId: reader.userId, name: reader.name },
    readAt: iso(readAt),
  };
}

/** 004 `marked_as_read`. */
export function markedAsRead004(conversationId: string, reader: PersonRef) {
  return { conversation_id: conversationId, user_email: reader.email, user_id: reader.id };
}

export const roomConfirmation004 = (conversationId: string) => ({ conversation_id: conversationId, success: true });

/** What happened to a message after it was sent (sent live to every member, logged for recovery). */
export type MessageChange = "edited" | "deleted";

/**
 * An edit or a (soft) delete, per dialect: standard connections get the 001
 * name (`messageEdited` / `messageDeleted`, 001's message schema) and the
 * 002 name (`message_edited` / `message_deleted`, 002's message); chat-socket
 * connections get `message_edited` / `message_deleted` with 004's message.
 * A deleted message's text and attachment are never in it.
 */
export function messageChangeEvents(change: MessageChange, r: MessageRecord): Record<Dialect, EventArgs[]> {
  if (change === "edited") {
    return {
      standard: [
        ["messageEdited", message001(r)],
        ["message_edited", message002(r)],
      ],
      "chat-socket": [["message_edited", message004(r)]],
    };
  }
  return {
    standard: [
      ["messageDeleted", message001(r)],
      ["message_deleted", message002(r)],
    ],
    "chat-socket": [["message_deleted", message004(r)]],
  };
}


/**
 * Members added, removed or leaving, and a group renamed: standard
 * connections get the camelCase name (003's style) and the snake_case one,
 * chat-socket connections the snake_case one, all with the same payload:
 * `{conversationId, conversation_id, by, members?, userId?, name?}` (members
 * as user objects).
 */
export function membershipEvents(change: MembershipChange, conversationId: string, people: Map<string, PersonRef & Partial<Person>>): Record<Dialect, EventArgs[]> {
  const ref = (id: string) => {
    const p = people.get(id);
    return p ? { _id: p.id, userId: p.userId, name: p.name, email: p.email } : { _id: id };
  };
  const payload = {
    conversationId,
    conversation_id: conversationId,
    by: ref(change.actorId),
    ...(change.kind === "added" || change.kind === "removed" ? { members: change.userIds.map(ref) } : {}),
    ...(change.kind === "left" ? { userId: change.actorId, user: ref(change.actorId) } : {}),
    ...(change.kind === "renamed" ? { name: change.name } : {}),
  };
  const both = (standard: EventArgs, snake: EventArgs): Record<Dialect, EventArgs[]> => ({ standard: [standard, snake], "chat-socket": [snake] });
  switch (change.kind) {
    case "added":
      return both(["membersAdded", payload], ["members_added", payload]);
    case "removed":
      return both(["membersRemoved", payload], ["members_removed", payload]);
    case "left":
      return both(["memberLeft", payload], ["member_left", payload]);
    case "renamed":
      return both(["groupRenamed", payload], ["group_renamed", payload]);
  }
}

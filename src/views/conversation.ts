/**
 * Views of a conversation.
 *
 * 003: `{_id, type, name, members:[{_id, userId, name, email, profilePicture}], createdBy, status,
 *       lastMessage:{_id, message, timestamp}, lastMessageAt, createdAt, updatedAt, unreadCount}`.
 * 004: summaries `{conversation_id, participants:[emails], last_message, last_message_time,
 *       last_message_sender, unread_count}` and the start answer `{conversation_id, participants}`.
 */
import type { User } from "../db/schema";
import type { ConversationRecord } from "../domain/read-models";
import { iso } from "./common";
import { userRef } from "./user";


function lastMessage003(r: ConversationRecord) {
  const m = r.last;
  if (!m) return null;
  return {
    _id: m.id,
    message: m.text,
    messageType: m.type,
    senderId: m.senderId,
    senderName: m.sender?.name ?? null,
    timestamp: iso(m.createdAt),
    deleted: m.deleted,
    edited: m.edited,
  };
}

export function conversation003(r: ConversationRecord) {
  const c = r.conversation;
  return {
    _id: c.id,
    type: c.type,
    name: c.name,
    members: r.members.map(userRef),
    createdBy: c.createdBy,
    status: c.status,
    lastMessage: lastMessage003(r),
    lastMessageAt: iso(r.last?.createdAt ?? null),
    unreadCount: r.unreadCount,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}

const participants = (members: User[]) => members.map((u) => u.email ?? u.username);

export function conversationSummary004(r: ConversationRecord) {
  const c = r.conversation;
  const m = r.last;
  return {
    conversation_id: c.id,
    _id: c.id,
    type: c.type,
    name: c.name,
    participants: participants(r.members),
    last_message: m ? m.text : null,
    last_message_time: iso(m?.createdAt ?? null),
    last_message_sender: m?.sender ? (m.sender.email ?? m.sender.username) : null,
    unread_count: r.unreadCount,
  };
}

/** 004 `POST /api/conversations/start`. */
export function conversationStart004(r: Pick<ConversationRecord, "conversation" | "members">) {
  return {
    conversation_id: r.conversation.id,
    _id: r.conversation.id,
    type: r.conversation.type,
    participants: participants(r.members),
  };
}

/** 003 success envelope: `{success:true, statusCode, message, data}`. */
export const envelope = <T>(statusCode: number, message: string, data: T) => ({ success: true as const, statusCode, message, data });

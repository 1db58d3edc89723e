/**
 * Views of the one message model (CONTRACT.md "One message model").
 *
 * 001: `{_id, conversationId, senderId, recipientId, text, attachment{type,url}, createdAt, status}`
 *      with the delivery status sent -> delivered -> read.
 * 002: `{_id, content, sentAt, read, senderId, senderName, receiverId, receiverName}`.
 * 003: `{_id, conversationId, senderId:{...}, receiverId, message, messageType, fileUrl, payload,
 *      timestamp, read, status:"saved", edited, deleted, replyTo, seenBy}`.
 * 004: `{id, conversation_id, sender_email, sender_name, message, timestamp, message_type, edited, reply_to}`.
 *
 * A deleted message keeps its row, but its text, attachment and payload are
 * never served: text is "" and attachment/fileUrl/payload are null.
 */
import type { Message, MessagePage, MessageRecord, SeenEntry } from "../domain/message-model";
import type { Outbound } from "../domain/outbound";
import { iso } from "./common";
import { userRef } from "./user";

export type { MessageRecord, SeenEntry };

export type DeliveryStatus = "sent" | "delivered" | "read";

export const deliveryStatus = (r: MessageRecord): DeliveryStatus =>
  r.read ? "read" : r.message.deliveredAt ? "delivered" : "sent";

const shownText = (m: Message) => (m.deleted ? "" : m.text);
const shownUrl = (m: Message) => (m.deleted ? null : m.attachmentUrl);
const shownAttachment = (m: Message) =>
  m.deleted || !m.attachmentUrl ? null : { type: m.attachmentType ?? "file", url: m.attachmentUrl };
function shownPayload(m: Message): unknown {
  if (m.deleted || m.payload === null) return null;
  try {
    return JSON.parse(m.payload);
  } catch {
    return null;
  }
}

const seenView = (seen: SeenEntry[]) => seen.map((s) => ({ userId: s.userId, timestamp: iso(s.timestamp) }));

/** Fields every view carries besides its document's own. */
function lifecycle(m: Message) {
  return {
    seq: m.seq,
    clientMsgId: m.clientMsgId,
    edited: m.edited,
    editedAt: iso(m.editedAt),
    deleted: m.deleted,
    deletedBy: m.deletedBy,
    deletedAt: iso(m.deletedAt),
  };
}

/** 001 message schema (REST `/api/messages/send`, `/api/messages/:otherUserId`, socket `receiveMessage`). */
export function message001(r: MessageRecord) {
  const m = r.message;
  return {
    _id: m.id,
    conversationId: m.conversationId,
    senderId: m.senderId,
    recipientId: m.recipientId,
    text: shownText(m),
    attachment: shownAttachment(m),
    createdAt: iso(m.createdAt),
    status: deliveryStatus(r),
    type: m.type,
    payload: shownPayload(m),
    replyTo: m.replyTo,
    read: r.read,
    seenBy: seenView(r.seenBy),
    ...lifecycle(m),
  };
}

/**
 * Socket `receiveMessage`: the event a `sendMessage` client listens to, and
 * both 001 (`recipientId`) and 003 (`conversationId`) send with
 * `sendMessage`. 001's Message Schema plus 003's message fields that do not
 * clash with it (`message`, `messageType`, `fileUrl`, `timestamp`,
 * `receiverId`); where they clash, 001 wins: `senderId` is the sender's id
 * (003's sender object is `sender`) and `status` is the delivery state.
 */
export function receiveMessagePayload(r: MessageRecord) {
  const m = r.message;
  return {
    ...message001(r),
    receiverId: m.recipientId,
    message: shownText(m),
    messageType: m.type,
    fileUrl: shownUrl(m),
    timestamp: iso(m.createdAt),
    sender: userRef(r.sender),
  };
}

/** 002 message (socket `receive_message`, `message_sent`, `message_history`). */
export function message002(r: MessageRecord) {
  const m = r.message;
  return {
    _id: m.id,
    content: shownText(m),
    sentAt: iso(m.createdAt),
    read: r.read,
    senderId: m.senderId,
    senderName: r.sender.name,
    receiverId: r.recipient?.id ?? null,
    receiverName: r.recipient?.name ?? null,
    conversationId: m.conversationId,
    messageType: m.type,
    attachment: shownAttachment(m),
    status: deliveryStatus(r),
    ...lifecycle(m),
  };
}

/** 003 message (REST `/api/messages...`). `status` is "saved" as documented; the delivery state is `deliveryStatus`. */
export function message003(r: MessageRecord) {
  const m = r.message;
  return {
    _id: m.id,
    conversationId: m.conversationId,
    senderId: userRef(r.sender),
    receiverId: m.recipientId,
    message: shownText(m),
    messageType: m.type,
    fileUrl: shownUrl(m),
    attachment: shownAttachment(m),
    payload: shownPayload(m),
    replyTo: m.replyTo,
    timestamp: iso(m.createdAt),
    createdAt: iso(m.createdAt),
    read: r.read,
    seenBy: seenView(r.seenBy),
    status: "saved" as const,
    deliveryStatus: deliveryStatus(r),
    ...lifecycle(m),
  };
}

/** 004 message (REST `/api/conversations/{id}/messages`, `/api/messages/send`, socket `new_message`). */
/** 003's page of a conversation, `{messages, pagination}` (REST `GET /api/messages/conversation/:id` and socket `getMessages`). */
export function messagePage003(result: MessagePage, page: number, limit: number) {
  return {
    messages: result.records.map(message003),
    pagination: {
      currentPage: page,
      totalPages: Math.ceil(result.total / limit),
      totalMessages: result.total,
      hasNextPage: result.hasOlder,
      hasPrevPage: page > 1,
      limit,
    },
  };
}

export function message004(r: MessageRecord) {
  const m = r.message;
  return {
    id: m.id,
    _id: m.id,
    conversation_id: m.conversationId,
    sender_id: m.senderId,
    sender_email: r.sender.email,
    sender_name: r.sender.name,
    message: shownText(m),
    timestamp: iso(m.createdAt),
    message_type: m.type,
    file_url: shownUrl(m),
    edited: m.edited,
    reply_to: m.replyTo,
    deleted: m.deleted,
    read: r.read,
    seq: m.seq,
    client_msg_id: m.clientMsgId,
  };
}

/** A short preview for notifications (never the text of a deleted message). */
export function preview(m: Message, max = 100): string {
  if (m.deleted) return "";
  const text = m.text.trim();
  if (text) return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return m.attachmentUrl ? `[${m.attachmentType ?? m.type}]` : `[${m.type}]`;
}

/**
 * `message_notification`: the union of 002 `{type:"new_message", from:{_id,name}, message, timestamp}`
 * and 004 `{conversation_id, sender_email, sender_name, message}`.
 */
export function messageNotification(r: MessageRecord) {
  const m = r.message;
  return {
    type: "new_message" as const,
    from: { _id: r.sender.id, userId: r.sender.userId, name: r.sender.name },
    message: preview(m),
    timestamp: iso(m.createdAt),
    conversation_id: m.conversationId,
    conversationId: m.conversationId,
    message_id: m.id,
    sender_email: r.sender.email,
    sender_name: r.sender.name,
  };
}

/**
 * What real-time delivery sends for a new message, per dialect:
 * - recipients, standard (001/002/003): `receiveMessage` (001 view + 003's fields),
 *   `receive_message` (002 view), `message_notification`;
 * - recipients, chat-socket (004): `new_message` (004 view), `message_notification`;
 * - the sender's own devices: standard `message_sent` `{success, message}` (002),
 *   chat-socket `new_message`.
 */
export function messageEvents(r: MessageRecord): { toRecipients: Outbound; toSender: Outbound } {
  const v002 = message002(r);
  const v004 = message004(r);
  const notification = messageNotification(r);
  return {
    toRecipients: {
      standard: [
        ["receiveMessage", receiveMessagePayload(r)],
        ["receive_message", v002],
        ["message_notification", notification],
      ],
      "chat-socket": [
        ["new_message", v004],
        ["message_notification", notification],
      ],
    },
    toSender: { standard: [["message_sent", { success: true, message: v002 }]], "chat-socket": [["new_message", v004]] },
  };
}

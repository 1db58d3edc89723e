/** View schemas of messages, conversations and the real-time events' payloads. */
import { z } from "@hono/zod-openapi";
import { Id, Uuid, IsoOrNull, Str, StrOrNull } from "./fields";
import { UserRefView } from "./users";

// ---- messages --------------------------------------------------------------

const Attachment = z.object({ type: Str, url: Str }).nullable();
const SeenBy = z.array(z.object({ userId: Id, timestamp: IsoOrNull }));
const Delivery = z.enum(["sent", "delivered", "read"]);
const lifecycleFields = {
  seq: z.number().int(),
  clientMsgId: StrOrNull,
  edited: z.boolean(),
  editedAt: IsoOrNull,
  deleted: z.boolean(),
  deletedBy: StrOrNull,
  deletedAt: IsoOrNull,
};

export const Message001 = z
  .object({
    _id: Id,
    conversationId: Id,
    senderId: Id,
    recipientId: Id.nullable(),
    text: Str,
    attachment: Attachment,
    createdAt: IsoOrNull,
    status: Delivery,
    type: Str,
    payload: z.unknown(),
    replyTo: StrOrNull,
    read: z.boolean(),
    seenBy: SeenBy,
    ...lifecycleFields,
  })
  .openapi("Message001", { description: "001 message schema; `status` is the delivery state." });

export const ReceiveMessage = Message001.extend({
  receiverId: Id.nullable(),
  message: Str,
  messageType: Str,
  fileUrl: StrOrNull,
  timestamp: IsoOrNull,
  sender: UserRefView,
}).openapi("ReceiveMessage", { description: "Socket `receiveMessage`: 001's message plus 003's fields." });

export const Message002 = z
  .object({
    _id: Id,
    content: Str,
    sentAt: IsoOrNull,
    read: z.boolean(),
    senderId: Id,
    senderName: Str,
    receiverId: Id.nullable(),
    receiverName: StrOrNull,
    conversationId: Id,
    messageType: Str,
    attachment: Attachment,
    status: Delivery,
    ...lifecycleFields,
  })
  .openapi("Message002");

export const Message003 = z
  .object({
    _id: Id,
    conversationId: Id,
    senderId: UserRefView,
    receiverId: Id.nullable(),
    message: Str,
    messageType: Str,
    fileUrl: StrOrNull,
    attachment: Attachment,
    payload: z.unknown(),
    replyTo: StrOrNull,
    timestamp: IsoOrNull,
    createdAt: IsoOrNull,
    read: z.boolean(),
    seenBy: SeenBy,
    status: z.literal("saved"),
    deliveryStatus: Delivery,
    ...lifecycleFields,
  })
  .openapi("Message003", { description: "003 message; `status` is \"saved\" as documented, the delivery state is `deliveryStatus`." });

export const Message004 = z
  .object({
    id: Id,
    _id: Id,
    conversation_id: Id,
    sender_id: Id,
    sender_email: StrOrNull,
    sender_name: Str,
    message: Str,
    timestamp: IsoOrNull,
    message_type: Str,
    file_url: StrOrNull,
    edited: z.boolean(),
    reply_to: StrOrNull,
    deleted: z.boolean(),
    read: z.boolean(),
    seq: z.number().int(),
    client_msg_id: StrOrNull,
  })
  .openapi("Message004");

export const MessageNotification = z
  .object({
    type: z.literal("new_message"),
    from: z.object({ _id: Id, userId: Uuid, name: Str }),
    message: Str,
    timestamp: IsoOrNull,
    conversation_id: Id,
    conversationId: Id,
    message_id: Id,
    sender_email: StrOrNull,
    sender_name: Str,
  })
  .openapi("MessageNotification", { description: "Union of 002 and 004 `message_notification`." });

export const Pagination003 = z
  .object({
    currentPage: z.number().int(),
    totalPages: z.number().int(),
    totalMessages: z.number().int(),
    hasNextPage: z.boolean().openapi({ description: "older messages exist" }),
    hasPrevPage: z.boolean(),
    limit: z.number().int(),
  })
  .openapi("MessagePagination");

// ---- conversations -----------------------------------------------------------

export const Conversation003 = z
  .object({
    _id: Id,
    type: Str,
    name: StrOrNull,
    members: z.array(UserRefView),
    createdBy: Id,
    status: Str,
    lastMessage: z
      .object({
        _id: Id,
        message: Str,
        messageType: Str,
        senderId: Id,
        senderName: StrOrNull,
        timestamp: IsoOrNull,
        deleted: z.boolean(),
        edited: z.boolean(),
      })
      .nullable(),
    lastMessageAt: IsoOrNull,
    unreadCount: z.number().int(),
    createdAt: IsoOrNull,
    updatedAt: IsoOrNull,
  })
  .openapi("Conversation003");

export const ConversationSummary004 = z
  .object({
    conversation_id: Id,
    _id: Id,
    type: Str,
    name: StrOrNull,
    participants: z.array(Str).openapi({ description: "members' emails" }),
    last_message: StrOrNull,
    last_message_time: IsoOrNull,
    last_message_sender: StrOrNull,
    unread_count: z.number().int(),
  })
  .openapi("ConversationSummary004");

export const ConversationStart004 = z
  .object({ conversation_id: Id, _id: Id, type: Str, participants: z.array(Str) })
  .openapi("ConversationStart004");

// ---- real-time events --------------------------------------------------------

export const TypingStatus001 = z.object({ senderId: Id, isTyping: z.boolean(), conversationId: Id }).openapi("TypingStatus001");
export const TypingIndicator002 = z
  .object({ userId: Uuid, _id: Id, senderId: Id, userName: Str, isTyping: z.boolean(), conversationId: Id })
  .openapi("TypingIndicator002");
export const UserTyping004 = z
  .object({ conversation_id: Id, user_email: StrOrNull, user_id: Id, user_name: Str, typing: z.boolean() })
  .openapi("UserTyping004");
export const MessageStatus = z
  .object({
    messageId: Id,
    _id: Id,
    conversationId: Id,
    conversation_id: Id,
    seq: z.number().int(),
    status: Delivery,
    at: IsoOrNull,
    readBy: z.object({ _id: Id, userId: Uuid, name: Str }).optional(),
  })
  .openapi("MessageStatus", { description: "Delivery state of a message one sent: sent -> delivered -> read." });
export const MessageRead002 = z
  .object({ messageId: Id, conversationId: Id, readBy: z.object({ _id: Id, userId: Uuid, name: Str }), readAt: IsoOrNull })
  .openapi("MessageRead002");
export const MarkedAsRead004 = z.object({ conversation_id: Id, user_email: StrOrNull, user_id: Id }).openapi("MarkedAsRead004");
export const RoomConfirmation004 = z.object({ conversation_id: Id, success: z.boolean() }).openapi("RoomConfirmation004");

const presenceUser = { userId: Uuid, _id: Id, name: Str, username: Str, email: StrOrNull, lastSeen: IsoOrNull };
export const UserOnline = z.object({ ...presenceUser, isOnline: z.boolean() }).openapi("UserOnline", { description: "Union of 002 and 004 `user_online`." });
export const UserOffline = z.object({ ...presenceUser, isOnline: z.boolean() }).openapi("UserOffline", { description: "Union of 002 and 004 `user_offline`." });
export const UserStatus001 = z.object({ userId: Uuid, _id: Id, isOnline: z.boolean(), lastSeen: IsoOrNull }).openapi("UserStatus001");
export const ConnectionPayload = z
  .object({ success: z.boolean(), user: z.object({ _id: Id, userId: Uuid, name: Str, username: Str }) })
  .openapi("Connection002");
export const OnlineUser002 = z.object({ ...presenceUser, role: Str }).openapi("OnlineUser002");
export const OnlineUsers004 = z.object({ users: z.array(Str) }).openapi("OnlineUsers004");

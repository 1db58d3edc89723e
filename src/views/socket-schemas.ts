/**
 * The schemas of every Socket.IO event, by event name: for client->server
 * events the payload (the handlers' validation schemas) and the
 * acknowledgement, for server->client events the payload and the dialects
 * that get it. A schema is one per dialect where the dialect decides the
 * shape (CONTRACT.md). The event maps (./event-map.ts) are their types; the
 * AsyncAPI catalog (src/realtime/catalog/) documents them. Acknowledgement
 * and emitted payload schemas are view schemas (./schemas.ts), which `tsc`
 * checks against the views that build them.
 */
import { z } from "@hono/zod-openapi";
import type { Dialect } from "../lib/tokens";
import { CreateGroup, Send001, Send003, Send004 } from "../lib/requests";
import {
  ByConversation,
  ByReceiver,
  ByRecipient,
  GetMessages003,
  History002,
  JoinGroup,
  MarkAsRead004,
  MarkMessageRead002,
  MarkMessagesRead,
  Room004,
  Send002,
  Sync,
} from "../lib/socket-inputs";
import {
  ConnectionPayload,
  ContactStatusEntry,
  ContactStatusUpdate,
  Conversation003,
  Envelope,
  MarkedAsRead004,
  MarkedRead004,
  Message001,
  Message002,
  Message003,
  Message004,
  MessageNotification,
  MessageRead002,
  MessageStatus,
  OnlineUser002,
  OnlineUsers004,
  Pagination003,
  ReceiveMessage,
  RoomConfirmation004,
  TypingIndicator002,
  TypingStatus001,
  UserOffline,
  UserOnline,
  UserStatus001,
  UserTyping004,
} from "./schemas";

export const DIALECTS = ["standard", "chat-socket"] as const satisfies readonly Dialect[];
const BOTH = DIALECTS;

/** A schema, or one per dialect when the dialect decides the shape (CONTRACT.md). */
export type PerDialect = z.ZodType | { readonly [D in Dialect]: z.ZodType };

export interface ClientSchemas {
  /** undefined: the event takes no payload */
  readonly payload?: z.ZodType;
  readonly ack: PerDialect;
}

export interface ServerSchemas {
  readonly dialects: readonly Dialect[];
  readonly payload: PerDialect;
}

// ---- acknowledgement and payload shapes of the socket API only ------------

export const TypingAck = z
  .object({ success: z.boolean(), conversation_id: z.string().nullable(), conversationId: z.string().nullable(), typing: z.boolean() })
  .openapi("TypingAck", { description: "`conversation_id`/`conversationId` are null (and `typing` false) when a user was addressed with whom the caller has no conversation: typing never creates one, and nothing is emitted." });
export const MessageSent002 = z.object({ success: z.boolean(), message: Message002 }).openapi("MessageSent002");
export const MessageHistory002 = z
  .object({
    messages: z.array(Message002),
    otherUser: z.object({ _id: z.string(), userId: z.string(), name: z.string() }),
    pagination: z.object({ page: z.number().int(), limit: z.number().int(), hasMore: z.boolean(), total: z.number().int() }),
  })
  .openapi("MessageHistory002");
export const UnreadCount002 = z.object({ count: z.number().int(), unreadCount: z.number().int() }).openapi("UnreadCount002");
const Synced = <M extends z.ZodType>(message: M) =>
  z.object({
    success: z.boolean(),
    conversationId: z.string(),
    conversation_id: z.string(),
    messages: z.array(message),
    hasMore: z.boolean(),
    lastSeq: z.number().int(),
  });
export const SocketError = z.object({ message: z.string() }).openapi("SocketError");

const MemberRef = z.object({ _id: z.string(), userId: z.string().optional(), name: z.string().optional(), email: z.string().nullable().optional() });
export const MembershipEvent = z
  .object({
    conversationId: z.string(),
    conversation_id: z.string(),
    by: MemberRef,
    members: z.array(MemberRef).optional().openapi({ description: "added / removed: who" }),
    userId: z.string().optional().openapi({ description: "left: who left" }),
    user: MemberRef.optional(),
    name: z.string().optional().openapi({ description: "renamed: the new name" }),
  })
  .openapi("MembershipEvent");

const typing = { payload: z.union([ByReceiver, ByConversation]), ack: TypingAck };
const typing001 = { payload: ByRecipient, ack: TypingAck };

/** Client->server events, in the order the document lists them. */
export const CLIENT_SCHEMAS = {
  send_message: { payload: z.union([Send002, Send004]), ack: z.union([MessageSent002, Message004]) },
  sendMessage: { payload: z.union([Send003, Send001]), ack: z.union([Envelope(Message003), Message001]) },
  mark_message_read: { payload: MarkMessageRead002, ack: MessageSent002 },
  markMessagesRead: { payload: MarkMessagesRead, ack: z.union([Envelope(Message003), Envelope(z.object({ modifiedCount: z.number().int() }))]) },
  mark_as_read: { payload: MarkAsRead004, ack: MarkedRead004 },
  get_message_history: { payload: History002, ack: MessageHistory002 },
  get_unread_count: { ack: UnreadCount002 },
  getMessages: { payload: GetMessages003, ack: Envelope(z.object({ messages: z.array(Message003), pagination: Pagination003 })) },
  sync_messages: {
    payload: Sync,
    ack: { standard: Synced(Message003).openapi("SyncedMessages003"), "chat-socket": Synced(Message004).openapi("SyncedMessages004") },
  },
  typing_start: typing,
  typing_stop: typing,
  typing: typing001,
  stopTyping: typing001,
  createGroup: { payload: CreateGroup, ack: Envelope(Conversation003) },
  joinGroup: { payload: JoinGroup, ack: Envelope(Conversation003) },
  join_conversation: { payload: Room004, ack: RoomConfirmation004 },
  leave_conversation: { payload: Room004, ack: RoomConfirmation004 },
  get_online_users: { ack: { standard: z.array(OnlineUser002), "chat-socket": OnlineUsers004 } },
  update_contacts: { ack: z.array(ContactStatusEntry) },
  echo: { payload: z.unknown(), ack: z.unknown() },
} as const satisfies Record<string, ClientSchemas>;

const standard = ["standard"] as const;
const chatSocket = ["chat-socket"] as const;
const membership = { dialects: BOTH, payload: MembershipEvent };
const membership001 = { dialects: standard, payload: MembershipEvent };

/** Server->client events, in the order the document lists them. */
export const SERVER_SCHEMAS = {
  connection: { dialects: BOTH, payload: ConnectionPayload },
  online_users: { dialects: BOTH, payload: { standard: z.array(OnlineUser002), "chat-socket": OnlineUsers004 } },
  contacts_status_initial: { dialects: BOTH, payload: z.array(ContactStatusEntry) },
  contact_status_update: { dialects: BOTH, payload: ContactStatusUpdate },
  user_online: { dialects: BOTH, payload: UserOnline },
  user_offline: { dialects: BOTH, payload: UserOffline },
  userStatus: { dialects: standard, payload: UserStatus001 },
  receiveMessage: { dialects: standard, payload: ReceiveMessage },
  receive_message: { dialects: standard, payload: Message002 },
  new_message: { dialects: chatSocket, payload: Message004 },
  message_notification: { dialects: BOTH, payload: MessageNotification },
  message_sent: { dialects: standard, payload: MessageSent002 },
  message_status: { dialects: BOTH, payload: MessageStatus },
  message_read: { dialects: BOTH, payload: MessageRead002 },
  message_read_confirmed: { dialects: BOTH, payload: MessageSent002 },
  marked_as_read: { dialects: BOTH, payload: MarkedAsRead004 },
  typingStatus: { dialects: standard, payload: TypingStatus001 },
  typing_indicator: { dialects: standard, payload: TypingIndicator002 },
  user_typing: { dialects: chatSocket, payload: UserTyping004 },
  message_history: { dialects: BOTH, payload: MessageHistory002 },
  unread_count: { dialects: BOTH, payload: UnreadCount002 },
  synced_messages: { dialects: BOTH, payload: { standard: Synced(Message003), "chat-socket": Synced(Message004) } },
  joined_conversation: { dialects: BOTH, payload: RoomConfirmation004 },
  left_conversation: { dialects: BOTH, payload: RoomConfirmation004 },
  messageEdited: { dialects: standard, payload: Message001 },
  message_edited: { dialects: BOTH, payload: { standard: Message002, "chat-socket": Message004 } },
  messageDeleted: { dialects: standard, payload: Message001 },
  message_deleted: { dialects: BOTH, payload: { standard: Message002, "chat-socket": Message004 } },
  membersAdded: membership001,
  members_added: membership,
  membersRemoved: membership001,
  members_removed: membership,
  memberLeft: membership001,
  member_left: membership,
  groupRenamed: membership001,
  group_renamed: membership,
  error: { dialects: BOTH, payload: SocketError },
} as const satisfies Record<string, ServerSchemas>;

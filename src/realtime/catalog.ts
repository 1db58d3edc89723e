/**
 * Every Socket.IO event of the product, both directions and both dialects:
 * what the AsyncAPI document (src/realtime/asyncapi.ts) is generated from.
 *
 * Client->server payload schemas are the very zod schemas the handlers
 * validate with (exported from src/realtime/handlers/*); acknowledgement and
 * server->client payload schemas are the view schemas (src/views/schemas.ts),
 * which `tsc` checks against the views that build what is emitted.
 * test/workers/asyncapi.test.ts fails when a registered handler is missing
 * here; test/e2e/asyncapi.test.ts when an event name emitted anywhere in
 * src/ is.
 */
import { z } from "@hono/zod-openapi";
import { CreateGroup, Send001, Send003, Send004 } from "../lib/requests";
import type { Dialect } from "../lib/tokens";
import {
  ConnectionPayload,
  ContactStatusEntry,
  ContactStatusUpdate,
  Conversation003,
  Envelope,
  ErrorView,
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
} from "../views/schemas";
import { JoinGroup, Room004 } from "./handlers/conversations";
import { GetMessages003, History002, MarkAsRead004, MarkMessageRead002, MarkMessagesRead, Send002, Sync } from "./handlers/messaging";
import { ByConversation, ByReceiver, ByRecipient } from "./handlers/typing";
import { BUDGETS, kindOf } from "./socket/budgets";

export const DIALECTS: Dialect[] = ["standard", "chat-socket"];
const BOTH = DIALECTS;

/** A schema, or one per dialect when the dialect decides the shape (CONTRACT.md). */
export type PerDialect = z.ZodType | Partial<Record<Dialect, z.ZodType>>;

export interface ErrorCase {
  status: number;
  when: string;
}

export interface ClientEvent {
  name: string;
  summary: string;
  /** seed documents that name the event */
  documents: string[];
  dialects: Dialect[];
  /** undefined: the event takes no payload */
  payload?: z.ZodType;
  ack: PerDialect;
  /** events this connection gets in answer (besides the ack) */
  answers?: string[];
  errors: ErrorCase[];
}

export interface ServerEvent {
  name: string;
  summary: string;
  documents: string[];
  dialects: Dialect[];
  payload: PerDialect;
  /** who gets it, and when */
  audience: string;
}

const TypingAck = z
  .object({ success: z.boolean(), conversation_id: z.string().nullable(), conversationId: z.string().nullable(), typing: z.boolean() })
  .openapi("TypingAck", { description: "`conversation_id`/`conversationId` are null (and `typing` false) when a user was addressed with whom the caller has no conversation: typing never creates one, and nothing is emitted." });
const MessageSent002 = z.object({ success: z.boolean(), message: Message002 }).openapi("MessageSent002");
const MessageHistory002 = z
  .object({
    messages: z.array(Message002),
    otherUser: z.object({ _id: z.string(), userId: z.string(), name: z.string() }),
    pagination: z.object({ page: z.number().int(), limit: z.number().int(), hasMore: z.boolean(), total: z.number().int() }),
  })
  .openapi("MessageHistory002");
const UnreadCount002 = z.object({ count: z.number().int(), unreadCount: z.number().int() }).openapi("UnreadCount002");
const Synced = (message: z.ZodType) =>
  z.object({
    success: z.boolean(),
    conversationId: z.string(),
    conversation_id: z.string(),
    messages: z.array(message),
    hasMore: z.boolean(),
    lastSeq: z.number().int(),
  });
const SocketError = z.object({ message: z.string() }).openapi("SocketError");

const MEMBERSHIP_SUMMARY: Record<string, string> = {
  membersAdded: "Members were added to a group.",
  membersRemoved: "Members were removed from a group.",
  memberLeft: "A member left the conversation.",
  groupRenamed: "A group was renamed.",
};

const MemberRef = z.object({ _id: z.string(), userId: z.string().optional(), name: z.string().optional(), email: z.string().nullable().optional() });
const MembershipEvent = z
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

const invalid = (status = 400): ErrorCase => ({ status, when: "the payload is invalid (the message names the field)" });
const limited: ErrorCase = { status: 429, when: "over the event's rate budget (README \"Rate limits\")" };
const notMember: ErrorCase = { status: 404, when: "no such conversation, or the caller is not a member" };
const blocked: ErrorCase = { status: 403, when: "`Access denied`: the addressed user blocked the caller" };
const noUser: ErrorCase = { status: 404, when: "the addressed user does not exist" };

export const CLIENT_EVENTS: ClientEvent[] = [
  {
    name: "send_message",
    summary:
      "Send a message. With `receiverId` (002) the connection also gets `message_sent`; with `to_email` or `conversation_id` (004) " +
      "the ack is the 004 message. Accepts `clientMsgId`/`client_msg_id` (a repeat returns the first message).",
    documents: ["002", "004"],
    dialects: BOTH,
    payload: z.union([Send002, Send004]),
    ack: z.union([MessageSent002, Message004]),
    answers: ["message_sent"],
    errors: [invalid(), { status: 422, when: "an invalid 004 payload" }, noUser, blocked, { status: 429, when: "over 100 messages a minute, or the connection's budget" }],
  },
  {
    name: "sendMessage",
    summary: "Send a message: with `conversationId` (003) the ack is the REST envelope; with `recipientId` (001) the 001 message.",
    documents: ["001", "003"],
    dialects: BOTH,
    payload: z.union([Send003, Send001]),
    ack: z.union([Envelope(Message003), Message001]),
    errors: [invalid(), notMember, noUser, blocked, { status: 429, when: "over 100 messages a minute, or the connection's budget" }],
  },
  {
    name: "mark_message_read",
    summary: "Mark one message read (002); the sender gets `message_read` and `message_status`.",
    documents: ["002"],
    dialects: BOTH,
    payload: MarkMessageRead002,
    ack: MessageSent002,
    answers: ["message_read_confirmed"],
    errors: [invalid(), { status: 404, when: "no such message, or not a member" }, limited],
  },
  {
    name: "markMessagesRead",
    summary: "Mark a conversation (or one `messageId` in it) read (003).",
    documents: ["003"],
    dialects: BOTH,
    payload: MarkMessagesRead,
    ack: z.union([Envelope(Message003), Envelope(z.object({ modifiedCount: z.number().int() }))]),
    errors: [invalid(), notMember, limited],
  },
  {
    name: "mark_as_read",
    summary: "Mark a conversation read (004); members who joined its room get `marked_as_read`.",
    documents: ["004"],
    dialects: BOTH,
    payload: MarkAsRead004,
    ack: MarkedRead004,
    answers: ["marked_as_read"],
    errors: [invalid(422), notMember, limited],
  },
  {
    name: "get_message_history",
    summary: "A page of the 1-on-1 history with `otherUserId` (002): page 1 is the newest, each page oldest first.",
    documents: ["002"],
    dialects: BOTH,
    payload: History002,
    ack: MessageHistory002,
    answers: ["message_history"],
    errors: [invalid(), noUser, blocked, limited],
  },
  {
    name: "get_unread_count",
    summary: "The caller's unread messages over all conversations (002).",
    documents: ["002"],
    dialects: BOTH,
    ack: UnreadCount002,
    answers: ["unread_count"],
    errors: [limited],
  },
  {
    name: "getMessages",
    summary: "A page of a conversation (003): page 1 is the newest, each page oldest first; `hasNextPage` = older messages exist.",
    documents: ["003"],
    dialects: BOTH,
    payload: GetMessages003,
    ack: Envelope(z.object({ messages: z.array(Message003), pagination: Pagination003 })),
    errors: [invalid(), notMember, limited],
  },
  {
    name: "sync_messages",
    summary: "Catch-up after a disconnection: the messages after `since` (a `seq` or an ISO timestamp).",
    documents: ["ours"],
    dialects: BOTH,
    payload: Sync,
    ack: { standard: Synced(Message003).openapi("SyncedMessages003"), "chat-socket": Synced(Message004).openapi("SyncedMessages004") },
    answers: ["synced_messages"],
    errors: [invalid(), notMember, limited],
  },
  ...(["typing_start", "typing_stop"] as const).map(
    (name): ClientEvent => ({
      name,
      summary: `${name === "typing_start" ? "Start" : "Stop"} typing: to a user by \`receiverId\` (002; only into an existing 1-on-1 conversation, never creating one) or in a conversation by \`conversation_id\` (004). A start lasts 5 s unless renewed.`,
      documents: ["002", "004"],
      dialects: BOTH,
      payload: z.union([ByReceiver, ByConversation]),
      ack: TypingAck,
      errors: [invalid(), { status: 422, when: "an invalid 004 payload on a chat-socket connection" }, noUser, blocked, notMember, limited],
    }),
  ),
  ...(["typing", "stopTyping"] as const).map(
    (name): ClientEvent => ({
      name,
      summary: `${name === "typing" ? "Start" : "Stop"} typing to \`recipientId\` (001; only into an existing 1-on-1 conversation, never creating one).`,
      documents: ["001"],
      dialects: BOTH,
      payload: ByRecipient,
      ack: TypingAck,
      errors: [invalid(), noUser, blocked, limited],
    }),
  ),
  {
    name: "createGroup",
    summary: "Create a group (003); the ack is the body of `POST /api/conversations/group`.",
    documents: ["003"],
    dialects: BOTH,
    payload: CreateGroup,
    ack: Envelope(Conversation003),
    errors: [invalid(), noUser, limited],
  },
  {
    name: "joinGroup",
    summary: "Join a conversation's room on this connection (003): room events (`marked_as_read`, `user_typing`) reach it.",
    documents: ["003"],
    dialects: BOTH,
    payload: JoinGroup,
    ack: Envelope(Conversation003),
    errors: [invalid(), notMember, limited],
  },
  {
    name: "join_conversation",
    summary: "Join a conversation's room on this connection (004).",
    documents: ["004"],
    dialects: BOTH,
    payload: Room004,
    ack: RoomConfirmation004,
    answers: ["joined_conversation"],
    errors: [invalid(422), { status: 422, when: "not a member (004 answers 422)" }, limited],
  },
  {
    name: "leave_conversation",
    summary: "Leave a conversation's room on this connection (004).",
    documents: ["004"],
    dialects: BOTH,
    payload: Room004,
    ack: RoomConfirmation004,
    answers: ["left_conversation"],
    errors: [invalid(422), { status: 422, when: "not a member (004 answers 422)" }, limited],
  },
  {
    name: "get_online_users",
    summary: "Online users among those whose presence the caller may see (never the whole user base).",
    documents: ["004", "002"],
    dialects: BOTH,
    ack: { standard: z.array(OnlineUser002), "chat-socket": OnlineUsers004 },
    answers: ["online_users"],
    errors: [limited],
  },
  {
    name: "update_contacts",
    summary: "Re-read the contact list and re-send `contacts_status_initial` (000).",
    documents: ["000"],
    dialects: BOTH,
    ack: z.array(ContactStatusEntry),
    answers: ["contacts_status_initial"],
    errors: [limited],
  },
  {
    name: "echo",
    summary: "Diagnostics: the ack is the payload unchanged (text, JSON or binary).",
    documents: ["ours"],
    dialects: BOTH,
    payload: z.unknown(),
    ack: z.unknown(),
    errors: [limited],
  },
];

export const SERVER_EVENTS: ServerEvent[] = [
  {
    name: "connection",
    summary: "Sent on connect to every connection.",
    documents: ["002"],
    dialects: BOTH,
    payload: ConnectionPayload,
    audience: "the connecting socket, right after CONNECT",
  },
  {
    name: "online_users",
    summary: "Online users among those whose presence the caller may see: 002's array (pushed on connect), 004's `{users:[emails]}`.",
    documents: ["002", "004"],
    dialects: BOTH,
    payload: { standard: z.array(OnlineUser002), "chat-socket": OnlineUsers004 },
    audience: "standard: on connect and in answer to get_online_users; chat-socket: in answer to get_online_users",
  },
  {
    name: "contacts_status_initial",
    summary: "The caller's contacts with their current status and its expiry (`statusUntil`).",
    documents: ["000"],
    dialects: BOTH,
    payload: z.array(ContactStatusEntry),
    audience: "the connecting socket on connect, and in answer to update_contacts",
  },
  {
    name: "contact_status_update",
    summary: "A watched user's status changed, or expired back to `available` (Durable Object alarm).",
    documents: ["000"],
    dialects: BOTH,
    payload: ContactStatusUpdate,
    audience: "every connection of every user who may see the owner's status (contacts, friends, conversation partners)",
  },
  {
    name: "user_online",
    summary: "A watched user came online (their first connection).",
    documents: ["002", "004"],
    dialects: BOTH,
    payload: UserOnline,
    audience: "watchers (friends, contacts' owners, conversation partners) not blocked by the user",
  },
  {
    name: "user_offline",
    summary: "A watched user went offline (their last connection closed).",
    documents: ["002", "004"],
    dialects: BOTH,
    payload: UserOffline,
    audience: "watchers not blocked by the user",
  },
  {
    name: "userStatus",
    summary: "001's presence change `{userId, isOnline, lastSeen}`.",
    documents: ["001"],
    dialects: ["standard"],
    payload: UserStatus001,
    audience: "watchers not blocked by the user",
  },
  {
    name: "receiveMessage",
    summary: "A new message (001/003 clients).",
    documents: ["001", "003"],
    dialects: ["standard"],
    payload: ReceiveMessage,
    audience: "every member's standard connections except the sender's sending connection",
  },
  {
    name: "receive_message",
    summary: "A new message (002 clients).",
    documents: ["002"],
    dialects: ["standard"],
    payload: Message002,
    audience: "recipients' standard connections",
  },
  {
    name: "new_message",
    summary: "A new message (004 clients), on every member's chat-socket connection including the sending one.",
    documents: ["004"],
    dialects: ["chat-socket"],
    payload: Message004,
    audience: "every member's chat-socket connections",
  },
  {
    name: "message_notification",
    summary: "A short notification of a new message: union of 002 and 004 fields.",
    documents: ["002", "004"],
    dialects: BOTH,
    payload: MessageNotification,
    audience: "recipients' connections",
  },
  {
    name: "message_sent",
    summary: "The sender's own confirmation `{success, message}` (002).",
    documents: ["002"],
    dialects: ["standard"],
    payload: MessageSent002,
    audience: "the sender's standard connections (the sending socket gets it in answer to send_message)",
  },
  {
    name: "message_status",
    summary: "Delivery state of a message one sent: `delivered` once a recipient's device got it, `read` once read.",
    documents: ["001"],
    dialects: BOTH,
    payload: MessageStatus,
    audience: "the sender's connections",
  },
  {
    name: "message_read",
    summary: "A message one sent was read (002).",
    documents: ["002"],
    dialects: BOTH,
    payload: MessageRead002,
    audience: "every connection of the sender",
  },
  {
    name: "message_read_confirmed",
    summary: "Answer to mark_message_read.",
    documents: ["002"],
    dialects: BOTH,
    payload: MessageSent002,
    audience: "the reading socket",
  },
  {
    name: "marked_as_read",
    summary: "A member read the conversation (004).",
    documents: ["004"],
    dialects: BOTH,
    payload: MarkedAsRead004,
    audience: "connections that joined the conversation's room (join_conversation / joinGroup)",
  },
  {
    name: "typingStatus",
    summary: "001's typing indicator.",
    documents: ["001"],
    dialects: ["standard"],
    payload: TypingStatus001,
    audience: "the other members' standard connections; only changes are sent",
  },
  {
    name: "typing_indicator",
    summary: "002's typing indicator.",
    documents: ["002"],
    dialects: ["standard"],
    payload: TypingIndicator002,
    audience: "the other members' standard connections; only changes are sent",
  },
  {
    name: "user_typing",
    summary: "004's typing indicator.",
    documents: ["004"],
    dialects: ["chat-socket"],
    payload: UserTyping004,
    audience: "chat-socket connections that joined the conversation's room",
  },
  {
    name: "message_history",
    summary: "Answer to get_message_history.",
    documents: ["002"],
    dialects: BOTH,
    payload: MessageHistory002,
    audience: "the asking socket",
  },
  {
    name: "unread_count",
    summary: "Answer to get_unread_count.",
    documents: ["002"],
    dialects: BOTH,
    payload: UnreadCount002,
    audience: "the asking socket",
  },
  {
    name: "synced_messages",
    summary: "Answer to sync_messages.",
    documents: ["ours"],
    dialects: BOTH,
    payload: { standard: Synced(Message003), "chat-socket": Synced(Message004) },
    audience: "the asking socket",
  },
  {
    name: "joined_conversation",
    summary: "Answer to join_conversation.",
    documents: ["004"],
    dialects: BOTH,
    payload: RoomConfirmation004,
    audience: "the joining socket",
  },
  {
    name: "left_conversation",
    summary: "Answer to leave_conversation.",
    documents: ["004"],
    dialects: BOTH,
    payload: RoomConfirmation004,
    audience: "the leaving socket",
  },
  {
    name: "messageEdited",
    summary: "A message of the conversation was edited (001 message schema).",
    documents: ["ours"],
    dialects: ["standard"],
    payload: Message001,
    audience: "every member's standard connections",
  },
  {
    name: "message_edited",
    summary: "A message of the conversation was edited: 002 message on standard connections, 004 message on chat-socket ones.",
    documents: ["ours"],
    dialects: BOTH,
    payload: { standard: Message002, "chat-socket": Message004 },
    audience: "every member's connections",
  },
  {
    name: "messageDeleted",
    summary: "A message of the conversation was deleted (soft; no text or attachment).",
    documents: ["ours"],
    dialects: ["standard"],
    payload: Message001,
    audience: "every member's standard connections",
  },
  {
    name: "message_deleted",
    summary: "A message of the conversation was deleted: 002 message on standard connections, 004 message on chat-socket ones.",
    documents: ["ours"],
    dialects: BOTH,
    payload: { standard: Message002, "chat-socket": Message004 },
    audience: "every member's connections",
  },
  ...(["membersAdded", "members_added", "membersRemoved", "members_removed", "memberLeft", "member_left", "groupRenamed", "group_renamed"] as const).map(
    (name): ServerEvent => ({
      name,
      summary: MEMBERSHIP_SUMMARY[name.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase())],
      documents: ["ours"],
      dialects: /[A-Z]/.test(name) ? ["standard"] : BOTH,
      payload: MembershipEvent,
      audience: "every member's connections (removed members and the one who left too)",
    }),
  ),
  {
    name: "error",
    summary: "A client->server event failed (its ack, if any, gets the full error body).",
    documents: ["002", "004"],
    dialects: BOTH,
    payload: SocketError,
    audience: "the socket whose event failed",
  },
];

/** The ack body of a failed event (CONTRACT.md error body). */
export const ErrorAck = ErrorView;

export const budgetOf = (event: string) => ({ kind: kindOf(event), ...BUDGETS[kindOf(event)] });

/**
 * The wire shapes the views build (src/views/*.ts), as zod schemas: the
 * OpenAPI document's response schemas (src/routes/*.ts) and the AsyncAPI
 * document's payloads of server->client events (src/realtime/asyncapi.ts)
 * are both generated from them.
 *
 * They are checked against the views, not just written next to them: a REST
 * route that declares one of these as its response schema only type-checks
 * when its handler returns a value of that shape (@hono/zod-openapi types
 * the handler's `c.json(...)` from the route's responses), and the
 * `ViewChecks` block at the end fails `tsc` when a view's return type stops
 * fitting the schema documented for it.
 */
import { z } from "@hono/zod-openapi";
import type { contactStatusEntry, contactStatusUpdate, historyView, scheduleView, statusView, templateView } from "./status";
import type { contactView, phoneStatusView, userWithStatusView } from "./contact";
import type { conversation003, conversationStart004, conversationSummary004 } from "./conversation";
import type { markedAsRead004, messageRead002, messageStatusPayload, roomConfirmation004, userTyping004 } from "./events";
import type { friendRequestView, friendView, metadataView } from "./friend";
import type { message001, message002, message003, message004, messageNotification, receiveMessagePayload } from "./message";
import type { connectionPayload, onlineUser002, onlineUsers004, userOfflinePayload, userOnlinePayload, userStatusPayload } from "./presence";
import type { userRef, userSearchResult, userSelf } from "./user";

const Id = z.string().openapi({ description: "24 lowercase hex characters (`_id`)", example: "6650f0c2a1b2c3d4e5f60718" });
const Uuid = z.string().openapi({ description: "the user's UUID v4 (`userId`)", example: "3f0e3a43-7d0b-4c52-9a43-6b0f1f5cbd51" });
const Iso = z.string().openapi({ description: "ISO 8601 timestamp", example: "2026-12-04T17:00:00.000Z" });
const IsoOrNull = Iso.nullable();
const Str = z.string();
const StrOrNull = z.string().nullable();

// ---- users ---------------------------------------------------------------

const identityFields = {
  _id: Id,
  userId: Uuid,
  name: Str,
  email: StrOrNull,
  username: Str,
  profileImage: StrOrNull,
  photoURL: StrOrNull,
  profile_image: StrOrNull,
};

export const UserRefView = z
  .object({ ...identityFields, profilePicture: StrOrNull })
  .openapi("UserRef", { description: "A short user reference (003 `members`, `senderId` objects); the image under every documented name." });

const UserIdentity = z.object({ ...identityFields, profilePicture: StrOrNull, phoneNumber: StrOrNull, role: Str });

const statusFields = { status: Str, customStatus: Str, statusUntil: IsoOrNull };
const presenceFields = { isOnline: z.boolean(), is_online: z.boolean(), lastSeen: IsoOrNull, last_seen: IsoOrNull };

export const UserSelfView = UserIdentity.extend({
  ...statusFields,
  ...presenceFields,
  timezone: Str,
  statusVisibility: Str,
  createdAt: IsoOrNull,
  updatedAt: IsoOrNull,
}).openapi("User", { description: "A user as its owner sees it (000 data/profile, 004 /users/me)." });

export const UserWithToken = UserSelfView.extend({ token: Str }).openapi("UserWithToken");

export const UserSearchResultView = z
  .object({
    _id: Id,
    userId: Uuid,
    email: StrOrNull,
    name: Str,
    username: Str,
    profile_image: StrOrNull,
    profileImage: StrOrNull,
    is_online: z.boolean(),
    isOnline: z.boolean(),
  })
  .openapi("UserSearchResult");

export const Login004 = z
  .object({
    access_token: Str,
    token_type: z.literal("bearer"),
    user: z.object({ _id: Id, userId: Uuid, email: StrOrNull, name: Str, profile_image: StrOrNull }),
  })
  .openapi("Login004", { description: "004 form login: `{access_token, token_type, user}`." });

// ---- status (000) ----------------------------------------------------------

export const EffectiveStatus = z.object(statusFields).openapi("EffectiveStatus", {
  description: "`statusUntil` passed reads as `available`.",
});
export const StatusView = z.object({ _id: Id, userId: Uuid, ...statusFields }).openapi("Status");

const ownerFields = { _id: Id, user: Id, userId: Uuid };
export const HistoryEntryView = z
  .object({ ...ownerFields, status: Str, customStatus: Str, startTime: IsoOrNull, endTime: IsoOrNull, duration: z.number().nullable() })
  .openapi("StatusHistoryEntry", { description: "`duration` in minutes; null while the entry is open." });
export const TemplateView = z
  .object({ ...ownerFields, name: Str, status: Str, customStatus: Str, duration: z.number().nullable(), createdAt: IsoOrNull, updatedAt: IsoOrNull })
  .openapi("StatusTemplate");
export const ScheduleView = z
  .object({
    ...ownerFields,
    status: Str,
    customStatus: Str,
    startTime: IsoOrNull,
    endTime: IsoOrNull,
    repeat: Str,
    active: z.boolean(),
    source: Str,
    createdAt: IsoOrNull,
    updatedAt: IsoOrNull,
  })
  .openapi("StatusSchedule");
export const UpcomingOccurrence = ScheduleView.extend({
  inProgress: z.boolean(),
  scheduleStartTime: Iso,
  scheduleEndTime: Iso,
}).openapi("ScheduleOccurrence", { description: "A schedule with `startTime`/`endTime` of one occurrence." });

export const ContactStatusEntry = z
  .object({ contactId: Id, userId: Uuid, name: Str, ...statusFields })
  .openapi("ContactStatusEntry", { description: "000 `contacts_status_initial` entry; `contactId` is the contact's `_id`." });
export const ContactStatusUpdate = z
  .object({ contactId: Id, userId: Uuid, name: Str, ...statusFields, timestamp: IsoOrNull })
  .openapi("ContactStatusUpdate", { description: "000 `contact_status_update`: a watched user's status changed (or expired)." });

// ---- contacts (000) --------------------------------------------------------

export const ContactView = UserIdentity.extend({
  contactId: Id,
  contactName: StrOrNull,
  currentStatus: EffectiveStatus.nullable(),
  addedAt: IsoOrNull,
}).openapi("Contact", { description: "`currentStatus` is null when the contact does not let you see it." });
export const UserWithStatusView = UserIdentity.extend(statusFields).openapi("UserWithStatus");
export const PhoneStatusView = z.object({ _id: Id, userId: Uuid, name: Str, ...statusFields }).openapi("PhoneStatus");

// ---- friends, metadata (001) -----------------------------------------------

export const FriendView = UserRefView.extend({ ...presenceFields, friendsSince: IsoOrNull }).openapi("Friend");
export const FriendRequestView = z
  .object({ _id: Id, from: UserRefView, to: UserRefView, fromId: Id, toId: Id, status: Str, createdAt: IsoOrNull, updatedAt: IsoOrNull })
  .openapi("FriendRequest");
export const MetadataView = z
  .object({
    _id: Id.nullable(),
    userId: Id,
    otherUserId: Id,
    isPinned: z.boolean(),
    isBlocked: z.boolean(),
    customRingtone: StrOrNull,
    isFavorite: z.boolean(),
    createdAt: IsoOrNull,
    updatedAt: IsoOrNull,
  })
  .openapi("ConversationMetadata");

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

// ---- bodies shared by routes -------------------------------------------------

export const ErrorView = z
  .object({ success: z.literal(false), statusCode: z.number().int(), message: Str, error: Str, detail: Str })
  .openapi("Error", { description: "Every error body (CONTRACT.md)." });

/** 003 success envelope `{success, statusCode, message, data}`. */
export const Envelope = <T extends z.ZodType>(data: T) => z.object({ success: z.boolean(), statusCode: z.number().int(), message: Str, data });

/** `{success, data}`. */
export const Data = <T extends z.ZodType>(data: T) => z.object({ success: z.boolean(), data });

/** `{success, message}` (deletions and the like). */
export const Done = z.object({ success: z.boolean(), message: Str }).openapi("Done");

export const PageInfo = z.object({ page: z.number().int(), limit: z.number().int(), total: z.number().int(), pages: z.number().int() }).openapi("PageInfo");

/** `{success, count, data:[...]}` (bulk creation). */
export const Counted = <T extends z.ZodType>(item: T) => z.object({ success: z.boolean(), count: z.number().int(), data: z.array(item) });

/** `{success, data:[...], pagination}` (000 lists). */
export const Paged = <T extends z.ZodType>(item: T) => z.object({ success: z.boolean(), data: z.array(item), pagination: PageInfo });

export const AuthCheck = z
  .object({ success: z.boolean(), exists: z.boolean(), data: z.object({ _id: Id, userId: Uuid, name: Str }).optional() })
  .openapi("AuthCheck");

export const SuggestionView = z
  .object({
    name: Str,
    status: Str,
    customStatus: Str,
    startTime: Str,
    endTime: Str,
    repeat: Str,
    confidence: z.number(),
    occurrences: z.number().int(),
    eligibleDays: z.number().int(),
  })
  .openapi("StatusSuggestion");

export const AnalyticsView = z
  .object({
    totalEntries: z.number().int(),
    totalDuration: z.number(),
    statusDurations: z.record(z.string(), z.number()),
    statusPercentages: z.record(z.string(), z.number()),
    mostFrequentStatus: StrOrNull,
    suggestions: z.object({ morning: StrOrNull, afternoon: StrOrNull, evening: StrOrNull }),
  })
  .openapi("StatusAnalytics");

export const UserProfileView = z
  .object({ profile: UserSelfView, recentHistory: z.array(HistoryEntryView), activeSchedules: z.array(ScheduleView), templates: z.array(TemplateView) })
  .openapi("UserProfile");

export const ContactFilterResult = z
  .object({
    success: z.boolean(),
    users: z.array(UserWithStatusView),
    debug: z.object({ originalPhoneNumbers: z.array(Str), normalizedPhoneNumbers: z.array(StrOrNull) }),
  })
  .openapi("ContactFilterResult");

export const FriendRequestResult = FriendRequestView.extend({
  success: z.boolean(),
  message: Str,
  request: FriendRequestView,
  friend: FriendView.optional().openapi({ description: "on accept: the new friend" }),
}).openapi("FriendRequestResult");

export const FriendsList = z.object({ success: z.boolean(), friends: z.array(FriendView) }).openapi("FriendsList");
export const FriendRequestsList = z
  .object({ success: z.boolean(), incoming: z.array(FriendRequestView), outgoing: z.array(FriendRequestView) })
  .openapi("FriendRequestsList");

export const MarkedRead004 = z
  .object({ message: Str, success: z.boolean(), conversation_id: Id, modifiedCount: z.number().int() })
  .openapi("MarkedRead004");

export const LeftConversation = z.object({ _id: Id, conversationId: Id, status: Str, createdBy: Str }).openapi("LeftConversation");

export const MessagePage003 = z
  .union([
    z.object({ messages: z.array(Message003), pagination: Pagination003 }),
    z.object({ messages: z.array(Message003), hasMore: z.boolean(), lastSeq: z.number().int(), since: z.union([Str, z.number()]) }),
  ])
  .openapi("MessagePage003", { description: "Page 1 is the newest page, each page oldest first; with `since`: the catch-up after it." });

export const UnreadCount = z.object({ unreadCount: z.number().int(), count: z.number().int(), conversationId: Id.optional() }).openapi("UnreadCount");

export const UploadView = z
  .object({ _id: Id, url: Str, fileUrl: Str, type: Str, contentType: Str, size: z.number().int(), filename: StrOrNull, createdAt: IsoOrNull })
  .openapi("Upload");

/** A file body (uploads). */
export const FileBody = z.string().openapi({ type: "string", format: "binary" });

// ---- compile-time checks: each view returns what its schema documents --------

type Fits<View extends (...args: never[]) => unknown, S extends z.ZodType> = ReturnType<View> extends z.output<S> ? true : false;
type ViewChecks = [
  Fits<typeof userRef, typeof UserRefView>,
  Fits<typeof userSelf, typeof UserSelfView>,
  Fits<typeof userSearchResult, typeof UserSearchResultView>,
  Fits<typeof statusView, typeof StatusView>,
  Fits<typeof historyView, typeof HistoryEntryView>,
  Fits<typeof templateView, typeof TemplateView>,
  Fits<typeof scheduleView, typeof ScheduleView>,
  Fits<typeof contactStatusEntry, typeof ContactStatusEntry>,
  Fits<typeof contactStatusUpdate, typeof ContactStatusUpdate>,
  Fits<typeof contactView, typeof ContactView>,
  Fits<typeof userWithStatusView, typeof UserWithStatusView>,
  Fits<typeof phoneStatusView, typeof PhoneStatusView>,
  Fits<typeof friendView, typeof FriendView>,
  Fits<typeof friendRequestView, typeof FriendRequestView>,
  Fits<typeof metadataView, typeof MetadataView>,
  Fits<typeof message001, typeof Message001>,
  Fits<typeof receiveMessagePayload, typeof ReceiveMessage>,
  Fits<typeof message002, typeof Message002>,
  Fits<typeof message003, typeof Message003>,
  Fits<typeof message004, typeof Message004>,
  Fits<typeof messageNotification, typeof MessageNotification>,
  Fits<typeof conversation003, typeof Conversation003>,
  Fits<typeof conversationSummary004, typeof ConversationSummary004>,
  Fits<typeof conversationStart004, typeof ConversationStart004>,
  Fits<typeof userTyping004, typeof UserTyping004>,
  Fits<typeof messageStatusPayload, typeof MessageStatus>,
  Fits<typeof messageRead002, typeof MessageRead002>,
  Fits<typeof markedAsRead004, typeof MarkedAsRead004>,
  Fits<typeof roomConfirmation004, typeof RoomConfirmation004>,
  Fits<typeof userOnlinePayload, typeof UserOnline>,
  Fits<typeof userOfflinePayload, typeof UserOffline>,
  Fits<typeof userStatusPayload, typeof UserStatus001>,
  Fits<typeof connectionPayload, typeof ConnectionPayload>,
  Fits<typeof onlineUser002, typeof OnlineUser002>,
  Fits<typeof onlineUsers004, typeof OnlineUsers004>,
];
/** Every entry must be `true`; a view that drifted from its schema makes one `false` and this line fail. */
export const viewChecks: ViewChecks extends true[] ? true : never = true;

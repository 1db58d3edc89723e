/**
 * The one data model behind all five API documents.
 *
 * Every document's wire shape is a view of these tables (see src/views/).
 * Messages and read state live in each conversation's Durable Object
 * (room-schema.ts); inboxes, live sessions and the recovery log in each
 * user's (hub-schema.ts).
 * Timestamps are epoch milliseconds (drizzle `timestamp_ms` -> Date).
 * Ids: users have `id` (24-hex, served as `_id`) and `userId` (UUID v4);
 * every other entity has a 24-hex `id`.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const ts = (name: string) => integer(name, { mode: "timestamp_ms" });
const bool = (name: string) => integer(name, { mode: "boolean" });
const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    name: text("name").notNull(),
    email: text("email"),
    phoneNumber: text("phone_number"),
    username: text("username").notNull(),
    role: text("role").notNull().default("user"),
    profileImage: text("profile_image"),
    timezone: text("timezone").notNull().default("UTC"),
    passwordHash: text("password_hash"),
    /** Raised on a password or email change and on logout-all: tokens carrying an older `ver` stop working. */
    tokenVersion: integer("token_version").notNull().default(0),
    status: text("status").notNull().default("available"),
    customStatus: text("custom_status").notNull().default(""),
    statusUntil: ts("status_until"),
    /** What set the current status: "user", "template", "schedule:<id>:<occurrenceStartMs>", "expiry". */
    statusSource: text("status_source").notNull().default("user"),
    /** JSON {status, customStatus, statusUntil} to restore when a schedule occurrence ends. */
    statusRestore: text("status_restore"),
    /**
     * When this user's status timer next has work (status expiry or schedule start/end), as computed
     * by the timer each time it is armed; the cron visits only users whose wake time has passed.
     */
    nextWakeAt: ts("next_wake_at"),
    statusVisibility: text("status_visibility").notNull().default("everyone"),
    /** Who sees the phone number: everyone | contacts (people this user added as contact or friend) | nobody. */
    phoneVisibility: text("phone_visibility").notNull().default("contacts"),
    isOnline: bool("is_online").notNull().default(false),
    lastSeen: ts("last_seen"),
    createdAt: ts("created_at").notNull().default(now),
    updatedAt: ts("updated_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("users_user_id_uq").on(t.userId),
    uniqueIndex("users_email_uq").on(t.email),
    uniqueIndex("users_phone_uq").on(t.phoneNumber),
    uniqueIndex("users_username_uq").on(t.username),
    index("users_name_idx").on(t.name),
    // the cron safety net looks for statuses whose expiry has passed
    index("users_status_until_idx").on(t.statusUntil),
    // ... and for users whose status timer is due (its alarm may have been lost)
    index("users_next_wake_idx").on(t.nextWakeAt, t.id),
  ],
);

/** 000: a one-way address book. */
export const contacts = sqliteTable(
  "contacts",
  {
    ownerId: text("owner_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    contactId: text("contact_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    name: text("name"),
    createdAt: ts("created_at").notNull().default(now),
  },
  (t) => [
    primaryKey({ columns: [t.ownerId, t.contactId] }),
    // "who has me as a contact" (status watchers)
    index("contacts_contact_idx").on(t.contactId),
  ],
);

/** 001: friend requests; accepted ones also produce two `friendships` rows. */
export const friendRequests = sqliteTable(
  "friend_requests",
  {
    id: text("id").primaryKey(),
    fromId: text("from_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    toId: text("to_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    /** pending | accepted | declined | cancelled */
    status: text("status").notNull().default("pending"),
    createdAt: ts("created_at").notNull().default(now),
    updatedAt: ts("updated_at").notNull().default(now),
  },
  (t) => [
    index("friend_requests_to_idx").on(t.toId, t.status),
    index("friend_requests_from_idx").on(t.fromId, t.status),
    // at most one pending request per direction
    uniqueIndex("friend_requests_pending_uq").on(t.fromId, t.toId).where(sql`status = 'pending'`),
  ],
);

/** Mutual friendship, stored once per direction so "my friends" is one index range. */
export const friendships = sqliteTable(
  "friendships",
  {
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    friendId: text("friend_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    createdAt: ts("created_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.userId, t.friendId] })],
);

export const conversations = sqliteTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    /** "1on1" | "group" */
    type: text("type").notNull(),
    name: text("name"),
    createdBy: text("created_by").notNull().references(() => users.id),
    /** "active" | "archived" */
    status: text("status").notNull().default("active"),
    /** 1-on-1 only: the two user ids sorted and joined by ":"; unique per pair. */
    pairKey: text("pair_key"),
    /**
     * When its first message was sent (set once, by the Worker, when the room
     * answers seq 1). Null while nobody has written: such a conversation does
     * not make its members conversation partners (presence, src/domain/relations.ts).
     */
    firstMessageAt: ts("first_message_at"),
    createdAt: ts("created_at").notNull().default(now),
    updatedAt: ts("updated_at").notNull().default(now),
  },
  (t) => [uniqueIndex("conversations_pair_uq").on(t.pairKey)],
);

export const conversationMembers = sqliteTable(
  "conversation_members",
  {
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    joinedAt: ts("joined_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.userId] }), index("members_user_idx").on(t.userId)],
);

/**
 * Which conversation's messages carry one of our uploads (authorises reads
 * of the file). Messages themselves live in their conversation's Durable
 * Object (src/db/room-schema.ts); this row is written when a message with an
 * upload is sent and removed when that message is deleted.
 */
export const uploadRefs = sqliteTable(
  "upload_refs",
  {
    uploadId: text("upload_id").notNull(),
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    messageId: text("message_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.messageId] }), index("upload_refs_message_idx").on(t.messageId)],
);

/** 001: per-user view of a 1-on-1 relation (pin, block, ringtone, favourite). */
export const conversationMetadata = sqliteTable(
  "conversation_metadata",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    otherUserId: text("other_user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    isPinned: bool("is_pinned").notNull().default(false),
    isBlocked: bool("is_blocked").notNull().default(false),
    customRingtone: text("custom_ringtone"),
    isFavorite: bool("is_favorite").notNull().default(false),
    createdAt: ts("created_at").notNull().default(now),
    updatedAt: ts("updated_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("metadata_pair_uq").on(t.userId, t.otherUserId),
    // "who blocked me"
    index("metadata_blocked_idx").on(t.otherUserId, t.isBlocked),
  ],
);

export const statusHistory = sqliteTable(
  "status_history",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    status: text("status").notNull(),
    customStatus: text("custom_status").notNull().default(""),
    startTime: ts("start_time").notNull(),
    endTime: ts("end_time"),
    /** Minutes, set when the entry is closed. */
    duration: integer("duration"),
    createdAt: ts("created_at").notNull().default(now),
  },
  (t) => [
    index("history_user_start_idx").on(t.userId, t.startTime),
    // the open entry (the current status): every status change closes it, without reading the user's whole history
    index("history_open_idx").on(t.userId).where(sql`end_time IS NULL`),
  ],
);

export const statusTemplates = sqliteTable(
  "status_templates",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    status: text("status").notNull(),
    customStatus: text("custom_status").notNull().default(""),
    duration: integer("duration"),
    createdAt: ts("created_at").notNull().default(now),
    updatedAt: ts("updated_at").notNull().default(now),
  },
  (t) => [index("templates_user_idx").on(t.userId, t.createdAt)],
);

export const statusSchedules = sqliteTable(
  "status_schedules",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    status: text("status").notNull(),
    customStatus: text("custom_status").notNull().default(""),
    /** First occurrence; recurrences keep its wall-clock time in the user's timezone. */
    startTime: ts("start_time").notNull(),
    endTime: ts("end_time").notNull(),
    /** none | daily | weekdays | weekly | monthly */
    repeat: text("repeat").notNull().default("none"),
    active: bool("active").notNull().default(true),
    /** manual | google | outlook | apple */
    source: text("source").notNull().default("manual"),
    /** Provider event id, so re-syncing a calendar updates instead of duplicating. */
    externalId: text("external_id"),
    /** Start (ms) of the last occurrence whose start was applied / whose end was applied. */
    lastStartApplied: integer("last_start_applied"),
    lastEndApplied: integer("last_end_applied"),
    createdAt: ts("created_at").notNull().default(now),
    updatedAt: ts("updated_at").notNull().default(now),
  },
  (t) => [
    index("schedules_user_idx").on(t.userId, t.active, t.startTime),
    uniqueIndex("schedules_external_uq").on(t.userId, t.source, t.externalId),
  ],
);

/** Calendar sync state per user and provider. */
export const calendarLinks = sqliteTable(
  "calendar_links",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    lastSyncedAt: ts("last_synced_at"),
    windowStart: ts("window_start"),
    windowEnd: ts("window_end"),
    eventCount: integer("event_count").notNull().default(0),
    createdAt: ts("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("calendar_links_user_provider_uq").on(t.userId, t.provider)],
);

export const uploads = sqliteTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    filename: text("filename"),
    createdAt: ts("created_at").notNull().default(now),
  },
  (t) => [index("uploads_owner_idx").on(t.ownerId)],
);

export type User = typeof users.$inferSelect;
export type Conversation = typeof conversations.$inferSelect;
export type ConversationMember = typeof conversationMembers.$inferSelect;
export type StatusHistoryEntry = typeof statusHistory.$inferSelect;
export type StatusTemplate = typeof statusTemplates.$inferSelect;
export type StatusSchedule = typeof statusSchedules.$inferSelect;
export type ConversationMeta = typeof conversationMetadata.$inferSelect;
export type Upload = typeof uploads.$inferSelect;

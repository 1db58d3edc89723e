/**
 * The domain's read models: what domain operations hand to the views (each
 * document's wire shape is a view of these, in src/views/) and to the
 * objects. Rows of D1 tables are the drizzle types in src/db/schema.ts;
 * messages and inbox entries are in ./message-model.ts.
 */
import type { Conversation, User } from "../db/schema";
import type { LastMessage } from "./message-model";

export interface ContactRow {
  user: User;
  /** the name the owner saved for the contact, if any */
  label: string | null;
  addedAt: Date;
  /** may the owner see this contact's status (src/domain/visibility.ts) */
  visible: boolean;
  /** may the owner see this contact's phone number (src/domain/visibility.ts) */
  phoneVisible: boolean;
}

/** A conversation with its current members and (optionally) the caller's counters and last message. */
export interface ConversationRecord {
  conversation: Conversation;
  /** Current members, earliest joined first. */
  members: User[];
  /** The caller's unread count in this conversation. */
  unreadCount: number;
  /** the last message (from the caller's inbox) */
  last: LastMessage | null;
}

export interface MetadataState {
  /** null until something was stored */
  id: string | null;
  userId: string;
  otherUserId: string;
  isPinned: boolean;
  isBlocked: boolean;
  customRingtone: string | null;
  isFavorite: boolean;
  createdAt: Date | null;
  updatedAt: Date | null;
}

export type MembershipChange =
  | { kind: "added"; actorId: string; userIds: string[] }
  | { kind: "removed"; actorId: string; userIds: string[] }
  | { kind: "left"; actorId: string }
  | { kind: "renamed"; actorId: string; name: string };

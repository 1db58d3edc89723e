/**
 * The one message model (CONTRACT.md "One message model"): what a
 * conversation's Durable Object stores, and the read models every
 * document's view (src/views/message.ts, conversation.ts) is built from.
 */
import type { User } from "../db/schema";

/** The profile fields of a user that messages and conversation lists show. */
export type Person = Pick<User, "id" | "userId" | "name" | "email" | "username" | "profileImage">;
/** The part of a Person that events about what someone did (typing, reading) name. */
export type PersonRef = Pick<Person, "id" | "userId" | "name" | "email">;

export const person = (u: Person): Person => ({
  id: u.id,
  userId: u.userId,
  name: u.name,
  email: u.email,
  username: u.username,
  profileImage: u.profileImage,
});

export interface Message {
  id: string;
  conversationId: string;
  /** gap-free per conversation */
  seq: number;
  senderId: string;
  /** 1-on-1 only: the other member */
  recipientId: string | null;
  /** text image video file visitor checkin checkout task note splitMoney */
  type: string;
  text: string;
  attachmentType: string | null;
  attachmentUrl: string | null;
  /** set when the attachment is one of our uploads (authorises reads of the file) */
  uploadId: string | null;
  /** JSON text */
  payload: string | null;
  replyTo: string | null;
  clientMsgId: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  edited: boolean;
  editedAt: Date | null;
  deleted: boolean;
  deletedBy: string | null;
  deletedAt: Date | null;
}

export interface SeenEntry {
  /** the reader's `_id` */
  userId: string;
  timestamp: Date | null;
}

/** A stored message with everything its views need. */
export interface MessageRecord {
  message: Message;
  sender: Person;
  /** 1-on-1 only: the other member. */
  recipient: Person | null;
  /** Members other than the sender whose read position covers this message. */
  seenBy: SeenEntry[];
  /** Read by the recipient (1-on-1) or by every other member (group). */
  read: boolean;
}

/** What a conversation list shows of the last message. */
export interface LastMessage {
  id: string;
  seq: number;
  senderId: string;
  sender: Person | null;
  text: string;
  type: string;
  deleted: boolean;
  edited: boolean;
  createdAt: Date;
}

/**
 * One conversation in a member's inbox (kept by the member's UserHub, sent
 * by the conversation's room): its last message and the member's unread
 * count. `rev` orders the room's updates.
 */
export interface InboxEntry {
  conversationId: string;
  rev: number;
  lastSeq: number;
  last: LastMessage | null;
  unread: number;
}

/** A page of history. */
export interface MessagePage {
  records: MessageRecord[];
  /** every message in the conversation (seq is gap-free, so this is the last seq) */
  total: number;
  /** older messages exist beyond this page */
  hasOlder: boolean;
}

/** A catch-up point: after a sequence number, or after a moment (parsed at the edge, src/lib/requests.ts). */
export type { Since } from "../lib/requests";

export interface CatchUp {
  records: MessageRecord[];
  /** the conversation's newest sequence number when this was read */
  lastSeq: number;
  /** more messages exist after the last one returned: ask again with its seq */
  hasMore: boolean;
}

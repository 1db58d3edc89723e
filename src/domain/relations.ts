/**
 * Who is related to whom. Presence and status go to friends, to users who
 * have the person as a contact, and to conversation partners; never to
 * someone the person has blocked.
 *
 * Conversation partners are the people one has actually exchanged messages
 * with: the other members of a conversation in which a message was sent
 * (`conversations.first_message_at` set). Being put in a group, or a 1-on-1
 * opened without a word, relates nobody.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { contacts, conversationMembers, conversationMetadata, conversations, friendships } from "../db/schema";
import { chunks } from "../lib/chunks";
import type { Db } from "../db/client";

/** `userId`'s conversation partners: the other members of the conversations in which a message was sent (a SELECT of `id`). */
const partnersOf = (userId: string) => sql`
    SELECT m2.user_id AS id FROM ${conversationMembers} m1
      JOIN ${conversations} c ON c.id = m1.conversation_id AND c.first_message_at IS NOT NULL
      JOIN ${conversationMembers} m2 ON m2.conversation_id = m1.conversation_id
      WHERE m1.user_id = ${userId} AND m2.user_id != ${userId}`;

/**
 * Friends, contacts and conversation partners of `userId`, less the blocked,
 * read from one side: `contact` and `block` name the column of the other
 * person and the column of `userId` in a contact row and in a block.
 */
async function related(db: Db, userId: string, contact: Side, block: Side): Promise<string[]> {
  const rows = await db.all<{ id: string }>(sql`
    SELECT friend_id AS id FROM ${friendships} WHERE user_id = ${userId}
    UNION
    SELECT ${contact.other} AS id FROM ${contacts} WHERE ${contact.user} = ${userId}
    UNION
    ${partnersOf(userId)}
    EXCEPT
    SELECT ${block.other} AS id FROM ${conversationMetadata} WHERE ${block.user} = ${userId} AND is_blocked = 1
  `);
  return rows.map((r) => r.id);
}
type Side = { other: SQLiteColumn; user: SQLiteColumn };

/** Users who should hear about `userId`'s presence/status (excluding those `userId` blocked). */
export function watchersOf(db: Db, userId: string): Promise<string[]> {
  return related(db, userId, { other: contacts.ownerId, user: contacts.contactId }, { other: conversationMetadata.otherUserId, user: conversationMetadata.userId });
}

/** Users whose presence `userId` may see: the same relation seen from the other side (less those who blocked `userId`). */
export function watchedBy(db: Db, userId: string): Promise<string[]> {
  return related(db, userId, { other: contacts.contactId, user: contacts.ownerId }, { other: conversationMetadata.userId, user: conversationMetadata.otherUserId });
}

/** True when `blockerId` has blocked `otherId`. */
export async function hasBlocked(db: Db, blockerId: string, otherId: string): Promise<boolean> {
  const row = await db
    .select({ b: conversationMetadata.isBlocked })
    .from(conversationMetadata)
    .where(and(eq(conversationMetadata.userId, blockerId), eq(conversationMetadata.otherUserId, otherId)))
    .get();
  return row?.b === true;
}

/** Of `candidates`, those who have blocked `userId`. */
export async function blockersAmong(db: Db, userId: string, candidates: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const part of chunks(candidates)) {
    const rows = await db
      .select({ id: conversationMetadata.userId })
      .from(conversationMetadata)
      .where(
        and(
          eq(conversationMetadata.otherUserId, userId),
          eq(conversationMetadata.isBlocked, true),
          inArray(conversationMetadata.userId, part),
        ),
      )
      .all();
    for (const r of rows) found.add(r.id);
  }
  return found;
}

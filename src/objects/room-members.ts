/**
 * What a conversation's room caches from D1: the conversation, its current
 * members with the profile fields messages show, and the blocks between
 * them. Loaded in one D1 batch when the room first needs it and again when a
 * write that changes it calls the room's `invalidate`.
 */
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { createDb } from "../db/client";
import { type Conversation, conversationMembers, conversationMetadata, conversations, users } from "../db/schema";
import { type Person, person } from "../domain/message-model";
import type { Outbound } from "../domain/outbound";
import type { MembershipChange } from "../domain/read-models";
import { membershipEvents } from "../views/events";
import type { MessageLog } from "./message-log";

export interface Members {
  conversation: Conversation;
  /** current members, earliest joined first */
  people: Map<string, Person>;
  /** "blocker:blocked" pairs among the members */
  blocks: Set<string>;
  /** when each member joined (ms), earliest first */
  joined: { id: string; joinedAt: number }[];
}

/** The conversation's members from D1; null when the conversation does not exist. */
export async function loadMembers(d1: D1Database, conversationId: string): Promise<Members | null> {
  const db = createDb(d1);
  const memberIds = db.select({ id: conversationMembers.userId }).from(conversationMembers).where(eq(conversationMembers.conversationId, conversationId));
  const [convRows, memberRows, userRows, blockRows] = await db.batch([
    db.select().from(conversations).where(eq(conversations.id, conversationId)),
    db
      .select({ userId: conversationMembers.userId, joinedAt: conversationMembers.joinedAt })
      .from(conversationMembers)
      .where(eq(conversationMembers.conversationId, conversationId))
      .orderBy(asc(conversationMembers.joinedAt), asc(sql`${conversationMembers}.rowid`)),
    db.select().from(users).where(inArray(users.id, memberIds)),
    db
      .select({ blocker: conversationMetadata.userId, blocked: conversationMetadata.otherUserId })
      .from(conversationMetadata)
      .where(and(eq(conversationMetadata.isBlocked, true), inArray(conversationMetadata.userId, memberIds), inArray(conversationMetadata.otherUserId, memberIds))),
  ] as const);
  const conversation = convRows[0];
  if (!conversation) return null;
  const byId = new Map(userRows.map((u) => [u.id, person(u)]));
  const people = new Map<string, Person>();
  const joined: Members["joined"] = [];
  for (const m of memberRows) {
    const p = byId.get(m.userId);
    if (!p) continue;
    people.set(m.userId, p);
    joined.push({ id: m.userId, joinedAt: m.joinedAt.getTime() });
  }
  return { conversation, people, blocks: new Set(blockRows.map((b) => `${b.blocker}:${b.blocked}`)), joined };
}

/** The other member of a 1-on-1 (from the pair key when that member left); null for groups. */
export function otherMember(members: Members, me: string): string | null {
  const c = members.conversation;
  if (c.type !== "1on1") return null;
  const present = [...members.people.keys()].find((id) => id !== me);
  if (present) return present;
  if (!c.pairKey) return null;
  const [a, b] = c.pairKey.split(":");
  return a === me ? b : a;
}

/** `userId` may not write to (or type in) a 1-on-1 whose other member blocked them. */
export const blockedIn = (members: Members, userId: string): boolean => {
  const other = otherMember(members, userId);
  return other !== null && members.blocks.has(`${other}:${userId}`);
};

/**
 * Members added, removed or leaving, or a rename: the events, and who gets
 * them (every member, and those who were removed or left).
 */
export function announcement(log: MessageLog, members: Members, change: MembershipChange, conversationId: string): { out: Outbound; to: Set<string> } {
  const gone = change.kind === "removed" ? change.userIds : change.kind === "left" ? [change.actorId] : [];
  const involved = [change.actorId, ...(change.kind === "added" || change.kind === "removed" ? change.userIds : [])];
  const people = new Map([...log.people(involved), ...members.people]);
  return { out: membershipEvents(change, conversationId, people), to: new Set([...members.people.keys(), ...gone]) };
}

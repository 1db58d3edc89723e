/**
 * Who may see whose current status (CONTRACT.md "Privacy"):
 *
 * - the owner always sees their own status;
 * - nobody the owner has blocked (conversation_metadata.is_blocked) sees it;
 * - otherwise the owner's `statusVisibility` decides:
 *   `everyone` (default): every signed-in user,
 *   `contacts`: people the owner has as a contact or as a friend,
 *   `nobody`: only the owner.
 *
 * The rule is written ONCE, as an SQL expression over a `users` row, so
 * single lookups, lists (joins) and the socket handlers apply exactly the
 * same rule. `visibleWatchers` applies it from the owner's side for pushes.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import { contacts, conversationMetadata, friendships, type User, users } from "../db/schema";
import { forbidden, notFound } from "../lib/errors";
import type { Db } from "../db/client";

export type StatusVisibility = "everyone" | "contacts" | "nobody";
export const VISIBILITIES = ["everyone", "contacts", "nobody"] as const;

/** 1 when `viewerId` may see what the `users` row in scope guards with the visibility column `column`, else 0. */
function canSeeSql(viewerId: string, column: SQL): SQL<number> {
  // Columns are written qualified by hand: drizzle leaves them unqualified in
  // single-table selects, where the subqueries' own `id`/`user_id` would capture them.
  return sql<number>`(CASE
    WHEN "users"."id" = ${viewerId} THEN 1
    WHEN EXISTS (SELECT 1 FROM conversation_metadata vb
                 WHERE vb.user_id = "users"."id" AND vb.other_user_id = ${viewerId} AND vb.is_blocked = 1) THEN 0
    WHEN ${column} = 'everyone' THEN 1
    WHEN ${column} = 'contacts' AND (
      EXISTS (SELECT 1 FROM contacts vc WHERE vc.owner_id = "users"."id" AND vc.contact_id = ${viewerId})
      OR EXISTS (SELECT 1 FROM friendships vf WHERE vf.user_id = "users"."id" AND vf.friend_id = ${viewerId})
    ) THEN 1
    ELSE 0 END)`;
}

/** 1 when `viewerId` may see the status of the `users` row in scope, else 0. */
export function canSeeStatusSql(viewerId: string): SQL<number> {
  return canSeeSql(viewerId, sql`"users"."status_visibility"`);
}

/**
 * 1 when `viewerId` may see the phone number of the `users` row in scope
 * (its `phoneVisibility`, default `contacts`), else 0. The same rule as
 * status; the views (src/views/user.ts `userIdentity`) show the number
 * only where this (or the caller having supplied that very number) allows.
 */
export function canSeePhoneSql(viewerId: string): SQL<number> {
  return canSeeSql(viewerId, sql`"users"."phone_visibility"`);
}

/**
 * 1 when the owner of the `users` row in scope has blocked `viewerId`: even
 * a number the viewer supplied is not confirmed to them.
 */
export function blockedViewerSql(viewerId: string): SQL<number> {
  return sql<number>`(EXISTS (SELECT 1 FROM conversation_metadata vb
    WHERE vb.user_id = "users"."id" AND vb.other_user_id = ${viewerId} AND vb.is_blocked = 1))`;
}

/**
 * The user matched by `where` (one query, visibility included): 404 when
 * nobody matches, 403 `Access denied` when `viewerId` may not see their status.
 */
export async function requireVisibleStatusOwner(db: Db, viewerId: string, where: SQL): Promise<User> {
  const row = await db.select({ user: users, visible: canSeeStatusSql(viewerId) }).from(users).where(where).get();
  if (!row) throw notFound("User not found");
  if (Number(row.visible) !== 1) throw forbidden("Access denied");
  return row.user;
}

/** Of `viewerIds`, those who may see `owner`'s status (same rule, evaluated from the owner's side). */
export async function visibleWatchers(
  db: Db,
  owner: Pick<User, "id" | "statusVisibility">,
  viewerIds: string[],
): Promise<string[]> {
  const candidates = viewerIds.filter((v) => v !== owner.id);
  const mode = owner.statusVisibility;
  if (!candidates.length || (mode !== "everyone" && mode !== "contacts")) return [];
  const [blockedRows, contactRows, friendRows] = await db.batch([
    db
      .select({ id: conversationMetadata.otherUserId })
      .from(conversationMetadata)
      .where(and(eq(conversationMetadata.userId, owner.id), eq(conversationMetadata.isBlocked, true))),
    db.select({ id: contacts.contactId }).from(contacts).where(eq(contacts.ownerId, owner.id)),
    db.select({ id: friendships.friendId }).from(friendships).where(eq(friendships.userId, owner.id)),
  ]);
  const blocked = new Set(blockedRows.map((r) => r.id));
  let allowed = candidates.filter((v) => !blocked.has(v));
  if (mode === "contacts") {
    const circle = new Set([...contactRows, ...friendRows].map((r) => r.id));
    allowed = allowed.filter((v) => circle.has(v));
  }
  return allowed;
}

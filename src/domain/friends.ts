/**
 * Friends (001): mutual, and only after acceptance. A request is
 * pending -> accepted | declined (by the recipient) | cancelled (by the
 * sender); an accepted request writes the friendship once per direction. A
 * request to someone who already asked you accepts theirs.
 */
import { and, asc, eq, or, sql } from "drizzle-orm";
import { conversationMetadata, friendRequests, friendships, type User, users } from "../db/schema";
import { uniqueViolation } from "../lib/db-errors";
import { badRequest, conflict, forbidden, notFound } from "../lib/errors";
import { capGuard, capReached, LIMITS, userRow, withCap } from "../lib/limits";
import type { Db } from "../db/client";
import { objectId } from "../lib/ids";
import { findUserByEmail, findUserByPhone, findUserByRef, phoneOrThrow } from "./users";

export type FriendRequest = typeof friendRequests.$inferSelect;

export interface FriendEntry {
  user: User;
  since: Date;
  /** the friend blocked the caller: their presence is not shown */
  hidePresence: boolean;
}

/** Accepted friends, by name; presence hidden where the friend blocked the caller. One query, however many friends. */
export async function listFriends(db: Db, userId: string): Promise<FriendEntry[]> {
  const rows = await db
    .select({
      user: users,
      since: friendships.createdAt,
      blockedMe: sql<number>`EXISTS (SELECT 1 FROM ${conversationMetadata} b
        WHERE b.user_id = ${friendships.friendId} AND b.other_user_id = ${userId} AND b.is_blocked = 1)`,
    })
    .from(friendships)
    .innerJoin(users, eq(users.id, friendships.friendId))
    .where(eq(friendships.userId, userId))
    .orderBy(asc(users.name))
    .all();
  return rows.map((r) => ({ user: r.user, since: r.since, hidePresence: Number(r.blockedMe) === 1 }));
}

export interface RequestTarget {
  userId?: string;
  phoneNumber?: string;
  email?: string;
}

async function resolveTarget(db: Db, target: RequestTarget, phoneRegion: string): Promise<User> {
  let user: User | undefined;
  if (target.userId) user = await findUserByRef(db, target.userId);
  else if (target.phoneNumber) user = await findUserByPhone(db, phoneOrThrow(target.phoneNumber, phoneRegion));
  else if (target.email) user = await findUserByEmail(db, target.email);
  else throw badRequest("userId: is required (or phoneNumber, or email)");
  if (!user) throw notFound("User not found");
  return user;
}

export interface RequestWithUsers {
  request: FriendRequest;
  from: User;
  to: User;
}

async function withUsers(db: Db, request: FriendRequest): Promise<RequestWithUsers> {
  const people = await db
    .select()
    .from(users)
    .where(or(eq(users.id, request.fromId), eq(users.id, request.toId)))
    .all();
  const byId = new Map(people.map((u) => [u.id, u]));
  return { request, from: byId.get(request.fromId)!, to: byId.get(request.toId)! };
}

/**
 * Sends a request, or accepts the target's pending request to the caller.
 * `accepted` tells which happened. The checks (blocked, already friends,
 * their pending request) are one D1 batch.
 */
export async function sendFriendRequest(
  db: Db,
  from: User,
  target: RequestTarget,
  phoneRegion: string,
): Promise<RequestWithUsers & { accepted: boolean }> {
  const to = await resolveTarget(db, target, phoneRegion);
  if (to.id === from.id) throw badRequest("userId: you cannot send a friend request to yourself");
  const [blocked, friends, theirs] = await db.batch([
    db
      .select({ one: sql<number>`1` })
      .from(conversationMetadata)
      .where(and(eq(conversationMetadata.userId, to.id), eq(conversationMetadata.otherUserId, from.id), eq(conversationMetadata.isBlocked, true))),
    db
      .select({ one: sql<number>`1` })
      .from(friendships)
      .where(and(eq(friendships.userId, from.id), eq(friendships.friendId, to.id))),
    db
      .select({ id: friendRequests.id })
      .from(friendRequests)
      .where(and(eq(friendRequests.fromId, to.id), eq(friendRequests.toId, from.id), eq(friendRequests.status, "pending"))),
  ] as const);
  if (blocked.length) throw forbidden("Access denied");
  if (friends.length) throw conflict("Already friends");
  if (theirs.length) return { ...(await respond(db, theirs[0].id, from.id, "accepted")), accepted: true };
  const now = new Date();
  try {
    const [[request]] = await withCap(
      () =>
        db.batch([
          db
            .insert(friendRequests)
            .values({ id: objectId(now.getTime()), fromId: from.id, toId: to.id, status: "pending", createdAt: now, updatedAt: now })
            .returning(),
          capGuard(
            db,
            sql`SELECT count(*) FROM ${friendRequests} WHERE ${friendRequests.fromId} = ${from.id} AND ${friendRequests.status} = 'pending'`,
            LIMITS.pendingFriendRequests,
            userRow(from.id),
          ),
        ] as const),
      () => capReached("userId", "pending friend requests per user", LIMITS.pendingFriendRequests, "cancel some first"),
    );
    return { request, from, to, accepted: false };
  } catch (err) {
    if (uniqueViolation(err)) throw conflict("Friend request already sent");
    throw err;
  }
}

/** Pending requests to and from the caller, newest first. */
export async function listRequests(db: Db, userId: string): Promise<{ incoming: RequestWithUsers[]; outgoing: RequestWithUsers[] }> {
  const pending = await db
    .select()
    .from(friendRequests)
    .where(and(or(eq(friendRequests.toId, userId), eq(friendRequests.fromId, userId)), eq(friendRequests.status, "pending")))
    .orderBy(sql`${friendRequests.createdAt} desc`)
    .all();
  const people = pending.length
    ? await db
        .select()
        .from(users)
        .where(
          or(
            sql`${users.id} in (select ${friendRequests.fromId} from ${friendRequests} where ${friendRequests.toId} = ${userId} and ${friendRequests.status} = 'pending')`,
            sql`${users.id} in (select ${friendRequests.toId} from ${friendRequests} where ${friendRequests.fromId} = ${userId} and ${friendRequests.status} = 'pending')`,
            eq(users.id, userId),
          ),
        )
        .all()
    : [];
  const byId = new Map(people.map((u) => [u.id, u]));
  const view = (request: FriendRequest) => ({ request, from: byId.get(request.fromId)!, to: byId.get(request.toId)! });
  return {
    incoming: pending.filter((r) => r.toId === userId).map(view),
    outgoing: pending.filter((r) => r.fromId === userId).map(view),
  };
}

/** A request the caller is part of; 404 for anyone else. */
async function involvedRequest(db: Db, requestId: string, userId: string): Promise<FriendRequest> {
  const request = await db.select().from(friendRequests).where(eq(friendRequests.id, requestId)).get();
  if (!request || (request.fromId !== userId && request.toId !== userId)) throw notFound("Friend request not found");
  return request;
}

/**
 * The recipient accepts or declines; the sender cancels. Only a pending
 * request changes; accepting writes both friendship rows in the same
 * transaction, guarded by the request's new status.
 */
export async function respond(
  db: Db,
  requestId: string,
  userId: string,
  outcome: "accepted" | "declined" | "cancelled",
): Promise<RequestWithUsers> {
  const request = await involvedRequest(db, requestId, userId);
  if (outcome === "cancelled" ? request.fromId !== userId : request.toId !== userId) {
    throw forbidden(outcome === "cancelled" ? "Only the sender can cancel this request" : "Only the recipient can respond to this request");
  }
  if (request.status !== "pending") throw conflict(`Friend request is already ${request.status}`);
  const now = new Date();
  const update = db
    .update(friendRequests)
    .set({ status: outcome, updatedAt: now })
    .where(and(eq(friendRequests.id, requestId), eq(friendRequests.status, "pending")));
  if (outcome === "accepted") {
    // the friendship rows are written only if this transaction's update made the request accepted
    const friendship = (userId: typeof friendRequests.fromId | typeof friendRequests.toId, friendId: typeof friendRequests.fromId | typeof friendRequests.toId) =>
      db
        .insert(friendships)
        .select(
          db
            .select({ userId, friendId, createdAt: friendRequests.updatedAt })
            .from(friendRequests)
            .where(and(eq(friendRequests.id, requestId), eq(friendRequests.status, "accepted"))),
        )
        .onConflictDoNothing();
    // both friend lists stay within their cap, checked in the same transaction
    const friendCap = (id: string) => capGuard(db, sql`SELECT count(*) FROM ${friendships} WHERE ${friendships.userId} = ${id}`, LIMITS.friends, userRow(id));
    await withCap(
      () =>
        db.batch([
          update,
          friendship(friendRequests.fromId, friendRequests.toId),
          friendship(friendRequests.toId, friendRequests.fromId),
          friendCap(request.fromId),
          friendCap(request.toId),
        ] as const),
      () => capReached("friends", "friends per user", LIMITS.friends, "one of you has to remove friends first"),
    );
  } else {
    await update;
  }
  const after = await db.select().from(friendRequests).where(eq(friendRequests.id, requestId)).get();
  if (!after || after.status !== outcome) throw conflict(`Friend request is already ${after?.status ?? "gone"}`);
  return withUsers(db, after);
}

/** Ends a friendship (both directions); 404 when the two are not friends. */
export async function unfriend(db: Db, userId: string, otherRef: string): Promise<User> {
  const other = await findUserByRef(db, otherRef);
  if (!other) throw notFound("User not found");
  const removed = await db
    .delete(friendships)
    .where(
      or(
        and(eq(friendships.userId, userId), eq(friendships.friendId, other.id)),
        and(eq(friendships.userId, other.id), eq(friendships.friendId, userId)),
      ),
    )
    .returning({ userId: friendships.userId })
    .all();
  if (!removed.length) throw notFound("Not friends with this user");
  return other;
}

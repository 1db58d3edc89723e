/**
 * Caps on what one user can accumulate or reach, so that no list grows
 * without bound and groups cannot be used to spam or track people
 * (documented in the README, "Caps").
 *
 * A cap is enforced inside the D1 batch that writes: `capGuard` is a
 * statement that fails (and so rolls back the whole batch, which D1 runs as
 * one transaction) when the list has grown over its cap. D1 runs one batch
 * at a time, so concurrent requests cannot slip past it together, and a
 * refused request has written nothing. The refusal is 409 naming the cap.
 */
import { eq, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { users } from "../db/schema";
import type { Db } from "../db/client";
import { errorText } from "./db-errors";
import { ApiError } from "./errors";

export const LIMITS = {
  /** members of one group, its creator included */
  groupMembers: 256,
  /** users named in one create-group / add-members / remove-members request */
  groupMembersPerRequest: 50,
  /** one user's address book */
  contacts: 5000,
  /** one user's friends */
  friends: 5000,
  /** one user's pending outgoing friend requests */
  pendingFriendRequests: 1000,
  /** one user's status schedules (manual, bulk and calendar-synced, active or not) */
  schedules: 500,
  /** one user's status templates */
  templates: 200,
} as const;

const MARK = "cap exceeded";

/**
 * A batch statement that fails the batch when `count` (a scalar subquery) is
 * over `cap`. It is evaluated on one row of `anchor` (e.g. the user whose
 * list it is), which exists whenever the list is written to.
 */
export function capGuard(db: Db, count: SQL, cap: number, anchor: { table: SQLiteTable; where: SQL | undefined }) {
  // json() of a string that is not JSON raises an error while the row is computed
  return db
    .select({ ok: sql<string>`json(CASE WHEN (${count}) > ${cap} THEN ${MARK} ELSE '0' END)` })
    .from(anchor.table)
    .where(anchor.where)
    .limit(1);
}

/** The row of user `userId` as a guard's anchor. */
export const userRow = (userId: string) => ({ table: users, where: eq(users.id, userId) });

/** True when a batch failed because of a `capGuard`. */
export const isCapError = (err: unknown) => /malformed JSON/i.test(errorText(err));

/** 409 naming the field and the cap. */
export const capReached = (field: string, what: string, cap: number, hint: string) =>
  new ApiError(409, `${field}: at most ${cap.toLocaleString("en-US")} ${what}; ${hint}`);

/** Runs a batch that carries a capGuard; its failure becomes `refusal`. */
export async function withCap<T>(run: () => Promise<T>, refusal: () => ApiError): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isCapError(err)) throw refusal();
    throw err;
  }
}

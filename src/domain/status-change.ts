/**
 * The one status-changing function, `setStatus`, and status expiry.
 *
 * Every path that changes a user's status (PUT /api/status-management,
 * applying a template, expiry, schedules) goes through `setStatus`, which in
 * ONE D1 batch (a transaction):
 *   1. if the user has no history at all, records the time since registration
 *      in the status being left (normally `available`) as a closed entry;
 *   2. closes the open history entry (endTime, duration in whole minutes);
 *   3. opens a new entry;
 *   4. updates the user row (status, customStatus, statusUntil, statusSource).
 * Because the batch is atomic and step 2 closes every open entry, a user never
 * has two open entries. An optional `guard` (SQL over the `users` row) makes
 * the whole change conditional: expiry uses it so that a second run (alarm
 * after cron, retried alarm) finds nothing to do.
 *
 * Afterwards the user's own hub (the object that owns the user's live
 * state) pushes `contact_status_update` to every watcher allowed to see the
 * status; the domain itself never reaches connections. It does not arm the
 * user's timer: a caller that changes a status by itself arms it afterwards
 * with `armStatusTimer` (./status-timer), which sits above this module (the
 * timer runs schedules, and schedules change statuses), so that there is no
 * import cycle.
 */
import { type SQL, sql, eq } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { type User, users } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../lib/errors";
import { objectId } from "../lib/ids";
import { MAX_CUSTOM_STATUS, MAX_DURATION_MINUTES, STATUS_VALUES } from "../lib/schemas";
import { userHub } from "../objects/stubs";

export type StatusName = (typeof STATUS_VALUES)[number];

export { MAX_CUSTOM_STATUS, MAX_DURATION_MINUTES };

export interface StatusChange {
  status: StatusName;
  customStatus?: string | null;
  /** Absolute expiry; mutually exclusive with `duration`. */
  statusUntil?: Date | null;
  /** Minutes from `at` (fractions allowed: 0.05 = 3 s). */
  duration?: number | null;
  /** "user" | "template" | "expiry" | "schedule:<id>:<occurrenceStartMs>" ... */
  source?: string;
  /** When the change takes effect (epoch ms); default now. */
  at?: number;
  /**
   * Apply only if this condition over the `users` row holds (evaluated inside
   * the transaction). Write columns qualified: sql`users.status_source = ${x}`.
   */
  guard?: SQL;
  /** New `statusRestore` (JSON) for the schedules; undefined leaves it untouched. */
  statusRestore?: string | null;
  /** Push `contact_status_update` to watchers (default true). */
  notify?: boolean;
}

export interface StatusResult {
  /** false when the guard did not hold (nothing was written) */
  changed: boolean;
  user: User;
}

/** Validates a change and resolves `duration` into `statusUntil`. Throws 400 naming the field. */
export function resolveStatusChange(input: StatusChange, at: number) {
  if (!(STATUS_VALUES as readonly string[]).includes(input.status)) {
    throw new ApiError(400, `status: must be one of ${STATUS_VALUES.join(", ")}`);
  }
  const customStatus = (input.customStatus ?? "").trim();
  if (input.status === "custom" && !customStatus) {
    throw new ApiError(400, "customStatus: is required when status is 'custom'");
  }
  if (customStatus.length > MAX_CUSTOM_STATUS) {
    throw new ApiError(400, `customStatus: must be at most ${MAX_CUSTOM_STATUS} characters`);
  }
  const hasDuration = input.duration !== undefined && input.duration !== null;
  const hasUntil = input.statusUntil !== undefined && input.statusUntil !== null;
  if (hasDuration && hasUntil) throw new ApiError(400, "duration: give either duration or statusUntil, not both");
  let statusUntil: number | null = null;
  if (hasDuration) {
    const d = input.duration as number;
    if (!Number.isFinite(d) || d <= 0) throw new ApiError(400, "duration: must be a positive number of minutes");
    if (d > MAX_DURATION_MINUTES) throw new ApiError(400, `duration: must be at most ${MAX_DURATION_MINUTES} minutes (one year)`);
    statusUntil = Math.round(at + d * 60_000);
  } else if (hasUntil) {
    statusUntil = (input.statusUntil as Date).getTime();
    if (!Number.isFinite(statusUntil)) throw new ApiError(400, "statusUntil: must be an ISO 8601 date");
    if (statusUntil <= at) throw new ApiError(400, "statusUntil: must be in the future");
    if (statusUntil - at > MAX_DURATION_MINUTES * 60_000) throw new ApiError(400, "statusUntil: must be within one year");
  }
  return { status: input.status, customStatus, statusUntil };
}

const dialect = new SQLiteAsyncDialect();

/**
 * Runs raw statements (built with drizzle's `sql`) as ONE D1 batch, i.e. one
 * transaction. (drizzle's own `db.batch` cannot carry parameterised `db.run`
 * statements.)
 */
async function runAtomically(env: Env, statements: SQL[]): Promise<D1Result[]> {
  return env.DB.batch(
    statements.map((s) => {
      const q = dialect.sqlToQuery(s);
      return env.DB.prepare(q.sql).bind(...q.params);
    }),
  );
}

const minutesBetween = (fromCol: SQL, at: number) => sql`MAX(0, CAST(ROUND((${at} - ${fromCol}) / 60000.0) AS INTEGER))`;

/** Changes `userId`'s status (see the module comment). */
export async function setStatus(env: Env, db: Db, userId: string, input: StatusChange): Promise<StatusResult> {
  const at = input.at ?? Date.now();
  const next = resolveStatusChange(input, at);
  const source = input.source ?? "user";
  const guard = input.guard ?? sql`1`;
  const userOk = sql`EXISTS (SELECT 1 FROM users WHERE users.id = ${userId} AND (${guard}))`;

  const restoreSet = input.statusRestore === undefined ? sql`` : sql`, status_restore = ${input.statusRestore}`;
  const results = await runAtomically(env, [
    // 1. first change ever: the time since registration, in the status being left
    sql`
      INSERT INTO status_history (id, user_id, status, custom_status, start_time, end_time, duration, created_at)
      SELECT ${objectId(at)}, users.id, users.status, users.custom_status, users.created_at, ${at},
             ${minutesBetween(sql`users.created_at`, at)}, ${at}
      FROM users
      WHERE users.id = ${userId} AND users.created_at <= ${at} AND (${guard})
        AND NOT EXISTS (SELECT 1 FROM status_history h WHERE h.user_id = ${userId})`,
    // 2. close the open entry (every open entry: there is at most one)
    sql`
      UPDATE status_history
      SET end_time = MAX(${at}, start_time), duration = ${minutesBetween(sql`start_time`, at)}
      WHERE user_id = ${userId} AND end_time IS NULL AND ${userOk}`,
    // 3. open the new entry
    sql`
      INSERT INTO status_history (id, user_id, status, custom_status, start_time, end_time, duration, created_at)
      SELECT ${objectId(at)}, ${userId}, ${next.status}, ${next.customStatus}, ${at}, NULL, NULL, ${at}
      WHERE ${userOk}`,
    // 4. the user row (last: the guard usually reads the fields it changes)
    sql`
      UPDATE users
      SET status = ${next.status}, custom_status = ${next.customStatus}, status_until = ${next.statusUntil},
          status_source = ${source}, updated_at = ${Date.now()}${restoreSet}
      WHERE users.id = ${userId} AND (${guard})`,
  ]);
  const changed = (results[3]?.meta?.changes ?? 0) > 0;
  const user = await db.select().from(users).where(eq(users.id, userId)).get();
  if (!user) throw new ApiError(404, "User not found");
  if (!changed) return { changed, user };

  // the change is committed: a hub that cannot be reached is logged, not reported as a failed change
  if (input.notify !== false) {
    await userHub(env, userId)
      .announceStatus(user, at)
      .catch((err) => console.error("announcing a status change failed", userId, err));
  }
  return { changed, user };
}

/**
 * Reverts `userId`'s status to `available` if its `statusUntil` has passed.
 * Idempotent: the change is guarded on the exact `statusUntil` that expired,
 * so a second run (or a run after the user set a new status) does nothing.
 * The history entry is closed at the expiry moment itself, not when we noticed.
 */
export async function expireStatusIfDue(
  env: Env,
  db: Db,
  userId: string,
  now: number,
): Promise<boolean> {
  const row = await db.select({ statusUntil: users.statusUntil }).from(users).where(eq(users.id, userId)).get();
  const until = row?.statusUntil?.getTime();
  if (until === undefined || until > now) return false;
  const result = await setStatus(env, db, userId, {
    status: "available",
    customStatus: "",
    statusUntil: null,
    source: "expiry",
    at: until,
    guard: sql`users.status_until = ${until}`,
  });
  return result.changed;
}

/**
 * Cron safety net (every minute): catches status expiries and schedule
 * events that a Durable Object alarm missed. Its cost follows the work that
 * is due, not the number of users.
 *
 * - Users whose status timer is due (`users.next_wake_at` has passed,
 *   indexed; the timer writes it each time it is armed) get what their alarm
 *   would have done: `runStatusTimer` (due schedule events, then expiry; both
 *   idempotent), then their timer is armed again, which restores a lost alarm
 *   and moves `next_wake_at` on. At most MAX_DUE_USERS per run, the longest
 *   overdue first; the next minute continues.
 * - Statuses whose `status_until` has passed (indexed) are reverted through
 *   `expireStatusIfDue`, which is guarded on the exact expiry: running twice,
 *   or racing the user's alarm, reverts once and writes one history entry.
 *   Each revert also re-arms the user's timer.
 */
import { and, asc, eq, gt, isNotNull, lte, or } from "drizzle-orm";
import { createDb } from "../db/client";
import { users } from "../db/schema";
import { expireStatusIfDue } from "../domain/status-change";
import { armStatusTimer, runStatusTimer } from "../domain/status-timer";
import type { Env } from "../env";
import { loggableError } from "../lib/errors";

/** Upper bound of users read per query (the next page or the next minute continues). */
const BATCH = 500;
/** Due users visited per run. */
const MAX_DUE_USERS = 5000;

export interface CronReport {
  /** the users whose status timer was due, in the order visited */
  visited: string[];
  expired: number;
}

export async function runCron(env: Env, scheduledTime: number): Promise<CronReport> {
  const db = createDb(env.DB);
  const now = Math.max(Date.now(), scheduledTime);
  const report: CronReport = { visited: [], expired: 0 };

  // Due timers, in (next_wake_at, id) order. Keyset pages: a user re-armed
  // for a later time (or for now, after a failure) is not read twice in a run.
  let after: { at: Date; id: string } | null = null;
  while (report.visited.length < MAX_DUE_USERS) {
    const due = lte(users.nextWakeAt, new Date(now));
    const page: { id: string; at: Date | null }[] = await db
      .select({ id: users.id, at: users.nextWakeAt })
      .from(users)
      .where(after ? and(due, or(gt(users.nextWakeAt, after.at), and(eq(users.nextWakeAt, after.at), gt(users.id, after.id)))) : due)
      .orderBy(asc(users.nextWakeAt), asc(users.id))
      .limit(Math.min(BATCH, MAX_DUE_USERS - report.visited.length))
      .all();
    for (const { id } of page) {
      report.visited.push(id);
      try {
        await runStatusTimer(env, db, id, now);
      } catch (err) {
        console.error("cron: status timer failed", id, loggableError(err));
      }
      await armStatusTimer(env, id);
    }
    const last = page.at(-1);
    if (!last?.at || page.length < BATCH) break;
    after = { at: last.at, id: last.id };
  }

  const expired = await db
    .select({ id: users.id })
    .from(users)
    .where(and(isNotNull(users.statusUntil), lte(users.statusUntil, new Date(now))))
    .orderBy(users.statusUntil)
    .limit(BATCH)
    .all();
  for (const { id } of expired) {
    try {
      if (await expireStatusIfDue(env, db, id, now)) {
        report.expired++;
        await armStatusTimer(env, id);
      }
    } catch (err) {
      console.error("cron: status expiry failed", id, loggableError(err));
    }
  }

  return report;
}

/**
 * Cron safety net (every minute): catches status expiries and schedule
 * events that a Durable Object alarm missed.
 *
 * - Statuses whose `status_until` has passed (indexed) are reverted through
 *   `expireStatusIfDue`, which is guarded on the exact expiry: running twice,
 *   or racing the user's alarm, reverts once and writes one history entry.
 * - Users with active schedules get `applyDueScheduleEvents` (idempotent, owned
 *   by the schedule runner).
 * Each revert also re-arms the user's timer, so a lost alarm is restored.
 */
import { and, eq, isNotNull, lte, sql } from "drizzle-orm";
import { createDb } from "../db/client";
import { statusSchedules, users } from "../db/schema";
import { applyDueScheduleEvents } from "../domain/schedule-runner";
import { expireStatusIfDue } from "../domain/status";
import type { Env } from "../env";
import { loggableError } from "../lib/errors";

/** Upper bound of users handled per run for each kind of work (the next minute continues). */
const BATCH = 500;
/** Users with active schedules visited per run. */
const MAX_SCHEDULE_USERS = 5000;

export interface CronReport {
  expired: number;
  scheduleEvents: number;
}

export async function runCron(env: Env, scheduledTime: number): Promise<CronReport> {
  const db = createDb(env.DB);
  const now = Math.max(Date.now(), scheduledTime);
  const report: CronReport = { expired: 0, scheduleEvents: 0 };

  // Schedule events before expiries (see runStatusTimer).
  // Users are visited in pages; a run that meets more than MAX_SCHEDULE_USERS
  // starts the next minute's run where this one stopped (rotating window).
  const totalRow = await db
    .select({ n: sql<number>`count(DISTINCT ${statusSchedules.userId})` })
    .from(statusSchedules)
    .where(eq(statusSchedules.active, true))
    .get();
  const total = totalRow?.n ?? 0;
  const start = total > MAX_SCHEDULE_USERS ? (Math.floor(now / 60_000) * MAX_SCHEDULE_USERS) % total : 0;
  for (let visited = 0; visited < Math.min(total, MAX_SCHEDULE_USERS); visited += BATCH) {
    const scheduled = await db
      .selectDistinct({ id: statusSchedules.userId })
      .from(statusSchedules)
      .where(eq(statusSchedules.active, true))
      .orderBy(statusSchedules.userId)
      .limit(BATCH)
      .offset((start + visited) % Math.max(total, 1))
      .all();
    for (const { id } of scheduled) {
      try {
        report.scheduleEvents += await applyDueScheduleEvents(env, id, now);
      } catch (err) {
        console.error("cron: schedule events failed", id, loggableError(err));
      }
    }
  }
  const due = await db
    .select({ id: users.id })
    .from(users)
    .where(and(isNotNull(users.statusUntil), lte(users.statusUntil, new Date(now))))
    .orderBy(users.statusUntil)
    .limit(BATCH)
    .all();
  for (const { id } of due) {
    try {
      if (await expireStatusIfDue(env, db, id, now)) report.expired++;
    } catch (err) {
      console.error("cron: status expiry failed", id, loggableError(err));
    }
  }

  return report;
}

/**
 * The user's status timer, in one place: `armStatusTimer` asks the user's
 * UserHub to (re)set its one alarm, `nextStatusWakeAt` is the time it is set
 * for (the next status expiry or schedule start/end; also recorded in
 * `users.next_wake_at` for the cron), `runStatusTimer` is what the alarm (and
 * the cron, for a user whose alarm was lost) does when that time comes.
 *
 * Layering (no import cycle): status-change (setStatus, expiry) <-
 * schedule-runner (applies schedule starts/ends) <- status-timer <- the
 * callers that change a status or a schedule and then arm the timer.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import type { Env } from "../env";
import { loggableError } from "../lib/errors";
import { userHub } from "../objects/stubs";
import { applyDueScheduleEvents, nextScheduleEventAt } from "./schedule-runner";
import { expireStatusIfDue } from "./status-change";

/**
 * Asks the user's UserHub to (re)set its one alarm (the hub records the wake
 * time in `users.next_wake_at`, see `nextStatusWakeAt`). When that fails the
 * wake time is set to now, so the next cron run visits the user and re-arms.
 */
export async function armStatusTimer(env: Env, userId: string): Promise<void> {
  try {
    await userHub(env, userId).armStatusTimer();
  } catch (err) {
    console.error("armStatusTimer failed", userId, loggableError(err));
    await env.DB.prepare("UPDATE users SET next_wake_at = ? WHERE id = ?")
      .bind(Date.now(), userId)
      .run()
      .catch((e) => console.error("armStatusTimer: next_wake_at not written", userId, loggableError(e)));
  }
}

/**
 * Epoch ms of the user's next timed event (status expiry or schedule
 * start/end), or null. The UserHub asks this each time it arms the timer;
 * the answer is also recorded in `users.next_wake_at` (written only when it
 * changed), which is what the cron reads to visit only the users that are due.
 */
export async function nextStatusWakeAt(env: Env, db: Db, userId: string, now: number): Promise<number | null> {
  const row = await db.select({ statusUntil: users.statusUntil, nextWakeAt: users.nextWakeAt }).from(users).where(eq(users.id, userId)).get();
  if (!row) return null;
  const candidates: number[] = [];
  if (row.statusUntil) candidates.push(row.statusUntil.getTime());
  const scheduled = await nextScheduleEventAt(env, userId, now);
  if (scheduled !== null && Number.isFinite(scheduled)) candidates.push(scheduled);
  const next = candidates.length ? Math.min(...candidates) : null;
  if ((row.nextWakeAt?.getTime() ?? null) !== next) {
    await db.update(users).set({ nextWakeAt: next === null ? null : new Date(next) }).where(eq(users.id, userId));
  }
  return next;
}

/** What the user's alarm does: revert an expired status, apply due schedule events. */
export async function runStatusTimer(env: Env, db: Db, userId: string, now: number): Promise<void> {
  // Schedule events first: an occurrence ending now restores the status it
  // interrupted, so the expiry of its statusUntil must not first write a
  // spurious `available` entry (and push it to watchers).
  await applyDueScheduleEvents(env, userId, now);
  await expireStatusIfDue(env, db, userId, now);
}

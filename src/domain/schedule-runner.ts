/**
 * Schedules acting on time. The user's UserHub keeps ONE alarm for the next
 * timed event of that user: the earlier of the status expiry (status work)
 * and `nextScheduleEventAt` (this module). When the alarm fires, or the cron
 * safety net runs, `applyDueScheduleEvents` applies every schedule start/end
 * that is due and not yet applied (idempotent).
 *
 * Placeholder until the schedules work lands: no schedule events.
 */
import type { Env } from "../env";

/** Epoch ms of the user's next schedule start or end after `now`, or null. */
export async function nextScheduleEventAt(_env: Env, _userId: string, _now: number): Promise<number | null> {
  return null;
}

/** Applies due schedule starts/ends for the user (idempotent); returns how many were applied. */
export async function applyDueScheduleEvents(_env: Env, _userId: string, _now: number): Promise<number> {
  return 0;
}

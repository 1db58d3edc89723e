/**
 * UserHub: one Durable Object per user (named by the user's `_id`).
 *
 * Owns that user's live Socket.IO sessions (many devices at once) and
 * presence, and is the one place server code calls to emit to the user
 * (src/realtime/emit.ts). Also owns the user's status timer: a single alarm
 * for the next status expiry / schedule event.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { Outbound } from "../realtime/emit";
import { createDb } from "../db/client";
import { nextStatusWakeAt, runStatusTimer } from "../domain/status";

const STATUS_TIMER_USER_KEY = "statusTimer:user";

export class UserHub extends DurableObject<Env> {
  // ---- Live sessions and presence (real-time gateway) ----

  /** Delivers events to every live session of this user; returns how many sessions got them. */
  async emit(_userId: string, _out: Outbound): Promise<number> {
    return 0;
  }

  // ---- Status timer (status expiry and schedules) ----

  /**
   * (Re)sets this user's ONE alarm to the next status expiry or schedule
   * event, or deletes it when there is none. Returns the wake-up time.
   */
  async armStatusTimer(userId: string): Promise<number | null> {
    await this.ctx.storage.put(STATUS_TIMER_USER_KEY, userId);
    const next = await nextStatusWakeAt(this.env, createDb(this.env.DB), userId, Date.now());
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
    return next;
  }

  /** Expired status -> `available`, due schedule events applied, then re-armed. */
  async alarm(): Promise<void> {
    const userId = await this.ctx.storage.get<string>(STATUS_TIMER_USER_KEY);
    if (!userId) return;
    await runStatusTimer(this.env, createDb(this.env.DB), userId, Date.now());
    await this.armStatusTimer(userId);
  }
}

/**
 * UserHub: one Durable Object per user (named by the user's `_id`).
 *
 * Owns that user's live Socket.IO sessions (many devices at once) and
 * presence, and is the one place server code calls to emit to the user
 * (src/realtime/emit.ts). Also owns the user's status timer: a single alarm
 * for the next status expiry / schedule event.
 */
import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { users } from "../db/schema";
import { watchersOf } from "../domain/relations";
import type { Env } from "../env";
import type { Dialect } from "../lib/tokens";
import { emitToUsers, eventsFor, type Outbound } from "../realtime/emit";
import { engineSessionStub } from "../realtime/gateway";
import { presenceEvents } from "../views/presence";
import { createDb } from "../db/client";
import { nextStatusWakeAt, runStatusTimer } from "../domain/status";

const STATUS_TIMER_USER_KEY = "statusTimer:user";

export class UserHub extends DurableObject<Env> {
  // ---- Live sessions and presence (real-time gateway) ----
  //
  // Live sessions are rows of this object's SQLite storage (one per Engine.IO
  // session that joined the user's namespace), so hibernation or eviction
  // loses nothing. Presence transitions (first session -> online, last one
  // gone -> offline) are decided synchronously from that table and applied
  // (D1 row + events to watchers) one after another, in order.

  #sessionsTable = false;
  #presenceTail: Promise<unknown> = Promise.resolve();

  #sql() {
    if (!this.#sessionsTable) {
      this.ctx.storage.sql.exec(
        "CREATE TABLE IF NOT EXISTS live_sessions (sid TEXT PRIMARY KEY, dialect TEXT NOT NULL, attached_at INTEGER NOT NULL)",
      );
      this.#sessionsTable = true;
    }
    return this.ctx.storage.sql;
  }

  #count(): number {
    return this.#sql().exec<{ n: number }>("SELECT count(*) AS n FROM live_sessions").one().n;
  }

  /** A session joined the user's namespace. The first one makes the user online. */
  async attach(userId: string, sid: string, dialect: Dialect): Promise<{ first: boolean; sessions: number }> {
    const sql = this.#sql();
    const before = this.#count();
    sql.exec("INSERT OR REPLACE INTO live_sessions (sid, dialect, attached_at) VALUES (?, ?, ?)", sid, dialect, Date.now());
    const sessions = this.#count();
    const first = before === 0 && sessions === 1;
    if (first) await this.#presence(userId, true);
    return { first, sessions };
  }

  /** A session left (disconnect, close, timeout, found dead). The last one makes the user offline. */
  async detach(userId: string, sid: string): Promise<{ last: boolean; sessions: number }> {
    const removed = this.#sql().exec("DELETE FROM live_sessions WHERE sid = ?", sid).rowsWritten > 0;
    const sessions = this.#count();
    const last = removed && sessions === 0;
    if (last) await this.#presence(userId, false);
    return { last, sessions };
  }

  /** The user's live sessions (diagnostics and tests). */
  async sessions(): Promise<{ sid: string; dialect: Dialect; attachedAt: number }[]> {
    return this.#sql()
      .exec<{ sid: string; dialect: string; attached_at: number }>("SELECT sid, dialect, attached_at FROM live_sessions ORDER BY attached_at")
      .toArray()
      .map((r) => ({ sid: r.sid, dialect: r.dialect as Dialect, attachedAt: r.attached_at }));
  }

  /**
   * Delivers events to every live session of this user (each gets the events
   * of its dialect); returns how many sessions got them. A session whose
   * object says it is gone is detached.
   */
  async emit(userId: string, out: Outbound): Promise<number> {
    const live = await this.sessions();
    const results = await Promise.all(
      live.map(async (s) => {
        const events = eventsFor(out, s.dialect);
        if (!events.length) return { sid: s.sid, delivered: false, gone: false };
        try {
          const delivered = await engineSessionStub(this.env, s.sid).deliver("/", events);
          return { sid: s.sid, delivered, gone: !delivered };
        } catch (err) {
          // transient (overload, restart): keep the session, drop this delivery
          console.error("delivery to session failed", s.sid, err);
          return { sid: s.sid, delivered: false, gone: false };
        }
      }),
    );
    for (const r of results) if (r.gone) await this.detach(userId, r.sid);
    return results.filter((r) => r.delivered).length;
  }

  /** Applies an online/offline transition after the ones before it. */
  #presence(userId: string, online: boolean): Promise<void> {
    const run = async () => {
      const db = createDb(this.env.DB);
      const now = new Date();
      const user = await db.update(users).set({ isOnline: online, lastSeen: now }).where(eq(users.id, userId)).returning().get();
      if (!user) return;
      const watchers = await watchersOf(db, userId);
      if (watchers.length) await emitToUsers(this.env, watchers, presenceEvents(user));
    };
    const result = this.#presenceTail.then(run, run);
    this.#presenceTail = result.catch((err) => console.error("presence update failed", err));
    return result.catch(() => undefined);
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

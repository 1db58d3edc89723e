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
import { type DeliveryTag, markDelivered } from "../realtime/deliver";
import { type EmitOptions, emitToUsers, type EventArgs, type Outbound } from "../realtime/emit";
import { engineSessionStub } from "../realtime/gateway";
import { presenceEvents } from "../views/presence";
import { createDb } from "../db/client";
import { nextStatusWakeAt, runStatusTimer } from "../domain/status";

const STATUS_TIMER_USER_KEY = "statusTimer:user";

/** How long a dropped connection may come back with its state (Socket.IO's default maxDisconnectionDuration). */
export const RECOVERY_WINDOW_MS = 2 * 60_000;
/** How long logged events are kept: a window, plus the time a dead connection takes to be noticed. */
export const OUTBOX_RETAIN_MS = 5 * 60_000;
export const OUTBOX_MAX_ROWS = 2_000;

/** A session that joined the user's namespace, as the gateway needs it for its CONNECT answer. */
export interface OpenedSession {
  /** recovery session id (Socket.IO `pid`) */
  pid: string;
  /** the session is one that dropped, with everything it missed in `replay` */
  recovered: boolean;
  /** offset of the last event this connection has (what a direct emit carries) */
  offset: string;
  /** what the connection missed, oldest first; `event` is the JSON text of `[event, ...args]` */
  replay: { event: string; offset: string }[];
  first: boolean;
  sessions: number;
}

type SioRow = {
  pid: string;
  sid: string | null;
  dialect: string;
  base_seq: number;
  created_at: number;
  detached_at: number | null;
};

type OutboundRow = { dialect: Dialect | null; event: EventArgs };

/** One row per event: a plain list goes to every dialect, a per-dialect map to its own. */
function outboundRows(out: Outbound): OutboundRow[] {
  if (Array.isArray(out)) return out.map((event) => ({ dialect: null, event }));
  return (Object.entries(out) as [Dialect, EventArgs[]][]).flatMap(([dialect, list]) => list.map((event) => ({ dialect, event })));
}

function parseOffset(raw: unknown): number | null {
  if (typeof raw !== "string" || !/^\d{1,15}$/.test(raw)) return null;
  return Number(raw);
}

const newPid = () => {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
};

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
      const sql = this.ctx.storage.sql;
      sql.exec("CREATE TABLE IF NOT EXISTS live_sessions (sid TEXT PRIMARY KEY, dialect TEXT NOT NULL, attached_at INTEGER NOT NULL)");
      // ---- connection-state recovery (see the section below) ----
      sql.exec(
        "CREATE TABLE IF NOT EXISTS sio_sessions (pid TEXT PRIMARY KEY, sid TEXT, dialect TEXT NOT NULL, base_seq INTEGER NOT NULL, created_at INTEGER NOT NULL, detached_at INTEGER)",
      );
      sql.exec("CREATE INDEX IF NOT EXISTS sio_sessions_sid ON sio_sessions (sid)");
      sql.exec(
        "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, dialect TEXT, event TEXT NOT NULL, except_pid TEXT, only_pid TEXT, delivery TEXT)",
      );
      sql.exec("CREATE INDEX IF NOT EXISTS outbox_at ON outbox (at)");
      sql.exec("CREATE TABLE IF NOT EXISTS outbox_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
      this.#sessionsTable = true;
    }
    return this.ctx.storage.sql;
  }

  #count(): number {
    return this.#sql().exec<{ n: number }>("SELECT count(*) AS n FROM live_sessions").one().n;
  }

  /** A session joined the user's namespace. The first one makes the user online. */
  async attach(userId: string, sid: string, dialect: Dialect): Promise<{ first: boolean; sessions: number }> {
    const { first, sessions } = await this.openSession(userId, sid, dialect);
    return { first, sessions };
  }

  /**
   * A session joined the user's namespace (the first one makes the user
   * online), as a new recovery session (`pid`) or, when `recover` names a
   * recovery session of this user that is still within its window and an
   * offset whose events are all still logged, as that session again: the
   * answer then carries every event logged for it after that offset
   * (Socket.IO connection-state recovery).
   */
  async openSession(userId: string, sid: string, dialect: Dialect, recover?: { pid?: unknown; offset?: unknown }): Promise<OpenedSession> {
    const sql = this.#sql();
    const now = Date.now();
    this.#expireSessions(now);
    const head = this.#meta("head");
    const trimmed = this.#meta("trimmed");
    const before = this.#count();
    let pid: string | null = null;
    let from = head;
    let replay: { seq: number; event: string; delivery: DeliveryTag | null }[] = [];

    const prior = typeof recover?.pid === "string" ? sql.exec<SioRow>("SELECT * FROM sio_sessions WHERE pid = ?", recover.pid).toArray()[0] : undefined;
    if (prior) {
      const asked = recover?.offset === undefined || recover.offset === null ? prior.base_seq : parseOffset(recover.offset);
      const start = asked === null ? null : Math.max(asked, prior.base_seq);
      if (start !== null && start >= trimmed && start <= head) {
        pid = prior.pid;
        from = start;
        replay = sql
          .exec<{ seq: number; event: string; delivery: string | null }>(
            `SELECT seq, event, delivery FROM outbox WHERE seq > ? AND (dialect IS NULL OR dialect = ?)
               AND (except_pid IS NULL OR except_pid != ?) AND (only_pid IS NULL OR only_pid = ?) ORDER BY seq`,
            start,
            dialect,
            pid,
            pid,
          )
          .toArray()
          .map((r) => ({ seq: r.seq, event: r.event, delivery: r.delivery ? (JSON.parse(r.delivery) as DeliveryTag) : null }));
        // the connection it replaces may not have been noticed dead yet: it no longer counts
        if (prior.sid && prior.sid !== sid) sql.exec("DELETE FROM live_sessions WHERE sid = ?", prior.sid);
        sql.exec("UPDATE sio_sessions SET sid = NULL WHERE sid = ? AND pid != ?", sid, pid);
        sql.exec("UPDATE sio_sessions SET sid = ?, dialect = ?, detached_at = NULL WHERE pid = ?", sid, dialect, pid);
      }
    }
    if (!pid) {
      pid = newPid();
      sql.exec("DELETE FROM sio_sessions WHERE sid = ?", sid);
      sql.exec("INSERT INTO sio_sessions (pid, sid, dialect, base_seq, created_at, detached_at) VALUES (?, ?, ?, ?, ?, NULL)", pid, sid, dialect, head, now);
    }
    sql.exec("INSERT OR REPLACE INTO live_sessions (sid, dialect, attached_at) VALUES (?, ?, ?)", sid, dialect, now);
    const sessions = this.#count();
    const first = before === 0 && sessions === 1;
    if (first) await this.#presence(userId, true);
    const tags = replay.flatMap((r) => (r.delivery ? [r.delivery] : []));
    if (tags.length) {
      // replayed messages reached a recipient's connection now
      markDelivered(this.env, createDb(this.env.DB), tags).catch((err) => console.error("marking replayed messages delivered failed", err));
    }
    return {
      pid,
      recovered: pid === prior?.pid,
      offset: String(replay.at(-1)?.seq ?? from),
      replay: replay.map((r) => ({ event: r.event, offset: String(r.seq) })),
      first,
      sessions,
    };
  }

  /** A session left (disconnect, close, timeout, found dead). The last one makes the user offline. */
  async detach(userId: string, sid: string): Promise<{ last: boolean; sessions: number }> {
    const sql = this.#sql();
    const removed = sql.exec("DELETE FROM live_sessions WHERE sid = ?", sid).rowsWritten > 0;
    // its recovery session stays recoverable for RECOVERY_WINDOW_MS
    sql.exec("UPDATE sio_sessions SET sid = NULL, detached_at = ? WHERE sid = ?", Date.now(), sid);
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
   * of its dialect; `opts` narrows who), in the order emits were made, and
   * logs them for recovery; returns how many sessions got them. A session
   * whose object says it is gone is detached.
   */
  async emit(userId: string, out: Outbound, opts: EmitOptions = {}): Promise<number> {
    const sql = this.#sql();
    const now = Date.now();
    this.#expireSessions(now);
    const live = sql
      .exec<{ sid: string; dialect: string; pid: string | null }>(
        "SELECT l.sid AS sid, l.dialect AS dialect, s.pid AS pid FROM live_sessions l LEFT JOIN sio_sessions s ON s.sid = l.sid ORDER BY l.attached_at",
      )
      .toArray();
    const recoverable = sql.exec<{ n: number }>("SELECT count(*) AS n FROM sio_sessions").one().n > 0;
    if (!live.length && !recoverable) return 0;
    const exceptSid = opts.exceptSid ?? null;
    const onlyPid = opts.onlyPid ?? null;
    const exceptPid = exceptSid ? (live.find((s) => s.sid === exceptSid)?.pid ?? null) : null;
    const rows = outboundRows(out);
    const logged = recoverable ? this.#log(rows, now, exceptPid, onlyPid, opts.delivery ?? null) : rows.map((r) => ({ ...r, seq: null }));
    const targets = live.filter((s) => s.sid !== exceptSid && (!onlyPid || s.pid === onlyPid));
    const results = await Promise.all(
      targets.map((s) => {
        const mine = logged.filter((r) => r.dialect === null || r.dialect === s.dialect);
        if (!mine.length) return { sid: s.sid, delivered: false, gone: false };
        return this.#deliverInOrder(
          s.sid,
          mine.map((r) => r.event),
          mine.map((r) => (r.seq === null ? null : String(r.seq))),
        );
      }),
    );
    for (const r of results) if (r.gone) await this.detach(userId, r.sid);
    return results.filter((r) => r.delivered).length;
  }

  /**
   * Emits to the one connection of recovery session `pid` (e.g. the
   * connection that joined a conversation room), logged for its recovery.
   * Null when this user has no such session any more (forget it).
   */
  async emitToPid(userId: string, pid: string, out: Outbound): Promise<number | null> {
    this.#expireSessions(Date.now());
    const known = this.#sql().exec("SELECT pid FROM sio_sessions WHERE pid = ?", pid).toArray().length > 0;
    if (!known) return null;
    return this.emit(userId, out, { onlyPid: pid });
  }

  /** Events to one session go out one call after another, so they arrive in log order. */
  #chains = new Map<string, Promise<{ sid: string; delivered: boolean; gone: boolean }>>();

  #deliverInOrder(sid: string, events: EventArgs[], offsets: (string | null)[]) {
    const prev = this.#chains.get(sid) ?? Promise.resolve(null);
    const run = prev.then(async () => {
      try {
        const delivered = await engineSessionStub(this.env, sid).deliver("/", events, offsets);
        return { sid, delivered, gone: !delivered };
      } catch (err) {
        // transient (overload, restart): keep the session, drop this delivery (a recovering client gets it from the log)
        console.error("delivery to session failed", sid, err);
        return { sid, delivered: false, gone: false };
      }
    });
    this.#chains.set(sid, run);
    void run.then(() => {
      if (this.#chains.get(sid) === run) this.#chains.delete(sid);
    });
    return run;
  }

  // ---- Connection-state recovery: the outbound log ----
  //
  // Every emit to this user is logged (one row per event and dialect, `seq`
  // = the Socket.IO offset the event carries) while the user has a recovery
  // session: a live connection, or one that dropped less than
  // RECOVERY_WINDOW_MS ago. Rows are kept OUTBOX_RETAIN_MS (at most
  // OUTBOX_MAX_ROWS); a connection whose offset is older than what is kept
  // is not recovered (the client then catches up over REST / sync_messages).

  #meta(k: "head" | "trimmed"): number {
    return this.#sql().exec<{ v: number }>("SELECT v FROM outbox_meta WHERE k = ?", k).toArray()[0]?.v ?? 0;
  }

  #setMeta(k: "head" | "trimmed", v: number) {
    this.#sql().exec("INSERT OR REPLACE INTO outbox_meta (k, v) VALUES (?, ?)", k, v);
  }

  #log(rows: OutboundRow[], now: number, exceptPid: string | null, onlyPid: string | null, delivery: DeliveryTag | null) {
    const sql = this.#sql();
    let head = this.#meta("head");
    const tag = delivery ? JSON.stringify(delivery) : null;
    const logged = rows.map((r) => {
      head += 1;
      sql.exec(
        "INSERT INTO outbox (seq, at, dialect, event, except_pid, only_pid, delivery) VALUES (?, ?, ?, ?, ?, ?, ?)",
        head,
        now,
        r.dialect,
        JSON.stringify(r.event),
        exceptPid,
        onlyPid,
        tag,
      );
      return { ...r, seq: head as number | null };
    });
    this.#setMeta("head", head);
    const byAge = sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM outbox WHERE at < ?", now - OUTBOX_RETAIN_MS).one().s ?? 0;
    const cutoff = Math.max(byAge, head - OUTBOX_MAX_ROWS);
    if (cutoff > this.#meta("trimmed")) {
      sql.exec("DELETE FROM outbox WHERE seq <= ?", cutoff);
      this.#setMeta("trimmed", cutoff);
    }
    return logged;
  }

  /** Recovery sessions past their window are forgotten; with none left, so is the log. */
  #expireSessions(now: number) {
    const sql = this.#sql();
    const expired = sql.exec("DELETE FROM sio_sessions WHERE sid IS NULL AND detached_at < ?", now - RECOVERY_WINDOW_MS).rowsWritten;
    if (expired > 0 && sql.exec<{ n: number }>("SELECT count(*) AS n FROM sio_sessions").one().n === 0) {
      sql.exec("DELETE FROM outbox");
      this.#setMeta("trimmed", this.#meta("head"));
    }
  }

  /** Recovery sessions and log bounds (diagnostics and tests). */
  async recoveryState(): Promise<{ sessions: { pid: string; sid: string | null; dialect: string; detachedAt: number | null }[]; head: number; trimmed: number; logged: number }> {
    const sql = this.#sql();
    return {
      sessions: sql
        .exec<SioRow>("SELECT * FROM sio_sessions ORDER BY created_at")
        .toArray()
        .map((r) => ({ pid: r.pid, sid: r.sid, dialect: r.dialect, detachedAt: r.detached_at })),
      head: this.#meta("head"),
      trimmed: this.#meta("trimmed"),
      logged: sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n,
    };
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

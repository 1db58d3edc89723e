/**
 * The outbox of one user (connection-state recovery), its own class over
 * the user's hub storage (schema: src/db/hub-schema.ts).
 *
 * Every emit to the user is logged (one row per event and dialect; `seq` is
 * the Socket.IO offset the event carries) while the user has a recovery
 * session: a live connection, or one that dropped less than
 * RECOVERY_WINDOW_MS ago. Rows are kept OUTBOX_RETAIN_MS (at most
 * OUTBOX_MAX_ROWS); a connection whose offset is older than what is kept is
 * not recovered (the client then catches up over REST / sync_messages).
 */
import type { Dialect } from "../lib/tokens";
import type { DeliveryTag, EventArgs, Outbound } from "../domain/outbound";

/** How long a dropped connection may come back with its state (Socket.IO's default maxDisconnectionDuration). */
export const RECOVERY_WINDOW_MS = 2 * 60_000;
/** How long logged events are kept: a window, plus the time a dead connection takes to be noticed. */
export const OUTBOX_RETAIN_MS = 5 * 60_000;
export const OUTBOX_MAX_ROWS = 2_000;

type SioRow = { pid: string; sid: string | null; dialect: string; base_seq: number; created_at: number; detached_at: number | null };
type OutboundRow = { dialect: Dialect | null; event: EventArgs };

export interface LoggedEvent extends OutboundRow {
  /** the offset (null when nothing is logged: no recovery session) */
  seq: number | null;
}

export interface OpenedLog {
  pid: string;
  recovered: boolean;
  offset: string;
  replay: { event: string; offset: string }[];
  /** messages in the replay (to be marked delivered) */
  tags: DeliveryTag[];
  /** the connection a recovered session replaces (it may not have been noticed dead yet) */
  replacedSid: string | null;
}

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

export class RecoveryLog {
  #head: number;
  #trimmed: number;
  /** recovery sessions (pid -> dialect): only events one of them could be replayed are logged */
  #sessions = new Map<string, Dialect>();
  /** when the oldest kept row was logged (null: none kept), so trimming is decided without a query */
  #oldestAt: number | null;

  constructor(private readonly sql: SqlStorage) {
    this.#trimmed = this.#meta("trimmed");
    // the head is the newest row's offset; with no rows it is where the log was last emptied or trimmed
    // (`head` in outbox_meta: where logs written before this rule kept it)
    const newest = this.sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM outbox").one().s ?? 0;
    this.#head = Math.max(newest, this.#trimmed, this.#meta("head"));
    this.#loadSessions();
    this.#oldestAt = this.#oldest();
  }

  #oldest(): number | null {
    return this.sql.exec<{ a: number | null }>("SELECT min(at) AS a FROM outbox").one().a;
  }

  #meta(k: "head" | "trimmed"): number {
    return this.sql.exec<{ v: number }>("SELECT v FROM outbox_meta WHERE k = ?", k).toArray()[0]?.v ?? 0;
  }

  #setMeta(k: "head" | "trimmed", v: number) {
    this.sql.exec("INSERT OR REPLACE INTO outbox_meta (k, v) VALUES (?, ?)", k, v);
  }

  #loadSessions() {
    const rows = this.sql.exec<{ pid: string; dialect: string }>("SELECT pid, dialect FROM sio_sessions").toArray();
    this.#sessions = new Map(rows.map((r) => [r.pid, r.dialect as Dialect]));
  }

  /** Some recovery session exists, so emits are logged. */
  recoverable(): boolean {
    return this.#sessions.size > 0;
  }

  /** Whether some recovery session could be replayed a row of this dialect and targeting. */
  #replayable(dialect: Dialect | null, exceptPid: string | null, onlyPid: string | null): boolean {
    if (onlyPid) return onlyPid !== exceptPid && this.#sessions.has(onlyPid) && (dialect === null || this.#sessions.get(onlyPid) === dialect);
    for (const [pid, d] of this.#sessions) if (pid !== exceptPid && (dialect === null || d === dialect)) return true;
    return false;
  }

  knows(pid: string): boolean {
    return this.sql.exec("SELECT 1 FROM sio_sessions WHERE pid = ?", pid).toArray().length > 0;
  }

  /** Opens a recovery session for connection `sid`, recovering `recover.pid` when its offset is still logged. */
  open(sid: string, dialect: Dialect, recover?: { pid?: unknown; offset?: unknown }): OpenedLog {
    const sql = this.sql;
    const now = Date.now();
    let pid: string | null = null;
    let from = this.#head;
    let replacedSid: string | null = null;
    let replay: { seq: number; event: string; delivery: string | null }[] = [];
    const prior = typeof recover?.pid === "string" ? sql.exec<SioRow>("SELECT * FROM sio_sessions WHERE pid = ?", recover.pid).toArray()[0] : undefined;
    if (prior) {
      const asked = recover?.offset === undefined || recover.offset === null ? prior.base_seq : parseOffset(recover.offset);
      const start = asked === null ? null : Math.max(asked, prior.base_seq);
      if (start !== null && start >= this.#trimmed && start <= this.#head) {
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
          .toArray();
        if (prior.sid && prior.sid !== sid) replacedSid = prior.sid;
        sql.exec("UPDATE sio_sessions SET sid = NULL WHERE sid = ? AND pid != ?", sid, pid);
        sql.exec("UPDATE sio_sessions SET sid = ?, dialect = ?, detached_at = NULL WHERE pid = ?", sid, dialect, pid);
      }
    }
    if (!pid) {
      pid = newPid();
      sql.exec("DELETE FROM sio_sessions WHERE sid = ?", sid);
      sql.exec("INSERT INTO sio_sessions (pid, sid, dialect, base_seq, created_at, detached_at) VALUES (?, ?, ?, ?, ?, NULL)", pid, sid, dialect, this.#head, now);
    }
    this.#loadSessions();
    return {
      pid,
      recovered: pid === prior?.pid,
      offset: String(replay.at(-1)?.seq ?? from),
      replay: replay.map((r) => ({ event: r.event, offset: String(r.seq) })),
      tags: replay.flatMap((r) => (r.delivery ? [JSON.parse(r.delivery) as DeliveryTag] : [])),
      replacedSid,
    };
  }

  /** The connection dropped: its recovery session stays recoverable for RECOVERY_WINDOW_MS. */
  detach(sid: string, now: number) {
    this.sql.exec("UPDATE sio_sessions SET sid = NULL, detached_at = ? WHERE sid = ?", now, sid);
  }

  /** Recovery sessions past their window are forgotten; with none left, so is the log. */
  expire(now: number) {
    const expired = this.sql.exec("DELETE FROM sio_sessions WHERE sid IS NULL AND detached_at < ?", now - RECOVERY_WINDOW_MS).rowsWritten;
    if (expired === 0) return;
    this.#loadSessions();
    if (this.#sessions.size === 0) {
      this.sql.exec("DELETE FROM outbox");
      this.#oldestAt = null;
      this.#trimmed = this.#head;
      this.#setMeta("trimmed", this.#trimmed);
    }
  }

  /** Logs an emit (when a recovery session exists); answers each row with its offset. */
  append(out: Outbound, now: number, exceptPid: string | null, onlyPid: string | null, delivery: DeliveryTag | null): LoggedEvent[] {
    const rows = outboundRows(out);
    if (!this.recoverable()) return rows.map((r) => ({ ...r, seq: null }));
    // what no recovery session could be replayed is not logged (a later session starts after it anyway):
    // a dialect none speaks, or events only for the connection that is excepted
    const kept = rows.filter((r) => this.#replayable(r.dialect, exceptPid, onlyPid));
    const tag = delivery ? JSON.stringify(delivery) : null;
    const logged = kept.map((r) => {
      this.#head += 1;
      this.sql.exec(
        "INSERT INTO outbox (seq, at, dialect, event, except_pid, only_pid, delivery) VALUES (?, ?, ?, ?, ?, ?, ?)",
        this.#head,
        now,
        r.dialect,
        JSON.stringify(r.event),
        exceptPid,
        onlyPid,
        tag,
      );
      return { ...r, seq: this.#head as number | null };
    });
    this.#oldestAt ??= now;
    if (this.#head - this.#trimmed > OUTBOX_MAX_ROWS || this.#oldestAt < now - OUTBOX_RETAIN_MS) this.#trim(now);
    return logged;
  }

  #trim(now: number) {
    const byAge = this.sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM outbox WHERE at < ?", now - OUTBOX_RETAIN_MS).one().s ?? 0;
    const cutoff = Math.max(byAge, this.#head - OUTBOX_MAX_ROWS);
    if (cutoff > this.#trimmed) {
      this.sql.exec("DELETE FROM outbox WHERE seq <= ?", cutoff);
      this.#trimmed = cutoff;
      this.#setMeta("trimmed", cutoff);
    }
    this.#oldestAt = this.#oldest();
  }

  state() {
    return {
      sessions: this.sql
        .exec<SioRow>("SELECT * FROM sio_sessions ORDER BY created_at")
        .toArray()
        .map((r) => ({ pid: r.pid, sid: r.sid, dialect: r.dialect, detachedAt: r.detached_at })),
      head: this.#head,
      trimmed: this.#trimmed,
      logged: this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n,
    };
  }
}

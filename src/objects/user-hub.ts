/**
 * UserHub: one Durable Object per user (named by the user's `_id`).
 *
 * Owns that user's live Socket.IO sessions (many devices at once) and
 * presence, and composes the rest, each its own class over the hub's
 * storage: the outbox of what was sent to the user, for recovery
 * (./recovery-log.ts); the inbox, per conversation the last message and the
 * unread count as the conversation's room reports them (`deliver`,
 * ./hub-inbox.ts); and the alarm's two clocks, the user's status timer and
 * the sweep of sessions whose connection is gone (./hub-timers.ts). It is
 * the one place server code reaches the user's connections through (src/realtime/notifier.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { createDb } from "../db/client";
import { HUB_SCHEMA } from "../db/hub-schema";
import { type User, users } from "../db/schema";
import type { InboxEntry } from "../domain/message-model";
import { watchersOf } from "../domain/relations";
import { visibleWatchers } from "../domain/visibility";
import { nextStatusWakeAt, runStatusTimer } from "../domain/status";
import type { Env } from "../env";
import type { Dialect } from "../lib/tokens";
import type { DeliveryTag, EventArgs, Outbound, Targeting } from "../domain/outbound";
import { to } from "../realtime/notifier";
import type { HubCall, OpenedSession, UserHubRpc } from "./rpc";
import { messageStatusPayload } from "../views/events";
import { messageEvents } from "../views/message";
import { presenceEvents } from "../views/presence";
import { contactStatusUpdate } from "../views/status";
import { BatchLanes } from "./batch-lanes";
import { Inbox } from "./hub-inbox";
import { HubTimers } from "./hub-timers";
import { RecoveryLog } from "./recovery-log";
import { conversationRoom, engineSessionStub, ownName } from "./stubs";

export { OUTBOX_MAX_ROWS, OUTBOX_RETAIN_MS, RECOVERY_WINDOW_MS } from "./recovery-log";

interface Live {
  sid: string;
  dialect: Dialect;
  pid: string | null;
}

interface SessionDelivery {
  sid: string;
  delivered: boolean;
  gone: boolean;
}

interface QueuedEvents {
  events: EventArgs[];
  offsets: (string | null)[];
}

export class UserHub extends DurableObject<Env> implements UserHubRpc {
  /** the user's `_id` (the name the hub is reached by) */
  readonly #userId: string;
  #outbox!: RecoveryLog;
  #inbox!: Inbox;
  readonly #timers: HubTimers;
  /** live sessions, earliest attached first (cache of `live_sessions` joined with recovery sessions) */
  #live: Live[] | null = null;
  #presenceTail: Promise<unknown> = Promise.resolve();
  /** Events to one session go out one call after another, so they arrive in log order (batched when they queue up). */
  readonly #toSessions = new BatchLanes<QueuedEvents, SessionDelivery>((sid, batch) => this.#deliverToSession(sid, batch));

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#userId = ownName(ctx);
    this.#timers = new HubTimers(ctx.storage);
    // the schema exists, and the outbox reads its state, before any request is handled
    void ctx.blockConcurrencyWhile(async () => {
      for (const statement of HUB_SCHEMA) ctx.storage.sql.exec(statement);
      this.#outbox = new RecoveryLog(ctx.storage.sql);
      this.#inbox = new Inbox(ctx.storage.sql);
    });
  }

  get #sql() {
    return this.ctx.storage.sql;
  }

  #liveSessions(): Live[] {
    this.#live ??= this.#sql
      .exec<{ sid: string; dialect: string; pid: string | null }>(
        "SELECT l.sid AS sid, l.dialect AS dialect, s.pid AS pid FROM live_sessions l LEFT JOIN sio_sessions s ON s.sid = l.sid ORDER BY l.attached_at",
      )
      .toArray()
      .map((r) => ({ sid: r.sid, dialect: r.dialect as Dialect, pid: r.pid }));
    return this.#live;
  }

  // ---- live sessions and presence ----

  /** A session joined the user's namespace. The first one makes the user online. */
  async attach(sid: string, dialect: Dialect): Promise<{ first: boolean; sessions: number }> {
    const { first, sessions } = await this.openSession(sid, dialect);
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
  async openSession(sid: string, dialect: Dialect, recover?: { pid?: unknown; offset?: unknown }): Promise<OpenedSession> {
    this.#outbox.expire(Date.now());
    const before = this.#liveSessions().length;
    const opened = this.#outbox.open(sid, dialect, recover);
    this.#sql.exec("INSERT OR REPLACE INTO live_sessions (sid, dialect, attached_at) VALUES (?, ?, ?)", sid, dialect, Date.now());
    if (opened.replacedSid) this.#sql.exec("DELETE FROM live_sessions WHERE sid = ?", opened.replacedSid);
    this.#live = null;
    const sessions = this.#liveSessions().length;
    const first = before === 0 && sessions === 1;
    if (first) await this.#presence(true);
    this.#markReplayedDelivered(opened.tags);
    await this.#timers.armSweep();
    return { pid: opened.pid, recovered: opened.recovered, offset: opened.offset, replay: opened.replay, first, sessions };
  }

  /** Replayed messages reached a recipient's connection now: their rooms mark them delivered. */
  #markReplayedDelivered(tags: DeliveryTag[]) {
    const byConversation = new Map<string, number[]>();
    for (const t of tags) byConversation.set(t.conversationId, [...(byConversation.get(t.conversationId) ?? []), t.seq]);
    for (const [conversationId, seqs] of byConversation) {
      this.ctx.waitUntil(
        conversationRoom(this.env, conversationId)
          .markDelivered(seqs)
          .catch((err) => console.error("marking replayed messages delivered failed", conversationId, err)),
      );
    }
  }

  /** A session left (disconnect, close, timeout, found dead). The last one makes the user offline. */
  async detach(sid: string): Promise<{ last: boolean; sessions: number }> {
    const removed = this.#sql.exec("DELETE FROM live_sessions WHERE sid = ?", sid).rowsWritten > 0;
    this.#outbox.detach(sid, Date.now());
    this.#live = null;
    const sessions = this.#liveSessions().length;
    const last = removed && sessions === 0;
    if (last) await this.#presence(false);
    return { last, sessions };
  }

  /** The user's live sessions (diagnostics and tests). */
  async sessions(): Promise<{ sid: string; dialect: Dialect; attachedAt: number }[]> {
    return this.#sql
      .exec<{ sid: string; dialect: string; attached_at: number }>("SELECT sid, dialect, attached_at FROM live_sessions ORDER BY attached_at")
      .toArray()
      .map((r) => ({ sid: r.sid, dialect: r.dialect as Dialect, attachedAt: r.attached_at }));
  }

  /** Applies an online/offline transition after the ones before it. */
  #presence(online: boolean): Promise<void> {
    const userId = this.#userId;
    const run = async () => {
      const db = createDb(this.env.DB);
      const user = await db.update(users).set({ isOnline: online, lastSeen: new Date() }).where(eq(users.id, userId)).returning().get();
      if (!user) return;
      const watchers = await watchersOf(db, userId);
      if (watchers.length) await to(this.env, watchers).emit(presenceEvents(user));
    };
    const result = this.#presenceTail.then(run, run);
    this.#presenceTail = result.catch((err) => console.error("presence update failed", err));
    return result.catch(() => undefined);
  }

  /** This user's status changed (committed in D1): every watcher allowed to see it hears `contact_status_update`. */
  async announceStatus(user: User, at: number): Promise<number> {
    const db = createDb(this.env.DB);
    const watchers = await visibleWatchers(db, user, await watchersOf(db, user.id));
    return watchers.length ? to(this.env, watchers).emit([["contact_status_update", contactStatusUpdate(user, at)]]) : 0;
  }

  // ---- emitting ----

  /**
   * Delivers events to every live session of this user (each gets the events
   * of its dialect; `opts` narrows who), in the order emits were made, and
   * logs them for recovery; returns how many sessions got them. A session
   * whose object says it is gone is detached.
   */
  async emit(out: Outbound, opts: Targeting = {}): Promise<number> {
    const live = this.#liveSessions();
    if (!live.length && !this.#outbox.recoverable()) return 0;
    const exceptSid = opts.exceptSid ?? null;
    const onlyPid = opts.onlyPid ?? null;
    const exceptPid = exceptSid ? (live.find((s) => s.sid === exceptSid)?.pid ?? null) : null;
    const logged = this.#outbox.append(out, Date.now(), exceptPid, onlyPid, opts.delivery ?? null);
    const targets = live.filter((s) => s.sid !== exceptSid && (!onlyPid || s.pid === onlyPid));
    const results = await Promise.all(
      targets.map((s) => {
        const mine = logged.filter((r) => r.dialect === null || r.dialect === s.dialect);
        if (!mine.length) return { sid: s.sid, delivered: false, gone: false };
        return this.#toSessions.push(s.sid, { events: mine.map((r) => r.event), offsets: mine.map((r) => (r.seq === null ? null : String(r.seq))) });
      }),
    );
    for (const r of results) if (r.gone) await this.detach(r.sid);
    return results.filter((r) => r.delivered).length;
  }

  /**
   * Emits to the one connection of recovery session `pid` (e.g. the
   * connection that joined a conversation room), logged for its recovery.
   * Null when this user has no such session any more (forget it).
   */
  async emitToPid(pid: string, out: Outbound): Promise<number | null> {
    if (!this.#outbox.knows(pid)) return null;
    return this.emit(out, { onlyPid: pid });
  }

  /** Delivers queued events to one session in one call (see #toSessions). */
  async #deliverToSession(sid: string, batch: QueuedEvents[]): Promise<SessionDelivery[]> {
    let result: SessionDelivery;
    try {
      const delivered = await engineSessionStub(this.env, sid).deliver(
        "/",
        batch.flatMap((b) => b.events),
        batch.flatMap((b) => b.offsets),
      );
      result = { sid, delivered, gone: !delivered };
    } catch (err) {
      // transient (overload, restart): keep the session, drop this delivery (a recovering client gets it from the log)
      console.error("delivery to session failed", sid, err);
      result = { sid, delivered: false, gone: false };
    }
    return batch.map(() => result);
  }

  // ---- the inbox ----

  /**
   * A conversation's room reports, one call or several in order: the user's
   * inbox entry for it (applied unless an update at a later revision is
   * already there) and/or events for the user's connections. Answers once the entry is applied and the events
   * are logged and queued to each connection, without waiting for the
   * connections: so the room's lane to this user moves on at once, and a
   * message that reaches a connection is reported delivered to its room
   * afterwards. Answers per call; -1 when `onlyPid` names a connection this
   * hub no longer knows.
   */
  async deliver(calls: HubCall[]): Promise<number[]> {
    return calls.map((call) => this.#deliverOne(call));
  }

  #deliverOne(call: HubCall): number {
    const m = call.message;
    // a message this hub already has (its inbox is at or past it) came again from a restarted room
    if (m?.role === "recipient" && (this.#inbox.lastSeq(m.record.message.conversationId) ?? 0) >= m.record.message.seq) return 0;
    if (call.inbox) this.#inbox.apply(call.inbox);
    if (m) return this.#message(m);
    if (!call.out) return 0;
    const onlyPid = call.opts?.onlyPid;
    if (onlyPid && !this.#outbox.knows(onlyPid)) return -1;
    void this.emit(call.out, call.opts);
    return 0;
  }

  /**
   * A new message for this user's devices. To a recipient: answers how many
   * live connections it was handed to (the room then counts it delivered).
   * To the sender: the other devices' copies, and `message_status`
   * "delivered" when a recipient had a live connection (to every device but
   * the one that sent it over a socket, which hears it after its ack).
   */
  #message(m: NonNullable<HubCall["message"]>): number {
    const events = messageEvents(m.record);
    const msg = m.record.message;
    if (m.role === "recipient") {
      const delivery = { messageId: msg.id, conversationId: msg.conversationId, senderId: msg.senderId, seq: msg.seq };
      void this.emit(events.toRecipients, { delivery });
      return this.#liveSessions().length;
    }
    // the connection that sent it (`exceptSid`) has its ack, and the status too unless `statusToAll`
    let out = events.toSender;
    const exceptSid = m.exceptSid ?? null;
    if (m.deliveredAt) {
      const status: EventArgs = ["message_status", messageStatusPayload({ messageId: msg.id, conversationId: msg.conversationId, seq: msg.seq }, "delivered", new Date(m.deliveredAt))];
      if (m.statusToAll && exceptSid) void this.emit([status]);
      else out = Array.isArray(out) ? [...out, status] : (Object.fromEntries(Object.entries(out).map(([d, list]) => [d, [...list, status]])) as Outbound);
    }
    void this.emit(out, { exceptSid });
    return 0;
  }

  /** The user's inbox: every conversation with its last message and unread count. */
  async inbox(): Promise<InboxEntry[]> {
    return this.#inbox.entries();
  }

  /** Unread messages across the user's conversations. */
  async unreadTotal(): Promise<number> {
    return this.#inbox.unreadTotal();
  }

  // ---- recovery state (diagnostics and tests) ----

  async recoveryState() {
    return this.#outbox.state();
  }

  // ---- the alarm: status timer and session sweep ----

  /**
   * Live sessions whose connection object says it is gone are detached (so
   * `user_offline` follows even when a connection's own detach was lost);
   * recovery sessions past their window are forgotten.
   */
  async sweep(): Promise<number> {
    const gone = (
      await Promise.all(
        this.#liveSessions().map(async (s) => ((await engineSessionStub(this.env, s.sid).alive().catch(() => true)) ? null : s.sid)),
      )
    ).filter((sid): sid is string => sid !== null);
    for (const sid of gone) await this.detach(sid);
    this.#outbox.expire(Date.now());
    return gone.length;
  }

  /**
   * (Re)sets this user's status timer to the next status expiry or schedule
   * event. Returns the wake-up time.
   */
  async armStatusTimer(): Promise<number | null> {
    const next = await nextStatusWakeAt(this.env, createDb(this.env.DB), this.#userId, Date.now());
    await this.#timers.setStatusAt(next);
    return next;
  }

  async alarm(): Promise<void> {
    const now = Date.now();
    const statusAt = this.#timers.statusAt;
    const sweepDue = this.#timers.takeDueSweep(now);
    if (sweepDue) {
      await this.sweep();
      if (this.#liveSessions().length || this.#outbox.recoverable()) this.#timers.sweepAgain(now);
    }
    // the status timer applies only what is due (idempotent): run it unless the sweep alone woke us
    if (statusAt !== undefined && (statusAt <= now || !sweepDue)) {
      await runStatusTimer(this.env, createDb(this.env.DB), this.#userId, now);
      await this.armStatusTimer();
      return;
    }
    await this.#timers.arm();
  }
}

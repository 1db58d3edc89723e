/**
 * ConversationRoom: one Durable Object per conversation (named by its `_id`).
 *
 * Owns the conversation's message sequence. Every new message of the
 * conversation is appended here, one at a time: the object assigns the next
 * gap-free `seq` (its cursor is loaded from D1 `conversations.last_seq` once
 * and kept in memory), and the message, the conversation's last-message
 * fields and the members' unread counters are written in one D1 batch before
 * the call returns. So history order equals send order for every reader, and
 * a repeated client message id returns the first message.
 *
 * It also owns what is live about the conversation:
 * - Delivery: each new message is handed to real-time delivery
 *   (src/realtime/deliver.ts) after it is stored, one message after another
 *   in sequence order, so every member's devices get the conversation's
 *   messages in order. The append does not wait for delivery.
 * - Typing: who is typing (until when) is kept in the object's storage; a
 *   `typing_start` lasts TYPING_TTL_MS unless renewed, and the object's alarm
 *   ends it (isTyping/typing false to the others) when no `stop` comes.
 * - The room (004 `join_conversation`, 003 `joinGroup`): which connections
 *   joined, by recovery session id (`pid`), so a recovered connection stays
 *   in its rooms. Room events (004 `user_typing`, `marked_as_read`) go to
 *   them.
 */
import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { createDb } from "../db/client";
import { conversationMembers, type User } from "../db/schema";
import { isUniqueViolation } from "../domain/conversations";
import { type AppendResult, appendMessage, loadCursor, type MessageDraft, type SeqCursor } from "../domain/messages";
import type { Env } from "../env";
import { deliverMessage } from "../realtime/deliver";
import { emitToUsers, type Outbound, userHub } from "../realtime/emit";
import { typingEvents } from "../views/events";
import type { MessageRecord } from "../views/message";

/** A typing indicator without a `stop` ends this long after the last `start`. */
export const TYPING_TTL_MS = 5_000;

/** What real-time delivery of a new message needs besides the message. */
export interface FanOut {
  sender: User;
  /** 1-on-1: the other member */
  recipient: User | null;
  /** the socket connection that sent it and gets its own confirmation instead */
  exceptSid: string | null;
}

type Person = Pick<User, "id" | "userId" | "name" | "email">;
interface Typist extends Person {
  until: number;
}

export class ConversationRoom extends DurableObject<Env> {
  #cursor: SeqCursor | null = null;
  /** Tail of the append queue: D1 calls are not covered by input gates, so appends are chained explicitly. */
  #tail: Promise<unknown> = Promise.resolve();
  /** Tail of the delivery queue (sequence order). */
  #fanTail: Promise<unknown> = Promise.resolve();
  #roomTable = false;

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Stores the next message of `conversationId` (this object's name), then delivers it (without waiting). */
  async append(conversationId: string, draft: MessageDraft, fanout?: FanOut): Promise<AppendResult> {
    return this.#serial(async () => {
      const db = createDb(this.env.DB);
      for (let attempt = 0; ; attempt++) {
        this.#cursor ??= await loadCursor(db, conversationId);
        if (!this.#cursor) return { ok: false, status: 404, error: "Conversation not found" } as const;
        try {
          const result = await appendMessage(db, conversationId, draft, this.#cursor);
          // queued here, inside the append queue, so deliveries start in sequence order
          if (result.ok && result.created && fanout) this.#deliver(conversationId, result.message, fanout);
          return result;
        } catch (err) {
          // the cursor may be stale (e.g. a write that failed after committing): reload it once
          this.#cursor = null;
          if (attempt === 0 && isUniqueViolation(err)) continue;
          throw err;
        }
      }
    });
  }

  #deliver(conversationId: string, message: MessageRecord["message"], fanout: FanOut) {
    const record: MessageRecord = { message, sender: fanout.sender, recipient: fanout.recipient, seenBy: [], read: false };
    const run = this.#fanTail.then(() =>
      deliverMessage(this.env, createDb(this.env.DB), { id: conversationId }, record, { exceptSid: fanout.exceptSid }),
    );
    this.#fanTail = run.catch((err) => console.error("message delivery failed", conversationId, message.id, err));
  }

  /** Resolves when every delivery queued so far has finished (tests). */
  async deliveriesIdle(): Promise<void> {
    await this.#fanTail;
  }

  // ---- Typing ----

  #typists(): Map<string, Typist> {
    return new Map(Object.entries(this.ctx.storage.kv.get<Record<string, Typist>>("typing") ?? {}));
  }

  #saveTypists(map: Map<string, Typist>) {
    if (map.size) this.ctx.storage.kv.put("typing", Object.fromEntries(map));
    else this.ctx.storage.kv.delete("typing");
  }

  async #armAlarm(map: Map<string, Typist>) {
    const next = Math.min(...[...map.values()].map((t) => t.until));
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
  }

  /**
   * `user` starts (renews) or stops typing in the conversation. The others
   * hear about changes only (a renewal is silent). Answers whether the user
   * is now typing.
   */
  async typing(conversationId: string, user: Person, on: boolean): Promise<{ typing: boolean; changed: boolean }> {
    this.ctx.storage.kv.put("conversationId", conversationId);
    const now = Date.now();
    const map = this.#typists();
    const was = (map.get(user.id)?.until ?? 0) > now;
    if (on) {
      map.set(user.id, { id: user.id, userId: user.userId, name: user.name, email: user.email, until: now + TYPING_TTL_MS });
    } else if (!map.delete(user.id)) {
      return { typing: false, changed: false };
    }
    this.#saveTypists(map);
    await this.#armAlarm(map);
    const changed = on !== was;
    if (changed) await this.#emitTyping(conversationId, user, on);
    return { typing: on, changed };
  }

  /** Who is typing now (tests and diagnostics). */
  async typingNow(): Promise<{ userId: string; until: number }[]> {
    const now = Date.now();
    return [...this.#typists().values()].filter((t) => t.until > now).map((t) => ({ userId: t.id, until: t.until }));
  }

  /** Typing indicators whose time is up end by themselves. */
  async alarm(): Promise<void> {
    const conversationId = this.ctx.storage.kv.get<string>("conversationId");
    const map = this.#typists();
    const now = Date.now();
    const expired = [...map.values()].filter((t) => t.until <= now);
    for (const t of expired) map.delete(t.id);
    this.#saveTypists(map);
    await this.#armAlarm(map);
    if (conversationId) await Promise.all(expired.map((t) => this.#emitTyping(conversationId, t, false)));
  }

  /**
   * Standard dialect (001/002 have no rooms): every connection of the other
   * members. Chat-socket (004): the other members' connections that joined
   * the room.
   */
  async #emitTyping(conversationId: string, user: Person, isTyping: boolean) {
    const events = typingEvents(user, conversationId, isTyping);
    const others = (await this.#members(conversationId)).filter((id) => id !== user.id);
    await Promise.all([
      emitToUsers(this.env, others, { standard: events.standard, "chat-socket": [] }),
      this.#emitJoined(conversationId, { standard: [], "chat-socket": events["chat-socket"] }, { exceptUserId: user.id }),
    ]);
  }

  // ---- The room: connections that joined ----

  #rooms() {
    const sql = this.ctx.storage.sql;
    if (!this.#roomTable) {
      sql.exec("CREATE TABLE IF NOT EXISTS joined (pid TEXT PRIMARY KEY, user_id TEXT NOT NULL, joined_at INTEGER NOT NULL)");
      this.#roomTable = true;
    }
    return sql;
  }

  async #members(conversationId: string): Promise<string[]> {
    const rows = await createDb(this.env.DB)
      .select({ userId: conversationMembers.userId })
      .from(conversationMembers)
      .where(eq(conversationMembers.conversationId, conversationId))
      .all();
    return rows.map((r) => r.userId);
  }

  /** The connection (recovery session `pid`) of member `userId` joined the room. Membership is checked by the caller. */
  async join(conversationId: string, userId: string, pid: string): Promise<void> {
    this.ctx.storage.kv.put("conversationId", conversationId);
    this.#rooms().exec("INSERT OR REPLACE INTO joined (pid, user_id, joined_at) VALUES (?, ?, ?)", pid, userId, Date.now());
  }

  /** Answers whether that connection had joined. */
  async leave(userId: string, pid: string): Promise<boolean> {
    return this.#rooms().exec("DELETE FROM joined WHERE pid = ? AND user_id = ?", pid, userId).rowsWritten > 0;
  }

  async joined(): Promise<{ pid: string; userId: string }[]> {
    return this.#rooms()
      .exec<{ pid: string; user_id: string }>("SELECT pid, user_id FROM joined ORDER BY joined_at")
      .toArray()
      .map((r) => ({ pid: r.pid, userId: r.user_id }));
  }

  /** Emits to the connections that joined the room (current members only); resolves to how many got it. */
  async emitToJoined(conversationId: string, out: Outbound, exceptPid: string | null = null): Promise<number> {
    return this.#emitJoined(conversationId, out, { exceptPid });
  }

  async #emitJoined(conversationId: string, out: Outbound, opts: { exceptPid?: string | null; exceptUserId?: string }): Promise<number> {
    const sql = this.#rooms();
    const rows = await this.joined();
    if (!rows.length) return 0;
    const members = new Set(await this.#members(conversationId));
    const counts = await Promise.all(
      rows.map(async (r) => {
        if (!members.has(r.userId)) {
          sql.exec("DELETE FROM joined WHERE pid = ?", r.pid);
          return 0;
        }
        if (r.pid === opts.exceptPid || r.userId === opts.exceptUserId) return 0;
        const reached = await userHub(this.env, r.userId)
          .emitToPid(r.userId, r.pid, out)
          .catch(() => 0);
        if (reached === null) sql.exec("DELETE FROM joined WHERE pid = ?", r.pid);
        return reached ?? 0;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }
}


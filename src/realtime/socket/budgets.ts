/**
 * Rate limits of client->server socket events (issue 11): every event has a
 * kind, every kind a budget per connection (a token bucket kept in the
 * EngineSession's memory: no storage round trip) and, for the kinds that
 * cost D1 queries or fan out to other users, a budget per user counted by a
 * Workers Rate Limiting binding (also no storage round trip; counted per
 * Cloudflare location, in windows of 10 or 60 s).
 *
 * An event over budget is not handled: its ack (if any) is the error body
 * with status 429, and the connection gets an `error` event. Rejections
 * spend "strikes"; a connection that runs out of them (keeps going over
 * budget) is disconnected (Socket.IO DISCONNECT, then the Engine.IO
 * connection is closed). The budgets are in README "Rate limits".
 */
import type { Env } from "../../env";

export type EventKind = "message" | "typing" | "group" | "room" | "read" | "echo" | "other";

export interface Budget {
  /** events allowed in one burst (bucket size) */
  burst: number;
  /** sustained events per second (refill rate) */
  perSecond: number;
  /** the Workers Rate Limiting binding counting this kind per user, if any */
  perUser?: "SOCKET_TYPING_LIMITER" | "SOCKET_GROUP_LIMITER" | "SOCKET_READ_LIMITER";
  /** what the per-user binding allows (documentation; wrangler.toml is the source) */
  perUserText?: string;
}

/** Per-connection budgets by kind. */
export const BUDGETS: Record<EventKind, Budget> = {
  // per user also: MESSAGE_LIMITER (100 a minute, 004), counted by sendMessage itself
  message: { burst: 30, perSecond: 2 },
  typing: { burst: 20, perSecond: 2, perUser: "SOCKET_TYPING_LIMITER", perUserText: "300 a minute" },
  group: { burst: 5, perSecond: 0.1, perUser: "SOCKET_GROUP_LIMITER", perUserText: "20 a minute" },
  room: { burst: 30, perSecond: 2 },
  read: { burst: 60, perSecond: 10, perUser: "SOCKET_READ_LIMITER", perUserText: "1200 a minute" },
  echo: { burst: 30, perSecond: 10 },
  other: { burst: 20, perSecond: 5 },
};

/** The kind of each client->server event; events not listed (unknown names) are `other`. */
export const EVENT_KINDS: Record<string, EventKind> = {
  send_message: "message",
  sendMessage: "message",
  typing_start: "typing",
  typing_stop: "typing",
  typing: "typing",
  stopTyping: "typing",
  createGroup: "group",
  joinGroup: "room",
  join_conversation: "room",
  leave_conversation: "room",
  mark_message_read: "read",
  markMessagesRead: "read",
  mark_as_read: "read",
  get_message_history: "read",
  get_unread_count: "read",
  getMessages: "read",
  sync_messages: "read",
  get_online_users: "read",
  update_contacts: "read",
  echo: "echo",
};

// Own properties only: an event named "__proto__", "constructor" or "toString" is `other`, not Object.prototype's member.
export const kindOf = (event: string): EventKind => (Object.hasOwn(EVENT_KINDS, event) ? EVENT_KINDS[event] : "other");

/** Rejections a connection may collect (refilled one per STRIKE_REFILL_S) before it is closed. */
export const STRIKES = 20;
export const STRIKE_REFILL_S = 5;

class Bucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly size: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = size;
    this.at = now;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.size, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export type Verdict = { ok: true } | { ok: false; message: string; close: boolean };

/** One connection's budgets (in memory; a woken-up session starts with full buckets). */
export class ConnectionBudget {
  private readonly buckets = new Map<EventKind, Bucket>();
  private readonly strikes: Bucket;

  constructor(
    private readonly env: Env,
    private readonly userId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.strikes = new Bucket(STRIKES, 1 / STRIKE_REFILL_S, now());
  }

  /** Checks (and spends) the budget of one event. */
  async check(event: string): Promise<Verdict> {
    const kind = kindOf(event);
    const budget = BUDGETS[kind];
    const now = this.now();
    let bucket = this.buckets.get(kind);
    if (!bucket) this.buckets.set(kind, (bucket = new Bucket(budget.burst, budget.perSecond, now)));
    let message: string | null = null;
    if (!bucket.take(now)) {
      message = `Too many ${kind} events on this connection: at most ${budget.burst} at once and ${budget.perSecond} a second (${event})`;
    } else if (budget.perUser) {
      const limiter = this.env[budget.perUser];
      if (limiter && !(await limiter.limit({ key: `socket-${kind}:${this.userId}` })).success) {
        message = `Too many ${kind} events for this user: at most ${budget.perUserText} (${event})`;
      }
    }
    if (message === null) return { ok: true };
    return { ok: false, message, close: !this.strikes.take(this.now()) };
  }
}

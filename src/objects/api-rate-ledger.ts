/**
 * One client IP's hourly API request tally (004: "1000 requests per hour per
 * IP"). Workers report counts in batches (src/domain/rate-limits.ts), never one
 * call per request. The hour is a sliding window estimated from two fixed
 * clock-hour buckets (the previous hour's count weighted by how much of it
 * the window still covers, plus this hour's), so a client cannot get twice
 * the budget across an hour boundary. The state is one small KV entry,
 * deleted by an alarm once the IP has been quiet for two hours.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { ApiRateLedgerRpc, LedgerAnswer } from "./rpc";

export const HOUR_MS = 60 * 60 * 1000;

interface Tally {
  /** clock hour (ms since epoch / HOUR_MS) of `current` */
  hour: number;
  current: number;
  previous: number;
}


/** Sliding-window estimate at `now`, and when it falls back under `limit` if it is not already. */
export function assess(t: Tally, limit: number, now: number): LedgerAnswer {
  const hour = Math.floor(now / HOUR_MS);
  const current = t.hour === hour ? t.current : 0;
  const previous = t.hour === hour ? t.previous : t.hour === hour - 1 ? t.current : 0;
  const elapsed = (now - hour * HOUR_MS) / HOUR_MS;
  const count = previous * (1 - elapsed) + current;
  if (count < limit) return { count, blockedUntil: 0 };
  let until: number;
  if (current < limit) {
    // previous*(1-e) + current < limit  <=>  e > 1 - (limit - current) / previous
    until = hour * HOUR_MS + Math.ceil((1 - (limit - current) / previous) * HOUR_MS);
  } else {
    // this hour alone is over: next hour, once `current` (then previous) has slid out far enough
    until = (hour + 1) * HOUR_MS + Math.ceil((1 - limit / current) * HOUR_MS);
  }
  return { count, blockedUntil: Math.max(until, now + 1000) };
}

export class ApiRateLedger extends DurableObject<Env> implements ApiRateLedgerRpc {
  /** Adds `n` requests seen by one Worker isolate; answers the IP's standing. */
  async add(n: number, limit: number, now = Date.now()): Promise<LedgerAnswer> {
    const hour = Math.floor(now / HOUR_MS);
    const t = this.ctx.storage.kv.get<Tally>("tally") ?? { hour, current: 0, previous: 0 };
    const next: Tally =
      t.hour === hour
        ? { hour, current: t.current + n, previous: t.previous }
        : { hour, current: n, previous: t.hour === hour - 1 ? t.current : 0 };
    this.ctx.storage.kv.put("tally", next);
    const expiry = (hour + 2) * HOUR_MS;
    if ((await this.ctx.storage.getAlarm()) !== expiry) await this.ctx.storage.setAlarm(expiry);
    return assess(next, limit, now);
  }

  async alarm(): Promise<void> {
    const t = this.ctx.storage.kv.get<Tally>("tally");
    if (t && t.hour + 2 > Math.floor(Date.now() / HOUR_MS)) {
      await this.ctx.storage.setAlarm((t.hour + 2) * HOUR_MS);
      return;
    }
    await this.ctx.storage.deleteAll();
  }
}

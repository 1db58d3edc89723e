/**
 * 004's rate limits: messages per user, API requests and connection attempts
 * per client IP. Counted by Workers Rate Limiting bindings, and the hourly
 * API budget by a per-IP Durable Object reported to in batches (no Durable
 * Object or D1 round trip on a request's path). IPs in RATE_LIMIT_EXEMPT_IPS
 * (loopback in local dev) are not limited per IP.
 */
import type { Env } from "../env";
import { ApiError } from "../lib/errors";
import { apiRateLedger } from "../objects/stubs";

export const clientIp = (request: Request): string | null =>
  request.headers.get("cf-connecting-ip") ?? request.headers.get("x-real-ip");

function exempt(env: Env, ip: string | null): boolean {
  if (!ip) return true;
  return (env.RATE_LIMIT_EXEMPT_IPS ?? "")
    .split(",")
    .map((s) => s.trim())
    .includes(ip);
}

async function allowed(limiter: RateLimit | undefined, key: string): Promise<boolean> {
  if (!limiter) return true;
  const { success } = await limiter.limit({ key });
  return success;
}

/**
 * The hourly tally, per Worker isolate: requests counted locally per IP and
 * reported to the IP's ApiRateLedger object in batches (every `batchOf(limit)`
 * requests, or when FLUSH_MS has passed, and at once for an IP this isolate
 * has not seen yet), in the background (`waitUntil`): no request waits for
 * storage. The ledger's answer (`blockedUntil`) is cached and checked
 * locally. An isolate can let through at most one unreported batch (5% of
 * the budget) plus what arrives while a report is in flight.
 */
interface LocalTally {
  pending: number;
  lastFlush: number;
  blockedUntil: number;
  inFlight: boolean;
}
const tallies = new Map<string, LocalTally>();
const FLUSH_MS = 5_000;
const MAX_TRACKED_IPS = 10_000;
export const DEFAULT_API_HOURLY_LIMIT = 1000;
const batchOf = (limit: number) => Math.max(1, Math.min(50, Math.ceil(limit / 20)));

export const hourlyLimit = (env: Env) => {
  const n = Number(env.API_HOURLY_LIMIT);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : DEFAULT_API_HOURLY_LIMIT;
};

function report(env: Env, ip: string, t: LocalTally, limit: number, now: number): Promise<void> {
  const n = t.pending;
  t.pending = 0;
  t.lastFlush = now;
  t.inFlight = true;
  const ledger = apiRateLedger(env, ip);
  return ledger
    .add(n, limit)
    .then((answer) => {
      t.blockedUntil = answer.blockedUntil;
    })
    .catch((err) => {
      t.pending += n; // reported with the next batch
      console.error("hourly API tally report failed", err);
    })
    .finally(() => {
      t.inFlight = false;
    });
}

function hourlyCheck(env: Env, ip: string, waitUntil: (p: Promise<unknown>) => void): void {
  if (!env.API_RATE) return;
  const now = Date.now();
  const limit = hourlyLimit(env);
  let t = tallies.get(ip);
  const firstSight = !t;
  if (!t) {
    if (tallies.size >= MAX_TRACKED_IPS) {
      // forget the quietest entries (their counts were reported, or are a batch at most)
      for (const [k, v] of tallies) {
        if (v.inFlight || v.blockedUntil >= now) continue;
        if (v.pending) waitUntil(report(env, k, v, limit, now));
        tallies.delete(k);
      }
    }
    t = { pending: 0, lastFlush: now, blockedUntil: 0, inFlight: false };
    tallies.set(ip, t);
  }
  if (t.blockedUntil > now) {
    throw new ApiError(429, `Too many requests: at most ${limit} per hour from one IP address`, {
      "retry-after": String(Math.ceil((t.blockedUntil - now) / 1000)),
    });
  }
  t.pending++;
  if (!t.inFlight && (firstSight || t.pending >= batchOf(limit) || now - t.lastFlush >= FLUSH_MS)) {
    waitUntil(report(env, ip, t, limit, now));
  }
}

/** Test hook: forgets this isolate's local tallies. */
export const resetLocalTallies = () => tallies.clear();

/**
 * 004's "1000 requests per hour per IP": the hourly tally above, plus the
 * API_LIMITER binding (1000 per minute) that stops a burst at once, before
 * any report could.
 */
export async function checkApiRate(env: Env, request: Request, waitUntil: (p: Promise<unknown>) => void = () => {}): Promise<void> {
  const ip = clientIp(request);
  if (exempt(env, ip)) return;
  if (!(await allowed(env.API_LIMITER, `api:${ip}`))) {
    throw new ApiError(429, "Too many requests: slow down", { "retry-after": "60" });
  }
  hourlyCheck(env, ip!, waitUntil);
}

/** 10 connection attempts per minute per client IP. */
export async function connectAllowed(env: Env, request: Request): Promise<boolean> {
  const ip = clientIp(request);
  if (exempt(env, ip)) return true;
  return allowed(env.CONNECT_LIMITER, `connect:${ip}`);
}

/** 100 messages per minute per user. */
export async function checkMessageRate(env: Env, userId: string): Promise<void> {
  if (!(await allowed(env.MESSAGE_LIMITER, `msg:${userId}`))) {
    throw new ApiError(429, "Rate limit exceeded: at most 100 messages per minute", { "retry-after": "60" });
  }
}

/** Lookups of people per user (search, phone filter and status, adding a contact or a friend). */
export const LOOKUPS_PER_MINUTE = 60;

/** 60 lookups per minute per user (README "Rate limits"). */
export async function checkLookupRate(env: Env, userId: string): Promise<void> {
  if (!(await allowed(env.LOOKUP_LIMITER, `lookup:${userId}`))) {
    throw new ApiError(429, `Too many lookups: at most ${LOOKUPS_PER_MINUTE} per minute`, { "retry-after": "60" });
  }
}

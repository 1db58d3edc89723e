/**
 * 004's rate limits: messages per user, API requests and connection attempts
 * per client IP. Counted by Workers Rate Limiting bindings (no Durable Object
 * or D1 round trip on the hot path). IPs in RATE_LIMIT_EXEMPT_IPS (loopback in
 * local dev) are not limited per IP.
 */
import type { Env } from "../env";
import { ApiError } from "./errors";

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

/** 1000 API requests per client IP (see README for the window). */
export async function checkApiRate(env: Env, request: Request): Promise<void> {
  const ip = clientIp(request);
  if (exempt(env, ip)) return;
  if (!(await allowed(env.API_LIMITER, `api:${ip}`))) {
    throw new ApiError(429, "Too many requests: slow down", { "retry-after": "60" });
  }
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

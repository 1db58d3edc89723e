/** Helpers for Workers-pool tests: requests through the real Worker entry. */
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { conversations, users } from "../../src/db/schema";
import { pairKey } from "../../src/domain/conversations";

import type { SocketContext } from "../../src/realtime/events";
import { handlerFor } from "../../src/realtime/handlers";
import { createApp } from "../../src/app";
import { objectId, uuid } from "../../src/lib/ids";
import { roomStub } from "./objects";

export const BASE = "http://example.com";

export interface JsonResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = any>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: BodyInit | undefined;
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.form) {
    body = new URLSearchParams(opts.form);
    headers["content-type"] = "application/x-www-form-urlencoded";
  } else if (opts.body !== undefined) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, body }));
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}

let counter = 0;
const phoneBase = Math.floor(Math.random() * 900_000);
/** A unique US phone number per call (202-5xx-xxxx), as a client would type it. */
export function uniquePhone(): string {
  counter++;
  return `2025${String((phoneBase + counter) % 1_000_000).padStart(6, "0")}`;
}

export interface TestUser {
  _id: string;
  userId: string;
  name: string;
  email: string;
  phoneNumber: string;
  token: string;
  password: string;
}

/** Registers a fresh user (000 JSON) and returns its data and token. */
export async function registerUser(overrides: Partial<{ name: string; email: string; phoneNumber: string; password: string }> = {}): Promise<TestUser> {
  const tag = crypto.randomUUID().slice(0, 8);
  const input = {
    name: overrides.name ?? `User ${tag}`,
    email: overrides.email ?? `user-${tag}@example.com`,
    phoneNumber: overrides.phoneNumber ?? uniquePhone(),
    password: overrides.password ?? "password123",
  };
  const res = await api("POST", "/api/auth/register", { body: input });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body.data, password: input.password };
}

/**
 * A user created straight through the domain layer (no password, so no KDF
 * cost) with a real signed token. For tests that are not about credentials.
 */
export async function makeUser(overrides: Partial<{ name: string; email: string; phoneNumber: string; timezone: string }> = {}): Promise<TestUser> {
  const { env } = await import("cloudflare:workers");
  const { createDb } = await import("../../src/db/client");
  const { createUser } = await import("../../src/domain/users");
  const { issueToken } = await import("../../src/lib/tokens");
  const { normalizePhone } = await import("../../src/lib/phone");
  const tag = crypto.randomUUID().slice(0, 8);
  const phone = overrides.phoneNumber ?? uniquePhone();
  const user = await createUser(createDb(env.DB), {
    name: overrides.name ?? `User ${tag}`,
    email: overrides.email ?? `user-${tag}@example.com`,
    phoneNumber: normalizePhone(phone, "US"),
    timezone: overrides.timezone,
  });
  // as registration does: the token counts as a fresh login
  const token = await issueToken(env, { sub: user.id, uid: user.userId, dlc: "standard", authTime: Math.floor(Date.now() / 1000) });
  return {
    _id: user.id,
    userId: user.userId,
    name: user.name,
    email: user.email!,
    phoneNumber: user.phoneNumber!,
    token,
    password: "",
  };
}

/**
 * A SocketContext for driving registered socket handlers directly (no
 * transport): `call(event, payload)` runs the handler, `of(event)` lists what
 * was emitted to this connection.
 */
export function fakeSocket(u: TestUser, dialect: SocketContext["dialect"] = "standard") {
  const emitted: [string, ...unknown[]][] = [];
  const ctx: SocketContext = {
    env,
    db: createDb(env.DB),
    userId: u._id,
    userUuid: u.userId,
    dialect,
    sid: crypto.randomUUID().replace(/-/g, ""),
    pid: crypto.randomUUID(),
    nsp: "/",
    emit: (event, ...args) => void emitted.push([event, ...args]),
  };
  const of = (event: string) => emitted.filter((e) => e[0] === event).map((e) => e[1]);
  const call = (event: string, payload?: unknown) => {
    const handler = handlerFor(event);
    if (!handler) throw new Error(`no handler for ${event}`);
    return Promise.resolve(handler(ctx, payload)) as Promise<any>;
  };
  return { ctx, emitted, of, call };
}

/** A stored message row, as the conversation's room keeps it (src/db/room-schema.ts). */
export type StoredMessage = {
  seq: number;
  id: string;
  sender_id: string;
  text: string;
  delivered_at: number | null;
  deleted: number;
};

/** Every message stored in a conversation's room, in seq order. */
export async function roomMessages(conversationId: string): Promise<StoredMessage[]> {
  return runInDurableObject(roomStub(conversationId), (_room, state) =>
    state.storage.sql.exec<StoredMessage>("SELECT * FROM messages ORDER BY seq").toArray(),
  );
}

/** Every message stored between two users (their 1-on-1 conversation; none when they never talked). */
export async function pairMessages(aId: string, bId: string): Promise<StoredMessage[]> {
  const row = await createDb(env.DB).select({ id: conversations.id }).from(conversations).where(eq(conversations.pairKey, pairKey(aId, bId))).get();
  return row ? roomMessages(row.id) : [];
}

/**
 * The local rate limiter counts in windows aligned to the clock's minutes: a
 * test that must stay within one window starts at the beginning of a fresh
 * one when fewer than `needMs` are left in the current one.
 */
export async function withinOneRateWindow(needMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** `n` plain user rows, inserted in one batch (no token needed). */
export async function insertUsers(n: number, isOnline = false) {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: objectId(),
    userId: uuid(),
    name: `Bulk ${String(i).padStart(3, "0")}`,
    username: `bulk-${crypto.randomUUID().slice(0, 13)}`,
    isOnline,
  }));
  const d = createDb(env.DB);
  await d.batch(rows.map((r) => d.insert(users).values(r)) as [any, ...any[]]);
  return rows;
}

/**
 * The REST app over a D1 binding that counts the statements it runs (a batch
 * counts once: it is one round trip).
 */
export function countingApp() {
  const counter = { roundTrips: 0 };
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => wrap(target.bind(...args));
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "all" || prop === "run" || prop === "raw" || prop === "first") {
          return (...args: unknown[]) => {
            counter.roundTrips++;
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
    real.set(proxy, stmt);
    return proxy;
  };
  const DB = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query));
      if (prop === "batch")
        return (stmts: D1PreparedStatement[]) => {
          counter.roundTrips++;
          return target.batch(stmts.map((s) => real.get(s) ?? s));
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const app = createApp();
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    counter.roundTrips = 0;
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await app.fetch(
      new Request(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
      { ...env, DB },
      { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
    );
    return { status: res.status, body: (await res.json()) as any, roundTrips: counter.roundTrips };
  };
  return call;
}

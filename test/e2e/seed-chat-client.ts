/**
 * Helpers for the seed conformance tests (001, 003, 004): a fetch wrapper
 * that can send exactly what a client of each document sends (JSON, forms,
 * malformed bodies, odd content types), users obtained the documented way,
 * and assertions on the one error body.
 */
import { expect } from "vitest";
import { baseUrl, register } from "./client";

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface CallOptions {
  token?: string;
  /** serialised with JSON.stringify, `Content-Type: application/json` */
  json?: unknown;
  /** `application/x-www-form-urlencoded` */
  form?: Record<string, string>;
  /** sent as is (with `contentType`, when given) */
  raw?: BodyInit;
  contentType?: string;
  headers?: Record<string, string>;
}

export async function call<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: BodyInit | undefined;
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers["content-type"] = "application/json";
  } else if (opts.form) {
    body = new URLSearchParams(opts.form);
  } else if (opts.raw !== undefined) {
    body = opts.raw;
  }
  if (opts.contentType) headers["content-type"] = opts.contentType;
  const res = await fetch(`${baseUrl()}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers, text };
}

/**
 * The one error body (CONTRACT.md): `{success:false, statusCode, message, error, detail}`,
 * with the status repeated and a message naming the problem (matched by `mentions`).
 */
export function expectError(r: Reply, status: number, mentions?: RegExp | string) {
  expect(r.status, r.text).toBe(status);
  expect(r.body).toEqual({
    success: false,
    statusCode: status,
    message: expect.any(String),
    error: expect.any(String),
    detail: r.body?.message,
  });
  expect(r.body.message.length).toBeGreaterThan(0);
  if (mentions !== undefined) {
    if (typeof mentions === "string") expect(r.body.message).toContain(mentions);
    else expect(r.body.message).toMatch(mentions);
  }
}

export const tag = () => Math.random().toString(36).slice(2, 10);

export interface ChatSocketUser {
  email: string;
  name: string;
  token: string;
  _id: string;
  userId: string;
}

/** 004: `POST /api/auth/login` with the urlencoded form `email, name` (login-or-register). */
export async function formLogin(name = "Form User", extra: Record<string, string> = {}): Promise<ChatSocketUser> {
  const email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, ".").replace(/^\.|\.$/g, "")}.${tag()}@example.com`;
  const r = await call("POST", "/api/auth/login", { form: { email, name, ...extra } });
  expect(r.status, r.text).toBe(200);
  return { email, name, token: r.body.access_token, _id: r.body.user._id, userId: r.body.user.userId };
}

/** A standard-dialect user (000 registration), as the clients of 001 and 003 hold. */
export async function standardUser(name = "Std User") {
  return register(name);
}

/** A 24-hex id that names nothing (time part in 2001). */
export const unknownHexId = () => `3b000000${Array.from({ length: 16 }, () => Math.floor(Math.random() * 16).toString(16)).join("")}`;
/** A UUID v4 that names nobody. */
export const unknownUuid = () => crypto.randomUUID();

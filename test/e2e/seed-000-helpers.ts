/**
 * Helpers for the 000 conformance tests (test/e2e/seed-000-*.test.ts):
 * a raw request (any body bytes, any Content-Type), an axios-like client as
 * the 000 React example uses it, and one assertion for the error body every
 * document's client reads.
 */
import { expect } from "vitest";
import { baseUrl, http, uniquePhone } from "./client";

export const OBJECT_ID = /^[0-9a-f]{24}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

export interface Res<T = any> {
  status: number;
  body: T;
}

/** The body exactly as given (string), with the given Content-Type (or none). */
export async function raw(
  method: string,
  path: string,
  opts: { token?: string; body?: string; contentType?: string } = {},
): Promise<Res> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.contentType) headers["content-type"] = opts.contentType;
  const res = await fetch(`${baseUrl()}${path}`, { method, headers, body: opts.body });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body };
}

/**
 * The error body of every document (CONTRACT.md): `{success:false,
 * statusCode, message, error, detail}` with the given status, and a message
 * that names the problem (`mentions`).
 */
export function expectError(res: Res, status: number, mentions?: string | RegExp): void {
  const what = JSON.stringify(res.body);
  expect(res.status, what).toBe(status);
  expect(res.body, what).toMatchObject({ success: false, statusCode: status });
  expect(typeof res.body.message, what).toBe("string");
  expect(res.body.message.length, what).toBeGreaterThan(0);
  expect(typeof res.body.error, what).toBe("string");
  expect(res.body.detail, what).toBe(res.body.message);
  if (mentions !== undefined) expect(res.body.message, what).toMatch(mentions);
}

/** The 10-digit national form of a user's E.164 US number ("+12025550143" -> "2025550143"). */
export const national = (e164: string) => e164.replace(/^\+1/, "");

/** Registers through the documented 000 body; the phone is given as a US client types it. */
export async function registerAs(name: string, opts: { phoneNumber?: string; email?: string } = {}) {
  const tag = Math.random().toString(36).slice(2, 10);
  const body = {
    name,
    phoneNumber: opts.phoneNumber ?? uniquePhone(),
    email: opts.email ?? `seed000-${tag}@example.com`,
    password: "password123",
  };
  const res = await http("POST", "/api/auth/register", { body });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body.data, password: body.password, sentPhone: body.phoneNumber } as {
    _id: string;
    userId: string;
    name: string;
    email: string;
    phoneNumber: string;
    token: string;
    password: string;
    sentPhone: string;
  };
}

/** What axios rejects with for a non-2xx answer. */
export class AxiosLikeError extends Error {
  constructor(readonly response: { status: number; data: any }) {
    super(`Request failed with status code ${response.status}`);
  }
}

interface AxiosConfig {
  headers?: Record<string, string>;
}

/**
 * The calls of the 000 React example, made the way axios makes them: a JSON
 * body with `Content-Type: application/json`, axios's default Accept header,
 * the caller's headers (`Authorization: Bearer ...`), and a rejection for
 * any status outside 2xx. Absolute URLs as in the example.
 */
async function axiosRequest(method: string, url: string, data: unknown, config: AxiosConfig = {}) {
  const headers: Record<string, string> = { Accept: "application/json, text/plain, */*", ...(config.headers ?? {}) };
  let body: string | undefined;
  if (data !== undefined) {
    body = JSON.stringify(data);
    headers["Content-Type"] = "application/json";
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : "";
  } catch {}
  if (res.status < 200 || res.status >= 300) throw new AxiosLikeError({ status: res.status, data: parsed });
  return { status: res.status, data: parsed, headers: res.headers };
}

export const axios = {
  get: (url: string, config?: AxiosConfig) => axiosRequest("GET", url, undefined, config),
  delete: (url: string, config?: AxiosConfig) => axiosRequest("DELETE", url, undefined, config),
  post: (url: string, data?: unknown, config?: AxiosConfig) => axiosRequest("POST", url, data, config),
  put: (url: string, data?: unknown, config?: AxiosConfig) => axiosRequest("PUT", url, data, config),
};

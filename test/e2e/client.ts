/** Plain-HTTP client for end-to-end tests. */
import { inject } from "vitest";

export const baseUrl = () => inject("baseUrl");

export async function http<T = any>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; form?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  let body: BodyInit | undefined;
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.form) {
    body = new URLSearchParams(opts.form);
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  const res = await fetch(`${baseUrl()}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body: parsed };
}

let n = 0;
const base = Math.floor(Math.random() * 900_000);
export const uniquePhone = () => `2025${String((base + ++n) % 1_000_000).padStart(6, "0")}`;

export interface E2EUser {
  _id: string;
  userId: string;
  name: string;
  email: string;
  phoneNumber: string;
  token: string;
}

/** Registers through the public API (000). */
export async function register(name = "E2E User"): Promise<E2EUser> {
  const tag = Math.random().toString(36).slice(2, 10);
  const res = await http("POST", "/api/auth/register", {
    body: { name, email: `e2e-${tag}@example.com`, phoneNumber: uniquePhone(), password: "password123" },
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** A user made by 004's form login (passwordless in local dev); its token speaks the chat-socket dialect. */
export interface FormUser {
  _id: string;
  userId: string;
  email: string;
  name: string;
  token: string;
}

export async function formLogin(name: string, emailPrefix = "user"): Promise<FormUser> {
  const email = `${emailPrefix}-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const res = await http("POST", "/api/auth/login", { form: { email, name } });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`);
  return { _id: res.body.user._id, userId: res.body.user.userId, email, name, token: res.body.access_token };
}

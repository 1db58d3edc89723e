/**
 * Helpers for the socket conformance tests (test/e2e/seed-socket-*.test.ts):
 * users made through each document's own login, the documents' connection
 * snippets, and waits that reject on timeout.
 *
 * Tokens: 000 register/login -> `standard` dialect (001/002/003 event names);
 * 004 form login -> `chat-socket` (004 names). No test here overrides the
 * dialect unless it says so.
 */
import { expect } from "vitest";
import { http, register } from "./client";
import { type ConnectOptions, connect, type Socket, socketFor, waitFor } from "./sockets";

export const OBJECT_ID = /^[0-9a-f]{24}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

export interface SeedUser {
  _id: string;
  userId: string;
  name: string;
  email: string;
  username?: string;
  token: string;
}

/** 000 `POST /api/auth/register` (JSON): a `standard`-dialect token. */
export async function user000(name: string): Promise<SeedUser> {
  const u = await register(name);
  return { _id: u._id, userId: u.userId, name: u.name, email: u.email, username: (u as any).username, token: u.token };
}

/** 004 `POST /api/auth/login` (form `email`, `name`): a `chat-socket`-dialect token. */
export async function user004(name: string): Promise<SeedUser> {
  const email = `sock004-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const res = await http("POST", "/api/auth/login", { form: { email, name } });
  if (res.status !== 200) throw new Error(`004 login: ${res.status} ${JSON.stringify(res.body)}`);
  expect(res.body).toMatchObject({ access_token: expect.any(String), token_type: "bearer", user: { email, name } });
  return { _id: res.body.user._id, userId: res.body.user.userId, name, email, username: res.body.user.username, token: res.body.access_token };
}

/** Two users become friends (001: request + accept), so each sees the other's presence. */
export async function befriend(a: SeedUser, b: SeedUser): Promise<void> {
  const req = await http("POST", "/api/friends/requests", { token: a.token, body: { userId: b._id } });
  if (req.status !== 201) throw new Error(`friend request: ${req.status} ${JSON.stringify(req.body)}`);
  const requestId = req.body._id ?? req.body.data?._id ?? req.body.request?._id;
  const acc = await http("POST", `/api/friends/requests/${requestId}/accept`, { token: b.token });
  if (acc.status !== 200) throw new Error(`friend accept: ${acc.status} ${JSON.stringify(acc.body)}`);
}

/** The next `event` on `socket` whose first argument matches `filter`; rejects after `timeout` ms. */
export const next = (socket: Socket, event: string, filter?: (p: any) => boolean, timeout = 8000): Promise<any> =>
  waitFor(socket, event, { timeout, filter: filter ? (p: any) => filter(p) : undefined }).then((args) => args[0]);

/** Emits and resolves with the ack's first argument (rejects after `timeout` ms). */
export function emitAck(socket: Socket, event: string, ...args: unknown[]): Promise<any> {
  return socket.timeout(8000).emitWithAck(event, ...args);
}

/** A socket made exactly as a document's snippet makes it (not connected until `.connect()` when `autoConnect: false`). */
export function docSocket(token: string | undefined, opts: ConnectOptions = {}): Socket {
  return socketFor(token, opts);
}

/** Connects and waits for `connect`; rejects with the CONNECT_ERROR message. */
export const docConnect = (token: string | undefined, opts: ConnectOptions = {}): Promise<Socket> => connect(token, opts);

/**
 * Connects with listeners for the connect-time events attached BEFORE the
 * handshake (as the documents' clients attach theirs), resolving with the
 * socket and the first argument of each listed event. With `token`
 * undefined, `opts.auth` / `opts.query` are sent as given.
 */
export async function connectWith(
  token: string | undefined,
  events: string[],
  opts: ConnectOptions = {},
): Promise<{ socket: Socket; first: Record<string, any> }> {
  const socket = socketFor(token, { ...opts, autoConnect: false });
  const waits = events.map((e) => next(socket, e).then((p) => [e, p] as const));
  const connected = waitFor(socket, "connect", { timeout: 8000 });
  const failed = new Promise<never>((_, reject) => socket.once("connect_error", (err) => reject(err)));
  socket.connect();
  await Promise.race([connected, failed]);
  const first = Object.fromEntries(await Promise.all(waits));
  return { socket, first };
}

/** The error ack every event answers with on failure (CONTRACT.md error body). */
export function expectErrorAck(reply: any, status: number, message: string | RegExp): void {
  const what = JSON.stringify(reply);
  expect(reply, what).toMatchObject({ success: false, statusCode: status });
  if (typeof message === "string") expect(reply.message, what).toBe(message);
  else expect(reply.message, what).toMatch(message);
  expect(reply.detail, what).toBe(reply.message);
  expect(typeof reply.error, what).toBe("string");
}

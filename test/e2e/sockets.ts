/**
 * socket.io-client helpers for end-to-end tests against `wrangler dev`.
 *
 *   const a = await connect(user.token);                          // stock defaults: polling, then upgrade
 *   const b = await connect(user.token, { transports: ["websocket"] });
 *   const c = await connect(user.token, { placement: "query" });  // 001: io(url, { query: { token } })
 *   const [msg] = await waitFor(b, "receive_message");
 *   const err = await connectError(undefined);                    // the CONNECT_ERROR message
 *
 * Every wait rejects after a timeout instead of hanging, and every socket made
 * here is closed by `closeAll()` (call it in afterEach/afterAll).
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import { baseUrl } from "./client";

export type { Socket };

export const TRANSPORT_MODES = {
  /** the client's default: HTTP long-polling first, then upgrade to WebSocket */
  default: undefined,
  websocket: ["websocket"],
  polling: ["polling"],
} as const satisfies Record<string, string[] | undefined>;
export type TransportMode = keyof typeof TRANSPORT_MODES;

export interface ConnectOptions extends Partial<ManagerOptions & SocketOptions> {
  /** where the token goes: `auth: {token}` (000, 002, 004) or `query: {token}` (001) */
  placement?: "auth" | "query";
  /** shorthand for `transports` */
  mode?: TransportMode;
  /** ms before connect() rejects (default 8000) */
  connectTimeout?: number;
  /** namespace path (default "/") */
  nsp?: string;
}

const open = new Set<Socket>();

/** A socket.io-client socket, not yet connected (autoConnect is on unless disabled). */
export function socketFor(token: string | undefined, opts: ConnectOptions = {}): Socket {
  const { placement = "auth", mode, connectTimeout: _ct, nsp = "/", ...rest } = opts;
  const tokenOpts = token === undefined ? {} : placement === "query" ? { query: { ...(rest.query ?? {}), token } } : { auth: { token } };
  const socket = io(`${baseUrl()}${nsp === "/" ? "" : nsp}`, {
    forceNew: true,
    reconnection: false,
    timeout: 8000,
    ...(mode ? { transports: [...(TRANSPORT_MODES[mode] ?? ["polling", "websocket"])] } : {}),
    ...rest,
    ...tokenOpts,
  });
  open.add(socket);
  return socket;
}

/** Connects and resolves once `connect` fired; rejects with the server's message on connect_error. */
export async function connect(token: string | undefined, opts: ConnectOptions = {}): Promise<Socket> {
  const socket = socketFor(token, opts);
  const ms = opts.connectTimeout ?? 8000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      socket.close();
      reject(new Error(`socket did not connect within ${ms} ms`));
    }, ms);
    const onConnect = () => (cleanup(), resolve());
    const onError = (err: Error) => {
      cleanup();
      socket.close();
      reject(err);
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    if (socket.connected) return onConnect();
    socket.once("connect", onConnect);
    socket.once("connect_error", onError);
  });
  return socket;
}

/** Resolves with the CONNECT_ERROR `message` (rejects if the socket connects instead). */
export async function connectError(token: string | undefined, opts: ConnectOptions = {}): Promise<string> {
  try {
    const socket = await connect(token, opts);
    socket.close();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a connect_error, but the socket connected");
}

/** The next `event` on `socket` (its arguments), optionally the first one matching `filter`. */
export function waitFor<T extends unknown[] = any[]>(
  socket: Socket,
  event: string,
  opts: { timeout?: number; filter?: (...args: any[]) => boolean } = {},
): Promise<T> {
  const ms = opts.timeout ?? 5000;
  return new Promise<T>((resolve, reject) => {
    const listener = (...args: any[]) => {
      if (opts.filter && !opts.filter(...args)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no "${event}" event within ${ms} ms`));
    }, ms);
    socket.on(event, listener);
  });
}

/** Records every `event` from now on: `rec.events` holds each call's arguments. */
export function record<T extends unknown[] = any[]>(socket: Socket, event: string) {
  const events: T[] = [];
  const listener = (...args: any[]) => events.push(args as T);
  socket.on(event, listener);
  return { events, stop: () => socket.off(event, listener) };
}

/** Emits with an acknowledgement; resolves with the ack's first argument. */
export function ack<T = any>(socket: Socket, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(5000).emitWithAck(event, ...args);
}

/** Polls `check` until it returns true (rejects after `ms`). */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolves once the engine runs on WebSocket (after the upgrade, for the default mode). */
export function upgraded(socket: Socket, ms = 5000): Promise<void> {
  return eventually(() => socket.io.engine?.transport?.name === "websocket", ms, "upgrade to websocket");
}

export function closeAll(): void {
  for (const s of open) s.close();
  open.clear();
}

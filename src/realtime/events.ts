/**
 * The registry of application-level Socket.IO events.
 *
 * The gateway (EngineSession) decodes packets, authenticates the socket and
 * calls `dispatch`. Domain code registers handlers in src/realtime/handlers/*
 * and never touches framing. A handler's return value is the acknowledgement
 * reply (when the client asked for one); a thrown ApiError becomes an `error`
 * event `{message}` to the socket and, with an ack, an error body as reply.
 */
import type { Env } from "../env";
import type { Db } from "../db/client";
import type { Dialect } from "../lib/tokens";

export interface SocketContext {
  env: Env;
  db: Db;
  /** the user's `_id` */
  userId: string;
  /** the user's UUID */
  userUuid: string;
  dialect: Dialect;
  /** Engine.IO session id of this connection */
  sid: string;
  /** Socket.IO namespace ("/") */
  nsp: string;
  /** Emit to this connection only. */
  emit(event: string, ...args: unknown[]): void;
  /**
   * Emit to this connection with an acknowledgement; resolves with the
   * client's reply arguments, rejects after a timeout or when the
   * connection closes. (Optional so test doubles need not provide it; the
   * gateway always does.)
   */
  emitWithAck?(event: string, ...args: unknown[]): Promise<unknown[]>;
  /** Socket.IO socket id of this connection in `nsp` (the CONNECT answer's `sid`). */
  socketId?: string;
  /**
   * Recovery session id (Socket.IO `pid`) of this connection: stays the same
   * when a dropped connection comes back recovered, so state kept per
   * connection (joined rooms) is kept by it.
   */
  pid?: string;
}

export type EventHandler = (ctx: SocketContext, ...args: unknown[]) => Promise<unknown> | unknown;
export type ConnectHook = (ctx: SocketContext) => Promise<void> | void;
export type DisconnectHook = (ctx: SocketContext, reason: string) => Promise<void> | void;

const handlers = new Map<string, EventHandler>();
const connectHooks: ConnectHook[] = [];
const disconnectHooks: DisconnectHook[] = [];

export function onEvent(name: string, handler: EventHandler): void {
  if (handlers.has(name)) throw new Error(`socket event ${name} registered twice`);
  handlers.set(name, handler);
}
export const onConnect = (hook: ConnectHook) => void connectHooks.push(hook);
export const onDisconnect = (hook: DisconnectHook) => void disconnectHooks.push(hook);

export const handlerFor = (name: string) => handlers.get(name);
/** Names of every registered client->server event. */
export const registeredEvents = (): string[] => [...handlers.keys()];
export const connectHooksList = (): readonly ConnectHook[] => connectHooks;
export const disconnectHooksList = (): readonly DisconnectHook[] => disconnectHooks;

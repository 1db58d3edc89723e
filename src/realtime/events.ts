/**
 * What a socket handler is given and what it answers.
 *
 * The gateway (EngineSession) decodes packets, authenticates the socket and
 * hands each client->server event to the handler the handler table names
 * (src/realtime/handlers/index.ts, used by src/realtime/socket/app.ts);
 * handlers never touch framing. A handler's return value is the
 * acknowledgement reply (when the client asked for one), typed by the event
 * map (src/views/event-map.ts); a thrown ApiError becomes an `error` event
 * `{message}` to the socket and, with an ack, an error body as reply.
 */
import type { Env } from "../env";
import type { Db } from "../db/client";
import type { Dialect } from "../lib/tokens";
import type { ClientAck, ClientEventName, ServerEventName, ServerPayload } from "../views/event-map";

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
  /** Emit a server->client event of the event maps to this connection only. */
  emit<E extends ServerEventName>(event: E, payload: ServerPayload<E>): void;
  /**
   * The same, once the event's acknowledgement has been answered (right
   * away when the handler throws or there is none to answer). Optional so
   * test doubles need not provide it; the gateway always does.
   */
  emitAfterAnswer?<E extends ServerEventName>(event: E, payload: ServerPayload<E>): void;
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

/**
 * The handler of client->server event `E`: the payload arrives as the client
 * sent it (`unknown` until the handler validates it with the event's schema,
 * whose input type is the map's `payload`); it answers the map's `ack`.
 */
export type EventHandler<E extends ClientEventName = ClientEventName> = (ctx: SocketContext, payload?: unknown) => Promise<ClientAck<E>> | ClientAck<E>;
/** One handler per client->server event of the event maps. */
export type HandlerTable = { [E in ClientEventName]: EventHandler<E> };
export type ConnectHook = (ctx: SocketContext) => Promise<void> | void;
export type DisconnectHook = (ctx: SocketContext, reason: string) => Promise<void> | void;

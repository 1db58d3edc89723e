/**
 * The handler table: every client->server event of the event maps
 * (src/views/event-map.ts) and the function that serves it, plus the hooks
 * run when a connection opens and closes, in order. The socket app
 * (src/realtime/socket/app.ts) dispatches through these tables and nothing
 * else; `tsc` fails when an event of the maps has no handler or a handler
 * answers something other than the event's acknowledgement.
 */
import type { ConnectHook, DisconnectHook, EventHandler, HandlerTable } from "../events";
import { conversationHandlers } from "./conversations";
import { messagingHandlers } from "./messaging";
import { presenceHandlers, presenceOnConnect } from "./presence";
import { statusHandlers, statusOnConnect } from "./status";
import { typingHandlers, typingOnDisconnect } from "./typing";

export const SOCKET_HANDLERS: HandlerTable = {
  ...presenceHandlers,
  ...statusHandlers,
  ...messagingHandlers,
  ...typingHandlers,
  ...conversationHandlers,
};

/** Run on every new connection, in order (a failing hook emits `error` and the next one runs). */
export const CONNECT_HOOKS: ConnectHook[] = [presenceOnConnect, statusOnConnect];

/** Run when a connection closes, in order. */
export const DISCONNECT_HOOKS: DisconnectHook[] = [typingOnDisconnect];

/** The handler of a client->server event name, if the table has one. */
export const handlerFor = (name: string): EventHandler | undefined =>
  Object.hasOwn(SOCKET_HANDLERS, name) ? (SOCKET_HANDLERS as Record<string, EventHandler>)[name] : undefined;

/** Names of every handled client->server event. */
export const handledEvents = (): string[] => Object.keys(SOCKET_HANDLERS);

/**
 * The one way server code talks to connected clients: emit to a user (all of
 * their connected devices) through that user's UserHub Durable Object.
 *
 * Events are given per dialect (CONTRACT.md): connections of the `standard`
 * dialect get the 001/002 event names, `chat-socket` connections the 004
 * names. A plain list goes to every connection alike.
 */
import type { Env } from "../env";
import type { Dialect } from "../lib/tokens";
import { engineSessionStub } from "./gateway";

export type EventArgs = [event: string, ...args: unknown[]];
export type Outbound = EventArgs[] | Record<Dialect, EventArgs[]>;

export function eventsFor(out: Outbound, dialect: Dialect): EventArgs[] {
  return Array.isArray(out) ? out : out[dialect];
}

export const userHub = (env: Env, userId: string) => env.USER_HUB.get(env.USER_HUB.idFromName(userId));

/** Who among a user's connections gets an emit, and what the user's hub records with it. */
export interface EmitOptions {
  /** skip this connection (Engine.IO session id), e.g. the one that caused the event */
  exceptSid?: string | null;
  /** only the connection of this recovery session id (a room joined by one connection) */
  onlyPid?: string | null;
  /** a message this emit carries (marked delivered when it is replayed to a recovering connection) */
  delivery?: { messageId: string; conversationId: string; senderId: string; seq: number } | null;
}

/** Emits to every live connection of `userId`; resolves to the number of connections reached. */
export async function emitToUser(env: Env, userId: string, out: Outbound, opts?: EmitOptions): Promise<number> {
  return userHub(env, userId).emit(userId, out, opts);
}

export async function emitToUsers(env: Env, userIds: Iterable<string>, out: Outbound, opts?: EmitOptions): Promise<number> {
  const counts = await Promise.all([...new Set(userIds)].map((id) => emitToUser(env, id, out, opts).catch(() => 0)));
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Emits to ONE connection, by its Engine.IO session id (`SocketContext.sid`),
 * e.g. from a conversation room that tracks which connections joined it.
 * Resolves to false when that connection is gone (forget it) or has not
 * joined `nsp`.
 */
export async function emitToSession(env: Env, sid: string, events: EventArgs[], nsp = "/"): Promise<boolean> {
  return engineSessionStub(env, sid).deliver(nsp, events);
}

/**
 * The one way server code talks to connected clients: emit to a user (all of
 * their connected devices) through that user's UserHub Durable Object.
 *
 * Events are given per dialect (CONTRACT.md): connections of the `standard`
 * dialect get the 001/002 event names, `chat-socket` connections the 004
 * names. A plain list goes to every connection alike.
 */
import type { InboxEntry, MessageRecord } from "../domain/message-model";
import type { Env } from "../env";
import type { Dialect } from "../lib/tokens";
import { engineSessionStub, userHub } from "../objects/stubs";

export { userHub };

export type EventArgs = [event: string, ...args: unknown[]];
export type Outbound = EventArgs[] | Record<Dialect, EventArgs[]>;


/** Who among a user's connections gets an emit, and what the user's hub records with it. */
export interface EmitOptions {
  /** skip this connection (Engine.IO session id), e.g. the one that caused the event */
  exceptSid?: string | null;
  /** only the connection of this recovery session id (a room joined by one connection) */
  onlyPid?: string | null;
  /** a message this emit carries (marked delivered when it is replayed to a recovering connection) */
  delivery?: DeliveryTag | null;
}

/** What a recipient's hub records about a message it carries, to mark it delivered when replayed. */
export interface DeliveryTag {
  messageId: string;
  conversationId: string;
  senderId: string;
  seq: number;
}

/**
 * One call from a conversation's room to a member's UserHub: the member's
 * inbox entry for that conversation (or its removal) and/or events for the
 * member's connections. Answers the connections reached (-1 when `onlyPid`
 * names a connection the hub no longer knows).
 */
export interface HubCall {
  inbox?: InboxEntry | { conversationId: string; drop: true };
  out?: Outbound;
  opts?: EmitOptions;
  /**
   * A new message, rendered by the hub in the dialects its connections speak
   * (one record crosses the wire instead of every view of it): to a
   * recipient, or to the sender's own devices (except `exceptSid`), with
   * `message_status` "delivered" when `deliveredAt` is set.
   */
  message?: { record: MessageRecord; role: "recipient" | "sender"; exceptSid?: string | null; deliveredAt?: Date | null };
}

/** Emits to every live connection of `userId`; resolves to the number of connections reached. */
export async function emitToUser(env: Env, userId: string, out: Outbound, opts?: EmitOptions): Promise<number> {
  return userHub(env, userId).emit(out, opts);
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

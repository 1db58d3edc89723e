/**
 * What a change tells connected clients: events, per dialect where the
 * dialects differ (CONTRACT.md: `standard` connections get the 001/002
 * names, `chat-socket` connections the 004 names), and whom among a user's
 * connections they reach. Types only: the views build events, the objects
 * that own a change hand them to src/realtime/notifier.ts, which delivers.
 */
import type { Dialect } from "../lib/tokens";

export type EventArgs = [event: string, ...args: unknown[]];

/** A plain list goes to every connection alike; a record gives each dialect its own list. */
export type Outbound = EventArgs[] | Record<Dialect, EventArgs[]>;

/** What a recipient's hub records about a message it carries, to mark it delivered when replayed. */
export interface DeliveryTag {
  messageId: string;
  conversationId: string;
  senderId: string;
  seq: number;
}

/**
 * Which of a user's connections get an emit, and what the user's hub
 * records with it. Every targeting option of the product is named here.
 */
export interface Targeting {
  /** skip this connection (Engine.IO session id): the one that caused the event */
  exceptSid?: string | null;
  /** only the connection of this recovery session id (a room one connection joined) */
  onlyPid?: string | null;
  /** the message these events carry (marked delivered when replayed to a recovering connection) */
  delivery?: DeliveryTag | null;
}

/** Which of the connections joined to a conversation's room (004 `join_conversation`) get an emit. */
export interface RoomTargeting {
  /** skip the connection of this recovery session id: the one that caused the event and has its own answer */
  exceptPid?: string | null;
  /** skip every connection of this user */
  exceptUserId?: string;
}

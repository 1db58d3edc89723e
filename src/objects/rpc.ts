/**
 * What the rest of the code may call on each Durable Object, and the types
 * those calls carry. The classes implement these interfaces, so they cannot
 * drift apart; the stub factories in ./stubs.ts hand out stubs typed by them.
 * Only types live here, and nothing here imports an object's class: code
 * that calls an object depends on this file, not on the object (no import
 * circle through the objects, whatever they import themselves).
 *
 * Methods used only by the object itself, tests and diagnostics (`attach`,
 * `sweep`, `inspect`, `sessions`, `recoveryState`, `typingNow`, `joined`,
 * `deliveriesIdle`) are left out;
 * tests reach them through stubs typed by the classes (test/workers/objects.ts).
 */
import type { CatchUp, InboxEntry, MessagePage, MessageRecord, Since } from "../domain/message-model";
import type { EventArgs, Outbound, RoomTargeting, Targeting } from "../domain/outbound";
import type { MembershipChange } from "../domain/read-models";
import type { User } from "../db/schema";
import type { Dialect } from "../lib/tokens";
import type { ReadOutcome, RoomError, SendOutcome, SendRequest } from "./room-api";

/** One conversation's room (named by the conversation's `_id`): its message log, read state, typing and joined connections. */
export interface ConversationRoomRpc {
  invalidate(change?: MembershipChange): Promise<void>;
  send(req: SendRequest): Promise<SendOutcome>;
  markDelivered(seqs: number[]): Promise<void>;
  history(viewerId: string, skip: number, limit: number): Promise<MessagePage | RoomError>;
  since(viewerId: string, since: Since, limit: number): Promise<CatchUp | RoomError>;
  message(viewerId: string, messageId: string): Promise<MessageRecord | RoomError>;
  unread(viewerId: string): Promise<number | RoomError>;
  read(readerId: string, opts?: { messageId?: string } & Pick<RoomTargeting, "exceptPid">): Promise<ReadOutcome | RoomError>;
  edit(userId: string, messageId: string, text: string): Promise<MessageRecord | RoomError>;
  remove(userId: string, messageId: string): Promise<MessageRecord | RoomError>;
  typing(userId: string, on: boolean): Promise<{ typing: boolean; changed: boolean } | RoomError>;
  join(userId: string, pid: string): Promise<boolean>;
  isMember(userId: string): Promise<boolean>;
  leave(userId: string, pid: string): Promise<boolean>;
}

/** A session that joined the user's namespace, as the gateway needs it for its CONNECT answer. */
export interface OpenedSession {
  /** recovery session id (Socket.IO `pid`) */
  pid: string;
  /** the session is one that dropped, with everything it missed in `replay` */
  recovered: boolean;
  /** offset of the last event this connection has (what a direct emit carries) */
  offset: string;
  /** what the connection missed, oldest first; `event` is the JSON text of `[event, ...args]` */
  replay: { event: string; offset: string }[];
  first: boolean;
  sessions: number;
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
  opts?: Targeting;
  /**
   * A new message, rendered by the hub in the dialects its connections speak
   * (one record crosses the wire instead of every view of it): to a
   * recipient (skipped when the hub already has it: a room sends what it
   * owes again after a restart), or to the sender's own devices (except
   * `exceptSid`), with `message_status` "delivered" when `deliveredAt` is
   * set (to `exceptSid` as well when `statusToAll`).
   */
  message?: { record: MessageRecord; role: "recipient" | "sender"; deliveredAt?: Date | null; statusToAll?: boolean } & Pick<Targeting, "exceptSid">;
}

/** One user's hub (named by the user's `_id`): live sessions and presence, outbox, inbox, status timer. */
export interface UserHubRpc {
  openSession(sid: string, dialect: Dialect, recover?: { pid?: unknown; offset?: unknown }): Promise<OpenedSession>;
  detach(sid: string): Promise<{ last: boolean; sessions: number }>;
  announceStatus(user: User, at: number): Promise<number>;
  emit(out: Outbound, opts?: Targeting): Promise<number>;
  emitToPid(pid: string, out: Outbound): Promise<number | null>;
  deliver(calls: HubCall[]): Promise<number[]>;
  inbox(): Promise<InboxEntry[]>;
  unreadTotal(): Promise<number>;
  armStatusTimer(): Promise<number | null>;
}

/** One Engine.IO connection (named by its session id). */
export interface EngineSessionRpc {
  fetch(request: Request): Promise<Response>;
  deliver(nsp: string, events: EventArgs[], offsets?: (string | null)[]): Promise<boolean>;
  alive(): Promise<boolean>;
}

export interface LedgerAnswer {
  /** requests in the last hour (sliding estimate), this batch included */
  count: number;
  /** epoch ms until which the IP is over its budget (0: it is not) */
  blockedUntil: number;
}

/** One client IP's hourly API budget (named by the IP). */
export interface ApiRateLedgerRpc {
  add(n: number, limit: number, now?: number): Promise<LedgerAnswer>;
}

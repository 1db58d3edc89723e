/**
 * What EngineSession's parts (polling, WebSocket and upgrade, heartbeat)
 * share: the session's stored facts and the object they belong to. The
 * object (../engine-session.ts) builds one SessionHost over itself and hands
 * it to each part; the parts reach each other through it.
 */
import type { Env } from "../../env";
import type { Packet, Transport } from "../../realtime/engine/codec";
import type { SessionKind } from "../../realtime/gateway";
import type { HandshakeInfo } from "../../realtime/socket/types";
import type { Heartbeat } from "./attachment";

/** The session's facts, stored under `meta`. */
export interface Meta {
  sid: string;
  kind: SessionKind;
  /** the transport carrying packets now */
  transport: Transport;
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
  handshake: HandshakeInfo;
  /** Socket.IO: close unless a namespace is joined by then */
  connectDeadline: number | null;
}

export interface CloseOptions {
  /** the client asked to close (a close packet, its WebSocket closing) */
  clientInitiated?: boolean;
  /** the client is presumed dead (it missed the ping) */
  dead?: boolean;
  /** WebSocket close code */
  code?: number;
}

/** What the other parts use of the long-polling transport (./polling.ts). */
export interface PollingPart {
  /** a GET is parked, waiting for packets */
  readonly hasPendingGet: boolean;
  /** flushes the buffer to the parked GET soon */
  scheduleFlush(): void;
  /** answers the parked GET (empty) so the client moves on */
  releaseGet(): void;
  /** takes every buffered packet */
  drain(): Packet[];
}

/** What the other parts use of the WebSocket transport (./websocket.ts). */
export interface SocketsPart {
  /** the WebSocket carrying the session, once upgraded */
  main(): WebSocket | undefined;
  /** an upgrade probe is under way */
  probing(): boolean;
}

/** What the other parts use of the heartbeat (./heartbeat.ts). */
export interface HeartbeatPart {
  current(): Heartbeat;
  /** `packets` just left: if the ping awaiting its pong is among them, its timeout starts now */
  leaving(packets: Packet[]): void;
}

export interface SessionHost {
  readonly ctx: DurableObjectState;
  readonly env: Env;
  /** null before the handshake and once closed */
  readonly meta: Meta | null;
  /** closeSession has begun */
  readonly closing: boolean;
  readonly polling: PollingPart;
  readonly sockets: SocketsPart;
  readonly heartbeat: HeartbeatPart;
  /** stores `meta` as it is now */
  saveMeta(): void;
  /** an Engine.IO packet from the client, on either transport */
  onPacket(packet: Packet): void;
  /** sends packets on the current transport; false when the connection is gone */
  send(packets: Packet[]): boolean;
  closeSession(reason: string, opts?: CloseOptions): Promise<void>;
  /** sets the object's alarm to the earliest deadline (heartbeat, connect, upgrade) */
  scheduleAlarm(): void;
}

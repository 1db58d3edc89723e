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
import type { HeartbeatClock } from "./heartbeat";
import type { PollingTransport } from "./polling";
import type { WebSocketTransport } from "./websocket";

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

export interface SessionHost {
  readonly ctx: DurableObjectState;
  readonly env: Env;
  /** null before the handshake and once closed */
  readonly meta: Meta | null;
  /** closeSession has begun */
  readonly closing: boolean;
  readonly polling: PollingTransport;
  readonly sockets: WebSocketTransport;
  readonly heartbeat: HeartbeatClock;
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

/**
 * What the Socket.IO layer (server.ts) and the application on top of it
 * (app.ts, the compliance app) say to each other: the saved per-namespace
 * state, the handshake facts, the link to the Engine.IO session below, the
 * socket handle and the app's hooks. A leaf: it imports nothing.
 */
/** What the application keeps about a joined namespace (JSON-serialisable). */
export type SocketData = Record<string, unknown>;

export interface SioState {
  /** joined namespaces -> Socket.IO socket id and app data (+ recovery session id and last offset sent) */
  sockets: Record<string, { id: string; data: SocketData; pid?: string; offset?: string; noOffsets?: true }>;
}

/** An event the app replays or emits with its recovery offset. */
export interface OffsetEvent {
  event: [string, ...unknown[]];
  offset: string;
}

/** What the app's `openSession` answers: the recovery session and what the connection missed. */
export interface OpenedSocketSession {
  pid: string;
  /** offset of the last event the connection has (replay included) */
  offset: string;
  replay: OffsetEvent[];
}

/** Facts from the Engine.IO handshake request. */
export interface HandshakeInfo {
  /** query parameters of the handshake request (EIO/transport/sid/t removed) */
  query: Record<string, string>;
  /** `Authorization` header of the handshake request, if any */
  authorization?: string;
  /** the handshake's cache-busting `t` query parameter (tells python-engineio apart, see recovery-clients.ts) */
  t?: string;
  /** `User-Agent` header of the handshake request, if any */
  userAgent?: string;
}

/** What the Socket.IO layer needs from the Engine.IO session under it. */
export interface EngineLink {
  readonly sid: string;
  readonly handshake: HandshakeInfo;
  /** Sends Engine.IO message packets (text, or binary attachments). */
  send(messages: (string | ArrayBuffer | ArrayBufferView)[]): void;
  /** Closes the whole Engine.IO connection. */
  close(reason: string): void;
  /** Called once a namespace is joined (ends the connect timeout). */
  joined(): void;
  load(): SioState | undefined;
  /** Keeps the state; `offsetOnly`: only the last offset moved (the host may batch those writes). */
  save(state: SioState, offsetOnly?: boolean): void;
}

/** A joined namespace as the app sees it. */
export interface SocketHandle {
  readonly nsp: string;
  /** Socket.IO socket id (the CONNECT answer's `sid`) */
  readonly id: string;
  /** Engine.IO session id */
  readonly engineSid: string;
  readonly data: SocketData;
  readonly handshake: HandshakeInfo;
  /** recovery session id (when the app opens sessions) */
  readonly pid?: string;
  emit(event: string, ...args: unknown[]): void;
  /** Emits with an acknowledgement; resolves with the client's reply arguments. */
  emitWithAck(event: string, ...args: unknown[]): Promise<unknown[]>;
  /**
   * Server-side disconnect: sends the namespace DISCONNECT (a stock client
   * does not reconnect after it) and closes the Engine.IO connection.
   */
  disconnect(reason: string): void;
  /**
   * Closes the whole Engine.IO connection (packets already sent, e.g. an
   * ack, go out first). Unlike a namespace DISCONNECT ("io server
   * disconnect"), socket.io-client reconnects after it.
   */
  closeConnection(reason: string): void;
}

export type AuthResult = { ok: true; data: SocketData } | { ok: false; message: string };
export type Ack = (...args: unknown[]) => void;

export interface SocketApp {
  hasNamespace(nsp: string): boolean;
  authenticate(nsp: string, auth: Record<string, unknown> | undefined, handshake: HandshakeInfo): Promise<AuthResult>;
  /**
   * Optional (enables connection-state recovery): registers the connection
   * after authentication and before the CONNECT answer, recovering the
   * session named by `auth.pid` / `auth.offset` when it can. A throw answers
   * CONNECT_ERROR with its message.
   */
  openSession?(nsp: string, data: SocketData, auth: Record<string, unknown> | undefined, engineSid: string): Promise<OpenedSocketSession>;
  onConnect(socket: SocketHandle): Promise<void>;
  /** `ack` is null when the client did not ask for one. */
  onEvent(socket: SocketHandle, event: string, args: unknown[], ack: Ack | null): Promise<void>;
  onDisconnect(socket: SocketHandle, reason: string): Promise<void>;
  /** Optional: when a joined namespace's credentials run out (epoch ms), null for never. */
  expiresAt?(data: SocketData): number | null;
}

/**
 * Socket.IO v5 on one Engine.IO connection: namespaces, CONNECT with an auth
 * payload, events, acknowledgements both ways, binary attachments,
 * namespace disconnect. Wire encoding is `socket.io-parser`'s; what the
 * server does with a connection is the `SocketApp`'s (the product's
 * authenticated namespace, or the protocol-suite behaviour in compliance
 * mode).
 *
 * Packets of one connection are handled strictly in order (a CONNECT whose
 * authentication is still running is finished before the next EVENT is
 * looked at). A malformed packet, a packet for a namespace the client has
 * not joined, or a second CONNECT to a joined namespace closes this
 * connection only.
 *
 * The per-namespace state (socket id and the app's data, e.g. the user) is
 * saved through the link so that it survives hibernation; the decoder's
 * partial binary packet and the server->client acks awaiting a reply live in
 * memory only.
 *
 * Connection-state recovery (Socket.IO >= 4.6) when the app opens sessions
 * (`SocketApp.openSession`; the product does, compliance mode does not) and
 * the client takes part in it (recovery-clients.ts: not python-socketio): the
 * CONNECT answer carries the recovery session id `pid`, every EVENT without
 * an ack id carries an offset as its last argument, and a client that comes
 * back with `{pid, offset}` in its CONNECT payload gets the same `pid` (so
 * `socket.recovered` is true) followed by the events it missed, in order.
 * Events that arrive for a namespace while its CONNECT is being answered are
 * held and sent after the answer and the replay.
 *
 * What this layer and the app say to each other (SocketApp, SocketHandle,
 * the saved state, the handshake facts) is declared in types.ts, a leaf.
 */
import { Buffer } from "node:buffer";
import { Decoder, Encoder, type Packet, PacketType } from "socket.io-parser";
import { takesPartInRecovery } from "./recovery-clients";
import type { Ack, EngineLink, OpenedSocketSession, SioState, SocketApp, SocketData, SocketHandle } from "./types";

// the app's side of the contract, for the modules that import it from here
export type { Ack, AuthResult, EngineLink, HandshakeInfo, OffsetEvent, OpenedSocketSession, SioState, SocketApp, SocketData, SocketHandle } from "./types";

export class ProtocolError extends Error {}

/** How long `emitWithAck` waits for the client's reply. */
export const ACK_TIMEOUT_MS = 10_000;

const newSocketId = () => Buffer.from(crypto.getRandomValues(new Uint8Array(15))).toString("base64url");

export class SocketServer {
  private readonly decoder = new Decoder();
  private readonly encoder = new Encoder();
  private readonly state: SioState;
  private queue: Promise<void> = Promise.resolve();
  private nextAckId = 0;
  private readonly pendingAcks = new Map<number, { resolve: (args: unknown[]) => void; reject: (e: Error) => void }>();
  /** namespaces whose CONNECT is being answered -> events held until then */
  private readonly connecting = new Map<string, { event: string; args: unknown[]; offset?: string }[]>();
  private closed = false;

  constructor(
    private readonly link: EngineLink,
    private readonly app: SocketApp,
  ) {
    this.state = link.load() ?? { sockets: {} };
    this.decoder.on("decoded", (packet: Packet) => {
      const problem = invalidPacket(packet);
      if (problem) throw new ProtocolError(problem);
      // Acks are answers a running handler may be waiting for: never queue them behind it.
      if (packet.type === PacketType.ACK || packet.type === PacketType.BINARY_ACK) this.onAck(packet);
      else this.enqueue(() => this.handle(packet));
    });
  }

  /** Joined namespaces. */
  namespaces(): string[] {
    return Object.keys(this.state.sockets);
  }

  /** The namespace is joined, or being joined (events for it are held until the CONNECT answer). */
  accepts(nsp: string): boolean {
    return !this.closed && (!!this.state.sockets[nsp] || this.connecting.has(nsp));
  }

  /** One Engine.IO message from the client. Throws ProtocolError when malformed. */
  receive(data: string | ArrayBuffer): void {
    if (this.closed) return;
    try {
      this.decoder.add(data);
    } catch (err) {
      throw err instanceof ProtocolError ? err : new ProtocolError((err as Error).message);
    }
  }

  /**
   * Emits an event to a joined namespace; false when it is not joined. With
   * recovery on, the event carries `offset` (an event of the app's log), or
   * else the last offset this connection got (a direct emit).
   */
  emit(nsp: string, event: string, args: unknown[], offset?: string): boolean {
    if (this.closed) return false;
    const held = this.connecting.get(nsp);
    if (held) {
      held.push({ event, args, offset });
      return true;
    }
    const socket = this.state.sockets[nsp];
    if (!socket) return false;
    if (socket.pid && !socket.noOffsets) {
      const moved = offset !== undefined && offset !== socket.offset;
      if (moved) socket.offset = offset;
      this.sendPacket({ type: PacketType.EVENT, nsp, data: [event, ...args, socket.offset ?? "0"] });
      // saved after the packet left: a storage write holds back only what is sent after it
      if (moved) this.link.save(this.state, true);
    } else {
      this.sendPacket({ type: PacketType.EVENT, nsp, data: [event, ...args] });
    }
    return true;
  }

  emitWithAck(nsp: string, event: string, args: unknown[], timeoutMs = ACK_TIMEOUT_MS): Promise<unknown[]> {
    if (this.closed || !this.state.sockets[nsp]) return Promise.reject(new Error(`namespace ${nsp} is not connected`));
    const id = this.nextAckId++;
    return new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(id);
        reject(new Error(`no acknowledgement for ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingAcks.set(id, {
        resolve: (a) => (clearTimeout(timer), resolve(a)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.sendPacket({ type: PacketType.EVENT, nsp, id, data: [event, ...args] });
    });
  }

  /**
   * The Engine.IO connection is gone: every joined namespace is
   * disconnected (after the packet being handled, if any).
   */
  close(reason: string): Promise<void> {
    if (this.closed) return this.queue;
    this.closed = true;
    for (const [, p] of this.pendingAcks) p.reject(new Error(`connection closed (${reason})`));
    this.pendingAcks.clear();
    this.decoder.destroy();
    const sockets = Object.entries(this.state.sockets);
    this.queue = this.queue.then(async () => {
      for (const [nsp, s] of sockets) {
        await this.app.onDisconnect(this.handle_(nsp, s.id, s.data, s.pid), reason).catch((err) => console.error("disconnect handler failed", err));
      }
    });
    return this.queue;
  }

  /** The earliest time a joined namespace's credentials run out (epoch ms), null when none do. */
  expiresAt(): number | null {
    if (!this.app.expiresAt) return null;
    let earliest: number | null = null;
    for (const s of Object.values(this.state.sockets)) {
      const at = this.app.expiresAt(s.data);
      if (at !== null && (earliest === null || at < earliest)) earliest = at;
    }
    return earliest;
  }

  /** Resolves when every packet received so far has been handled. */
  idle(): Promise<void> {
    return this.queue;
  }

  private enqueue(task: () => Promise<void>) {
    this.queue = this.queue.then(task).catch((err) => {
      console.error("socket packet handling failed", err);
    });
  }

  private async handle(packet: Packet): Promise<void> {
    if (this.closed) return;
    const joined = this.state.sockets[packet.nsp];
    if (packet.type === PacketType.CONNECT) {
      if (joined) return this.link.close("invalid state: already connected to " + packet.nsp);
      return this.connect(packet.nsp, packet.data);
    }
    if (!joined) return this.link.close(`invalid state: packet for namespace ${packet.nsp} before CONNECT`);
    const socket = this.handle_(packet.nsp, joined.id, joined.data, joined.pid);
    switch (packet.type) {
      case PacketType.DISCONNECT:
        delete this.state.sockets[packet.nsp];
        this.link.save(this.state);
        await this.app.onDisconnect(socket, "client namespace disconnect");
        return;
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT: {
        const [name, ...args] = packet.data as [string | number, ...unknown[]];
        await this.app.onEvent(socket, String(name), args, packet.id === undefined ? null : this.ackFor(packet.nsp, packet.id));
        return;
      }
      default:
        return this.link.close(`invalid state: unexpected packet type ${packet.type}`);
    }
  }

  private onAck(packet: Packet) {
    if (!this.state.sockets[packet.nsp]) throw new ProtocolError(`ACK for namespace ${packet.nsp} before CONNECT`);
    const pending = this.pendingAcks.get(packet.id!);
    if (!pending) return; // late (timed out) or unknown: ignored
    this.pendingAcks.delete(packet.id!);
    pending.resolve(packet.data as unknown[]);
  }

  private async connect(nsp: string, auth: unknown) {
    if (!this.app.hasNamespace(nsp)) {
      this.sendPacket({ type: PacketType.CONNECT_ERROR, nsp, data: { message: "Invalid namespace" } });
      return;
    }
    const payload = auth as Record<string, unknown> | undefined;
    const result = await this.app.authenticate(nsp, payload, this.link.handshake);
    if (this.closed) return;
    if (!result.ok) {
      this.sendPacket({ type: PacketType.CONNECT_ERROR, nsp, data: { message: result.message } });
      return;
    }
    const id = newSocketId();
    let session: OpenedSocketSession | null = null;
    if (this.app.openSession) {
      this.connecting.set(nsp, []);
      try {
        session = await this.app.openSession(nsp, result.data, payload, this.link.sid);
      } catch (err) {
        this.connecting.delete(nsp);
        if (!this.closed) this.sendPacket({ type: PacketType.CONNECT_ERROR, nsp, data: { message: (err as Error).message } });
        return;
      }
      if (this.closed) {
        // the connection went away meanwhile: undo the registration
        this.connecting.delete(nsp);
        await this.app.onDisconnect(this.handle_(nsp, id, result.data, session.pid), "transport close");
        return;
      }
    }
    // The session (pid) also names the connection inside the app (rooms); the
    // client only sees it, and offsets, when it takes part in recovery.
    const recovery = !!session && takesPartInRecovery(this.link.handshake, payload);
    this.state.sockets[nsp] = session
      ? { id, data: result.data, pid: session.pid, offset: session.offset, ...(recovery ? {} : { noOffsets: true as const }) }
      : { id, data: result.data };
    this.link.save(this.state);
    this.sendPacket({ type: PacketType.CONNECT, nsp, data: session && recovery ? { sid: id, pid: session.pid } : { sid: id } });
    if (session) {
      const held = this.connecting.get(nsp) ?? [];
      this.connecting.delete(nsp);
      for (const { event, offset } of session.replay) this.emit(nsp, event[0], event.slice(1), offset);
      for (const e of held) this.emit(nsp, e.event, e.args, e.offset);
    }
    this.link.joined();
    await this.app.onConnect(this.handle_(nsp, id, result.data, session?.pid));
  }

  private ackFor(nsp: string, id: number): Ack {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent || this.closed) return;
      sent = true;
      this.sendPacket({ type: PacketType.ACK, nsp, id, data: args });
    };
  }

  private sendPacket(packet: Packet) {
    this.link.send(this.encoder.encode(packet));
  }

  private handle_(nsp: string, id: string, data: SocketData, pid?: string): SocketHandle {
    return {
      nsp,
      id,
      data,
      pid,
      engineSid: this.link.sid,
      handshake: this.link.handshake,
      emit: (event, ...args) => void this.emit(nsp, event, args),
      emitWithAck: (event, ...args) => this.emitWithAck(nsp, event, args),
      disconnect: (reason) => {
        if (this.closed) return;
        this.sendPacket({ type: PacketType.DISCONNECT, nsp });
        this.link.close(reason);
      },
      closeConnection: (reason) => this.link.close(reason),
    };
  }
}

/** Rules the parser leaves to the server; a reason string means "close the connection". */
function invalidPacket(p: Packet): string | null {
  switch (p.type) {
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT:
      if (!Array.isArray(p.data) || p.data.length === 0) return "EVENT payload must be a non-empty array";
      return null;
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      if (p.id === undefined || !Number.isSafeInteger(p.id)) return "ACK without a valid id";
      if (!Array.isArray(p.data)) return "ACK payload must be an array";
      return null;
    case PacketType.CONNECT:
      if (p.data !== undefined && (typeof p.data !== "object" || p.data === null || Array.isArray(p.data))) return "CONNECT payload must be an object";
      return null;
    case PacketType.DISCONNECT:
      return null;
    default:
      return `packet type ${p.type} is not accepted from a client`;
  }
}

/**
 * EngineSession: one Durable Object per Engine.IO connection, addressed by
 * the session id (`idFromName(sid)`, see src/realtime/gateway.ts).
 *
 * Owns the connection's transports and the Socket.IO session on top. The
 * transports follow engine.io's own lines, one module each under ./engine/:
 * - polling.ts: HTTP long-polling (one GET held open, one POST in flight);
 * - websocket.ts: WebSocket with the hibernation API, and the polling ->
 *   WebSocket upgrade (`2probe` / `3probe` / `5`);
 * - heartbeat.ts: `2` every pingInterval, close when no `3` arrives in time;
 * and the Socket.IO session on top, with its saved state (sio-session.ts).
 * This object keeps the entry points (fetch, the WebSocket handlers, the
 * alarm, the RPC methods), the session's facts (`meta`) and closing. The alarm runs the heartbeat and also
 * enforces Socket.IO's connect timeout and the upgrade timeout, and notices
 * a WebSocket lost across a restart.
 *
 * Closing deletes all of the object's storage (an unknown sid and a closed
 * one are the same 400 to a client).
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { drainBody } from "../lib/body-limit";
import { config } from "../lib/config";
import { echoEngineApp } from "../realtime/compliance";
import type { EventArgs } from "../domain/outbound";
import { encodeFrame, encodePayloadText, openPacket, type Packet, type Transport } from "../realtime/engine/codec";
import { ENGINE_ERRORS, engineError, GATEWAY_HEADERS, type SessionKind } from "../realtime/gateway";
import { ProtocolError, type SocketServer } from "../realtime/socket/server";
import { HeartbeatClock } from "./engine/heartbeat";
import type { CloseOptions, Meta, SessionHost } from "./engine/host";
import { PollingTransport, textResponse } from "./engine/polling";
import { SioSession } from "./engine/sio-session";
import { safeClose, UPGRADE_SETTLE_MS, WebSocketTransport } from "./engine/websocket";

import type { EngineSessionRpc } from "./rpc";
export { PONG_TRANSIT_MS } from "./engine/heartbeat";
export { UPGRADE_SETTLE_MS, UPGRADE_TIMEOUT_MS } from "./engine/websocket";

const QUERY_NOISE = new Set(["EIO", "transport", "sid", "t", "b64", "j"]);

export class EngineSession extends DurableObject<Env> implements EngineSessionRpc {
  private meta: Meta | null;
  private closing = false;
  private alarmAt: number | null = null;
  /**
   * The session closed a WebSocket that never delivered a message (e.g. a
   * client that opened it and stayed silent until a timeout). workerd does
   * not release such a hibernatable WebSocket when the client answers the
   * close frame: it keeps the TCP connection until the idle object is torn
   * down (~10 s later), so the client would not see the connection end. Once
   * the client's close arrives, the finished object resets itself, which
   * releases it at once.
   */
  private resetOnCloseReply = false;
  /** what the transports and the heartbeat see of this object */
  private readonly host: SessionHost;
  private readonly polling: PollingTransport;
  private readonly sockets: WebSocketTransport;
  private readonly heartbeat: HeartbeatClock;
  private readonly socketIo: SioSession;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.meta = ctx.storage.kv.get<Meta>("meta") ?? null;
    const self = this;
    this.host = {
      ctx,
      env,
      get meta() {
        return self.meta;
      },
      get closing() {
        return self.closing;
      },
      get polling() {
        return self.polling;
      },
      get sockets() {
        return self.sockets;
      },
      get heartbeat() {
        return self.heartbeat;
      },
      saveMeta: () => {
        if (this.meta) this.ctx.storage.kv.put("meta", this.meta);
      },
      onPacket: (packet) => this.onPacket(packet),
      send: (packets) => this.send(packets),
      closeSession: (reason, opts) => this.closeSession(reason, opts),
      scheduleAlarm: () => this.scheduleAlarm(),
    };
    this.polling = new PollingTransport(this.host);
    this.sockets = new WebSocketTransport(this.host);
    this.heartbeat = new HeartbeatClock(this.host);
    this.socketIo = new SioSession(this.host);
  }

  // ---- requests from the gateway ----

  async fetch(request: Request): Promise<Response> {
    const response = await this.serve(request);
    // an answer that never read the body (unknown or closed session, refused POST, …) drains it first
    if (!request.bodyUsed) await drainBody(request);
    return response;
  }

  private async serve(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const transport = url.searchParams.get("transport") as Transport;
    const kind = (request.headers.get(GATEWAY_HEADERS.kind) ?? "socket") as SessionKind;
    const handshakeSid = request.headers.get(GATEWAY_HEADERS.handshakeSid);
    if (handshakeSid) return this.handshake(request, url, handshakeSid, kind, transport);

    const meta = this.meta;
    if (!meta && request.method === "GET" && transport === "polling") {
      const late = this.polling.lateAnswer(request, url.searchParams.get("sid"));
      if (late) return late;
    }
    if (!meta || this.closing || meta.kind !== kind) return engineError(request, ENGINE_ERRORS.sessionUnknown);
    if (this.heartbeat.overdue(Date.now(), true)) {
      // The alarm is about to close it; a late client must not see it alive.
      await this.closeSession("ping timeout", { dead: true });
      return engineError(request, ENGINE_ERRORS.sessionUnknown);
    }
    if (request.method === "GET" && meta.transport === "polling" && this.sockets.upgrading()) {
      await this.sockets.upgradeSettled(UPGRADE_SETTLE_MS);
      if (!this.meta || this.closing) return engineError(request, ENGINE_ERRORS.sessionUnknown);
    }
    if (transport === "websocket") return this.sockets.openProbe();
    if (meta.transport !== "polling") return engineError(request, ENGINE_ERRORS.badRequest);
    return request.method === "GET" ? this.polling.get(request) : this.polling.post(request);
  }

  private handshake(request: Request, url: URL, sid: string, kind: SessionKind, transport: Transport): Response {
    if (this.meta) return engineError(request, ENGINE_ERRORS.badRequest);
    const cfg = config(this.env);
    const now = Date.now();
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!QUERY_NOISE.has(k)) query[k] = v;
    const authorization = request.headers.get("authorization") ?? undefined;
    // client facts that decide whether it gets recovery offsets (socket/recovery-clients.ts)
    const t = url.searchParams.get("t") ?? undefined;
    const userAgent = request.headers.get("user-agent") ?? undefined;
    const meta: Meta = {
      sid,
      kind,
      transport,
      pingInterval: cfg.pingIntervalMs,
      pingTimeout: cfg.pingTimeoutMs,
      maxPayload: cfg.maxPayload,
      handshake: { query, ...(authorization ? { authorization } : {}), ...(t !== undefined ? { t } : {}), ...(userAgent ? { userAgent } : {}) },
      connectDeadline: kind === "socket" ? now + cfg.connectTimeoutMs : null,
    };
    this.meta = meta;
    this.ctx.storage.kv.put("meta", meta);
    const hb = this.heartbeat.first(now, meta.pingInterval);
    const open = openPacket({
      sid,
      upgrades: transport === "polling" ? ["websocket"] : [],
      pingInterval: meta.pingInterval,
      pingTimeout: meta.pingTimeout,
      maxPayload: meta.maxPayload,
    });

    if (transport === "websocket") {
      const response = this.sockets.acceptMain(open, hb);
      this.scheduleAlarm();
      return response;
    }
    this.heartbeat.save(hb);
    this.scheduleAlarm();
    return textResponse(request, encodePayloadText([open]));
  }

  // ---- WebSocket (hibernatable) ----

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.sockets.message(ws, message);
  }

  async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    safeClose(ws, code, reason);
    await this.sockets.gone(ws, "transport close");
    if (this.resetOnCloseReply && !this.meta) this.ctx.abort("engine session closed");
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    safeClose(ws, 1011, "transport error");
    await this.sockets.gone(ws, "transport error");
  }

  // ---- packets ----

  private onPacket(packet: Packet) {
    switch (packet.type) {
      case "pong":
        this.heartbeat.pong();
        return;
      case "ping":
        // Engine.IO v4 clients do not ping; answer anyway, like the reference server.
        this.send([{ type: "pong", data: packet.data }]);
        return;
      case "message":
        this.onMessage(packet.data as string | ArrayBuffer);
        return;
      case "close":
        this.ctx.waitUntil(this.closeSession("transport close", { clientInitiated: true }));
        return;
      default:
        // noop, upgrade (outside an upgrade), open: nothing to do
        return;
    }
  }

  private onMessage(data: string | ArrayBuffer) {
    if (this.meta!.kind === "engine") {
      echoEngineApp.onMessage(data, (back) => this.send([{ type: "message", data: back }]));
      return;
    }
    try {
      this.sio.receive(data);
    } catch (err) {
      if (!(err instanceof ProtocolError)) console.error("socket.io decode failed", err);
      this.ctx.waitUntil(this.closeSession(`parse error: ${(err as Error).message}`, { code: 1002 }));
    }
  }

  /** Sends packets on the current transport; false when the connection is gone. */
  private send(packets: Packet[]): boolean {
    const meta = this.meta;
    if (!meta || this.closing) return false;
    if (meta.transport === "websocket") {
      const ws = this.sockets.main();
      if (!ws) {
        this.ctx.waitUntil(this.closeSession("transport close"));
        return false;
      }
      for (const p of packets) ws.send(encodeFrame(p));
      return true;
    }
    this.polling.push(packets);
    return true;
  }

  // ---- Socket.IO (./engine/sio-session.ts) ----

  private get sio(): SocketServer {
    return this.socketIo.get();
  }

  /**
   * RPC from UserHub (and later conversation rooms): emit events to this
   * connection's namespace. False when the connection is gone or the
   * namespace is not joined, so the caller can forget it. `offsets[i]` is
   * the recovery offset of `events[i]` (the user's outbound log position).
   */
  async deliver(nsp: string, events: EventArgs[], offsets?: (string | null)[]): Promise<boolean> {
    const meta = this.meta;
    if (!meta || this.closing || meta.kind !== "socket") return false;
    const sio = this.sio;
    if (!sio.accepts(nsp)) return false;
    if (meta.transport === "websocket" && !this.sockets.main()) {
      await this.closeSession("transport close");
      return false;
    }
    events.forEach(([event, ...args], i) => sio.emit(nsp, event, args, offsets?.[i] ?? undefined));
    return true;
  }

  /** Whether this connection is still open (the user's hub sweeps sessions whose connection is gone). */
  async alive(): Promise<boolean> {
    return !!this.meta && !this.closing;
  }

  /** For tests and diagnostics. */
  async inspect() {
    const meta = this.meta;
    return {
      open: !!meta && !this.closing,
      transport: meta?.transport ?? null,
      namespaces: meta?.kind === "socket" && !this.closing ? this.sio.namespaces() : [],
      heartbeat: meta ? this.heartbeat.current() : null,
      buffered: this.polling.buffered,
      pendingGet: this.polling.hasPendingGet,
      postInFlight: this.polling.postPending,
      alarm: await this.ctx.storage.getAlarm(),
    };
  }

  // ---- timeouts, close ----

  private scheduleAlarm() {
    const meta = this.meta;
    if (!meta || this.closing) return;
    const times = [this.heartbeat.current().at, ...this.sockets.probeDeadlines()];
    if (meta.connectDeadline !== null) times.push(meta.connectDeadline);
    const next = Math.min(...times);
    if (next === this.alarmAt) return;
    this.alarmAt = next;
    void this.ctx.storage.setAlarm(next);
  }

  async alarm(): Promise<void> {
    this.alarmAt = null;
    const meta = this.meta;
    if (!meta || this.closing) {
      await this.ctx.storage.deleteAll();
      return;
    }
    const now = Date.now();
    if (meta.transport === "websocket" && !this.sockets.main()) {
      // e.g. the runtime restarted and the socket is gone
      await this.closeSession("transport close");
      return;
    }
    this.sockets.expireProbes(now);
    if (meta.connectDeadline !== null && now >= meta.connectDeadline) {
      if (meta.kind === "socket" && this.sio.namespaces().length === 0) {
        await this.closeSession("connect timeout");
        return;
      }
      meta.connectDeadline = null;
      this.ctx.storage.kv.put("meta", meta);
    }
    if (this.heartbeat.overdue(now)) {
      await this.closeSession("ping timeout", { dead: true });
      return;
    }
    // a connection is not served past its token's exp (checked at each heartbeat; events check it themselves)
    const expiresAt = meta.kind === "socket" ? this.sio.expiresAt() : null;
    if (expiresAt !== null && now >= expiresAt) {
      await this.closeSession("token expired");
      return;
    }
    this.heartbeat.pingIfDue(now);
    this.scheduleAlarm();
  }

  /**
   * Ends the session: the polling side answers its GETs (see
   * PollingTransport.close), WebSockets are closed, every joined namespace
   * disconnects (presence detaches), and storage is wiped.
   */
  private async closeSession(reason: string, opts: CloseOptions = {}): Promise<void> {
    const meta = this.meta;
    if (!meta || this.closing) return;
    if (meta.transport === "websocket" && this.sockets.mainSilent()) this.resetOnCloseReply = true;
    const sio = meta.kind === "socket" ? this.sio : null;
    this.closing = true;
    this.sockets.notifyUpgradeSettled();
    this.polling.close(meta, opts);
    this.sockets.closeAll(opts.code ?? 1000, reason.slice(0, 120));
    this.meta = null;
    this.heartbeat.forget();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    if (sio) await sio.close(reason);
  }
}

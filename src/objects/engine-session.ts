/**
 * EngineSession: one Durable Object per Engine.IO connection, addressed by
 * the session id (`idFromName(sid)`, see src/realtime/gateway.ts).
 *
 * Owns the connection's transports and the Socket.IO session on top:
 * - HTTP long-polling: at most one GET (held open until there is something
 *   to send) and one POST in flight; packets joined by `\x1e`.
 * - WebSocket, accepted with the hibernation API: per-socket state (role,
 *   heartbeat) in `serializeAttachment`, everything else rebuilt from
 *   storage after wake-up.
 * - The polling -> WebSocket upgrade (`2probe` / `3probe` / `5`, noop to a
 *   pending GET).
 * - Heartbeat by the object's alarm: `2` every pingInterval, close when no
 *   `3` arrives within pingTimeout of the ping leaving (plus PONG_TRANSIT_MS
 *   once it has left). The alarm also enforces Socket.IO's connect timeout
 *   and the upgrade timeout, and notices a WebSocket lost across a restart.
 *
 * Closing deletes all of the object's storage (an unknown sid and a closed
 * one are the same 400 to a client).
 */
import { DurableObject } from "cloudflare:workers";
import { createDb } from "../db/client";
import type { Env } from "../env";
import { readCapped } from "../lib/body-limit";
import { config } from "../lib/config";
import { complianceSocketApp, echoEngineApp } from "../realtime/compliance";
import type { EventArgs } from "../realtime/emit";
import {
  decodeFrame,
  decodePayloadText,
  encodeFrame,
  encodePayloadText,
  frameSize,
  openPacket,
  type Packet,
  type Transport,
} from "../realtime/engine/codec";
import { corsHeaders, ENGINE_ERRORS, engineError, GATEWAY_HEADERS, type SessionKind } from "../realtime/gateway";
import { productApp } from "../realtime/socket/app";
import { type HandshakeInfo, ProtocolError, type SioState, SocketServer } from "../realtime/socket/server";

interface Meta {
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

/** `ping`: send a ping at `at`; `pong`: a ping is out, close unless the pong arrives by `at`. */
interface Heartbeat {
  phase: "ping" | "pong";
  at: number;
  /** pong phase: the ping has left (WebSocket frame, or the GET response that carried it) */
  sent?: boolean;
}

/**
 * Time a delivered ping and its pong spend in transit (proxy, Worker, the
 * session object's input and output gates), added to pingTimeout once the
 * ping has actually left. A ping still waiting for a GET keeps the plain
 * pingTimeout: a client that does not poll is late by its own doing.
 */
export const PONG_TRANSIT_MS = 100;

interface WsAttachment {
  role: "main" | "probe";
  /** heartbeat of a WebSocket session (kept with the socket so hibernation needs no storage write) */
  hb?: Heartbeat;
  /** main: the client has sent at least one message on it */
  heard?: boolean;
  /** probe: `3probe` was sent */
  probed?: boolean;
  /** probe: give up on the upgrade at this time */
  deadline?: number;
}

/** How long after a client's close a GET sent with it still gets its noop (see EngineSession.lateGet). */
const LATE_GET_MS = 1_000;

/** How long a client may take between opening the probe WebSocket and sending `5`. */
export const UPGRADE_TIMEOUT_MS = 10_000;

/**
 * A polling GET (or another WebSocket) that arrives while a probe WebSocket
 * is open waits at most this long for the upgrade to finish. The probe's
 * frames and the request reach the object by different connections, so a
 * request sent after `2probe` and `5` can arrive before them; once they are
 * handled it is answered as a request to an upgraded session (400 for a
 * GET, accepted-then-closed for a WebSocket). (A conforming client has
 * nothing to send at that point: it pauses polling before it sends `5`.)
 */
export const UPGRADE_SETTLE_MS = 100;

const QUERY_NOISE = new Set(["EIO", "transport", "sid", "t", "b64", "j"]);

const TEXT = "text/plain; charset=UTF-8";

export class EngineSession extends DurableObject<Env> {
  private meta: Meta | null;
  private hbCache: Heartbeat | null = null;
  /** outgoing packets waiting for a polling GET */
  private buffer: Packet[] = [];
  private pendingGet: { resolve: (r: Response) => void; cors: Record<string, string> } | null = null;
  private postInFlight = false;
  private flushScheduled = false;
  private closing = false;
  private alarmAt: number | null = null;
  private sioServer: SocketServer | null = null;
  /** GETs waiting for an upgrade in progress to finish (see UPGRADE_SETTLE_MS) */
  private upgradeWaiters: (() => void)[] = [];
  /**
   * What GETs arriving shortly after the session closed get, one payload
   * each. The client closed its polling session with no GET pending: a GET
   * it sent alongside the close (which may reach the object after it) gets
   * the noop it would have got had it arrived first. The server closed it
   * with packets still to deliver: they go first, the close packet in the
   * next GET.
   */
  private lateGet: { sid: string; until: number; payloads: string[] } | null = null;
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

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.meta = ctx.storage.kv.get<Meta>("meta") ?? null;
  }

  // ---- requests from the gateway ----

  async fetch(request: Request): Promise<Response> {
    const response = await this.serve(request);
    // An answer that never read the body (a POST to an unknown or closed session, to a
    // WebSocket session, a refused POST, …) drains it first: cancelling is not enough, the
    // gateway's forwarding of that body then fails after the answer, logged by workerd as an
    // uncaught "Can't read from request stream after response has been sent" (found by the
    // packet fuzz).
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
    if (!meta && this.lateGet && request.method === "GET" && transport === "polling") {
      const late = this.lateGet;
      const payload = late.payloads.shift();
      if (!late.payloads.length) this.lateGet = null;
      if (payload !== undefined && late.sid === url.searchParams.get("sid") && Date.now() <= late.until) return this.text(request, payload);
    }
    if (!meta || this.closing || meta.kind !== kind) return engineError(request, ENGINE_ERRORS.sessionUnknown);
    const hb = this.heartbeat();
    if (hb.phase === "pong" && Date.now() > hb.at) {
      // The alarm is about to close it; a late client must not see it alive.
      await this.closeSession("ping timeout", { dead: true });
      return engineError(request, ENGINE_ERRORS.sessionUnknown);
    }
    if (request.method === "GET" && meta.transport === "polling" && this.socketsBy("probe").length) {
      await this.upgradeSettled(UPGRADE_SETTLE_MS);
      if (!this.meta || this.closing) return engineError(request, ENGINE_ERRORS.sessionUnknown);
    }
    if (transport === "websocket") return this.openProbe(request);
    if (meta.transport !== "polling") return engineError(request, ENGINE_ERRORS.badRequest);
    return request.method === "GET" ? this.pollGet(request) : this.pollPost(request);
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
    const hb: Heartbeat = { phase: "ping", at: now + meta.pingInterval };
    const open = openPacket({
      sid,
      upgrades: transport === "polling" ? ["websocket"] : [],
      pingInterval: meta.pingInterval,
      pingTimeout: meta.pingTimeout,
      maxPayload: meta.maxPayload,
    });

    if (transport === "websocket") {
      const pair = new WebSocketPair();
      const [client, server] = [pair[0], pair[1]];
      this.ctx.acceptWebSocket(server);
      server.serializeAttachment({ role: "main", hb } satisfies WsAttachment);
      this.hbCache = hb;
      server.send(encodeFrame(open));
      this.scheduleAlarm();
      return new Response(null, { status: 101, webSocket: client });
    }
    this.saveHeartbeat(hb);
    this.scheduleAlarm();
    return this.text(request, encodePayloadText([open]));
  }

  // ---- HTTP long-polling ----

  private pollGet(request: Request): Response | Promise<Response> {
    if (this.pendingGet) {
      // A second concurrent GET is a protocol error: it closes the session
      // (the pending GET is completed with a close packet).
      this.ctx.waitUntil(this.closeSession("transport error: overlapping polling GET"));
      return engineError(request, ENGINE_ERRORS.badRequest);
    }
    if (this.probing()) return this.text(request, encodePayloadText([{ type: "noop" }]));
    if (this.buffer.length) return this.text(request, this.takePayload());
    return new Promise<Response>((resolve) => {
      this.pendingGet = { resolve, cors: corsHeaders(request) };
    });
  }

  private async pollPost(request: Request): Promise<Response> {
    const meta = this.meta!;
    if (request.method !== "POST") return engineError(request, ENGINE_ERRORS.badHandshakeMethod);
    if (this.postInFlight) {
      discardBody(request);
      this.ctx.waitUntil(this.closeSession("transport error: overlapping polling POST"));
      return engineError(request, ENGINE_ERRORS.badRequest);
    }
    if (Number(request.headers.get("content-length") ?? "0") > meta.maxPayload) {
      discardBody(request);
      this.ctx.waitUntil(this.closeSession("transport error: payload too large"));
      return engineError(request, { code: 3, message: "Payload too large" }, 413);
    }
    this.postInFlight = true;
    let body: string | null;
    try {
      // counted while it streams: reading stops at maxPayload bytes
      const bytes = await readCapped(request.body, meta.maxPayload, () => new PayloadTooLarge()).catch((err) => {
        if (err instanceof PayloadTooLarge) return null;
        throw err;
      });
      body = bytes && new TextDecoder().decode(bytes);
    } finally {
      this.postInFlight = false;
    }
    if (!this.meta || this.closing) return engineError(request, ENGINE_ERRORS.sessionUnknown);
    if (body === null) {
      this.ctx.waitUntil(this.closeSession("transport error: payload too large"));
      return engineError(request, { code: 3, message: "Payload too large" }, 413);
    }
    const packets = decodePayloadText(body);
    if (!packets) {
      this.ctx.waitUntil(this.closeSession("parse error"));
      return engineError(request, ENGINE_ERRORS.badRequest);
    }
    for (const p of packets) {
      if (!this.meta || this.closing) break;
      this.onPacket(p);
    }
    return this.text(request, "ok", "text/html");
  }

  /**
   * The packets of one polling response. Outside compliance mode a Socket.IO
   * CONNECT answer ends its response: the client fires `connect` before the
   * events queued behind it (connect-time events, recovery replays) arrive, so
   * a listener added once `connect` fired still gets them, as over WebSocket.
   */
  private takePayload(): string {
    const connectAt = config(this.env).compliance
      ? -1
      : this.buffer.findIndex((p) => p.type === "message" && typeof p.data === "string" && p.data.startsWith("0"));
    const cut = connectAt >= 0 ? connectAt + 1 : this.buffer.length;
    const out = this.buffer.slice(0, cut);
    this.buffer = this.buffer.slice(cut);
    this.pingLeaves(out);
    return encodePayloadText(out);
  }

  private scheduleFlush() {
    if (this.flushScheduled || !this.pendingGet) return;
    this.flushScheduled = true;
    // Packets sent in the same turn go out in one response.
    queueMicrotask(() => {
      this.flushScheduled = false;
      if (!this.pendingGet || !this.buffer.length || this.probing()) return;
      this.answerGet(this.takePayload());
    });
  }

  private answerGet(payload: string) {
    const pending = this.pendingGet;
    if (!pending) return;
    this.pendingGet = null;
    pending.resolve(new Response(payload, { status: 200, headers: { "content-type": TEXT, ...pending.cors } }));
  }

  // ---- WebSocket (hibernatable) ----

  private openProbe(request: Request): Response {
    const meta = this.meta!;
    // Already upgraded (or an upgrade under way): like the reference server,
    // accept this WebSocket and close it at once; the session carries on.
    if (meta.transport !== "polling" || this.socketsBy("probe").length) return refusedWebSocket("transport already upgraded");
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ role: "probe", probed: false, deadline: Date.now() + UPGRADE_TIMEOUT_MS } satisfies WsAttachment);
    this.scheduleAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const meta = this.meta;
    const att = ws.deserializeAttachment() as WsAttachment | null;
    if (!meta || this.closing || !att) {
      safeClose(ws, 1000, "session closed");
      return;
    }
    if (att.role === "main" && !att.heard) ws.serializeAttachment({ ...att, heard: true } satisfies WsAttachment);
    if (frameSize(message) > meta.maxPayload) {
      if (att.role === "probe") return this.abortProbe(ws, 1009, "message too big");
      await this.closeSession("transport error: message too big", { code: 1009 });
      return;
    }
    // The runtime may reuse the message's buffer once this call returns; handlers run later.
    const packet = decodeFrame(typeof message === "string" ? message : message.slice(0));
    if (att.role === "probe") return this.onProbePacket(ws, att, packet);
    if (packet.type === "error") {
      await this.closeSession("parse error", { code: 1002 });
      return;
    }
    this.onPacket(packet);
  }

  async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    safeClose(ws, code, reason);
    await this.onSocketGone(ws, "transport close");
    if (this.resetOnCloseReply && !this.meta) this.ctx.abort("engine session closed");
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    safeClose(ws, 1011, "transport error");
    await this.onSocketGone(ws, "transport error");
  }

  private async onSocketGone(ws: WebSocket, reason: string) {
    const att = ws.deserializeAttachment() as WsAttachment | null;
    if (att?.role === "probe") {
      // Upgrade abandoned: polling carries on.
      this.notifyUpgradeSettled();
      this.scheduleFlush();
      return;
    }
    if (this.meta?.transport === "websocket") await this.closeSession(reason, { clientInitiated: true });
  }

  private onProbePacket(ws: WebSocket, att: WsAttachment, packet: Packet) {
    if (packet.type === "ping" && packet.data === "probe" && !att.probed) {
      ws.send(encodeFrame({ type: "pong", data: "probe" }));
      ws.serializeAttachment({ ...att, probed: true } satisfies WsAttachment);
      // The client pauses polling: release its pending GET.
      if (this.pendingGet) this.answerGet(encodePayloadText([{ type: "noop" }]));
      return;
    }
    if (packet.type === "upgrade" && att.probed) {
      const meta = this.meta!;
      ws.serializeAttachment({ role: "main", hb: this.heartbeat(), heard: true } satisfies WsAttachment);
      meta.transport = "websocket";
      this.ctx.storage.kv.put("meta", meta);
      this.ctx.storage.kv.delete("hb");
      if (this.pendingGet) this.answerGet(encodePayloadText([{ type: "noop" }]));
      const queued = this.buffer;
      this.buffer = [];
      for (const p of queued) ws.send(encodeFrame(p));
      this.pingLeaves(queued);
      this.scheduleAlarm();
      this.notifyUpgradeSettled();
      return;
    }
    this.abortProbe(ws, 1002, "invalid upgrade");
  }

  private abortProbe(ws: WebSocket, code: number, reason: string) {
    safeClose(ws, code, reason);
    this.notifyUpgradeSettled();
    this.scheduleFlush();
  }

  /** Resolves when the upgrade in progress finishes or is abandoned, or after `ms`. */
  private upgradeSettled(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.upgradeWaiters.push(done);
    });
  }

  private notifyUpgradeSettled() {
    const waiters = this.upgradeWaiters;
    this.upgradeWaiters = [];
    for (const w of waiters) w();
  }

  private socketsBy(role: WsAttachment["role"]): WebSocket[] {
    return this.ctx.getWebSockets().filter((ws) => {
      const att = ws.deserializeAttachment() as WsAttachment | null;
      return att?.role === role && ws.readyState <= WebSocket.OPEN;
    });
  }

  private mainSocket(): WebSocket | undefined {
    return this.socketsBy("main")[0];
  }

  /** A probe answered `3probe` and the upgrade is not finished: polling gets noops. */
  private probing(): boolean {
    return this.socketsBy("probe").some((ws) => (ws.deserializeAttachment() as WsAttachment).probed);
  }

  // ---- packets ----

  private onPacket(packet: Packet) {
    switch (packet.type) {
      case "pong":
        this.saveHeartbeat({ phase: "ping", at: Date.now() + this.meta!.pingInterval });
        this.scheduleAlarm();
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
      this.sio().receive(data);
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
      const ws = this.mainSocket();
      if (!ws) {
        this.ctx.waitUntil(this.closeSession("transport close"));
        return false;
      }
      for (const p of packets) ws.send(encodeFrame(p));
      return true;
    }
    this.buffer.push(...packets);
    this.scheduleFlush();
    return true;
  }

  // ---- Socket.IO ----

  private sio(): SocketServer {
    if (this.sioServer) return this.sioServer;
    const meta = this.meta!;
    const app = config(this.env).compliance ? complianceSocketApp : productApp(this.env, createDb(this.env.DB));
    this.sioServer = new SocketServer(
      {
        sid: meta.sid,
        handshake: meta.handshake,
        send: (messages) => void this.send(messages.map((data) => ({ type: "message", data }))),
        close: (reason) => this.ctx.waitUntil(this.closeSession(reason)),
        joined: () => {
          if (this.meta && this.meta.connectDeadline !== null) {
            this.meta.connectDeadline = null;
            this.ctx.storage.kv.put("meta", this.meta);
          }
        },
        load: () => this.ctx.storage.kv.get<SioState>("sio"),
        // not waited for by what the connection sends next (the state is rewritten with every offset)
        save: (state) => {
          if (this.meta && !this.closing) void this.ctx.storage.put("sio", state, { allowUnconfirmed: true });
        },
      },
      app,
    );
    return this.sioServer;
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
    const sio = this.sio();
    if (!sio.accepts(nsp)) return false;
    if (meta.transport === "websocket" && !this.mainSocket()) {
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
      namespaces: meta?.kind === "socket" && !this.closing ? this.sio().namespaces() : [],
      heartbeat: meta ? this.heartbeat() : null,
      buffered: this.buffer.length,
      pendingGet: !!this.pendingGet,
      alarm: await this.ctx.storage.getAlarm(),
    };
  }

  // ---- heartbeat, timeouts, close ----

  private heartbeat(): Heartbeat {
    if (this.hbCache) return this.hbCache;
    const meta = this.meta;
    let hb: Heartbeat | undefined;
    if (meta?.transport === "websocket") hb = (this.mainSocket()?.deserializeAttachment() as WsAttachment | null)?.hb;
    else hb = this.ctx.storage.kv.get<Heartbeat>("hb");
    this.hbCache = hb ?? { phase: "ping", at: Date.now() + (meta?.pingInterval ?? 25_000) };
    return this.hbCache;
  }

  private saveHeartbeat(hb: Heartbeat) {
    this.hbCache = hb;
    if (!this.meta || this.closing) return;
    if (this.meta.transport === "websocket") {
      const ws = this.mainSocket();
      if (ws) ws.serializeAttachment({ ...(ws.deserializeAttachment() as WsAttachment), hb } satisfies WsAttachment);
    } else {
      this.ctx.storage.kv.put("hb", hb);
    }
  }

  private scheduleAlarm() {
    const meta = this.meta;
    if (!meta || this.closing) return;
    const times = [this.heartbeat().at];
    if (meta.connectDeadline !== null) times.push(meta.connectDeadline);
    for (const ws of this.socketsBy("probe")) {
      const d = (ws.deserializeAttachment() as WsAttachment).deadline;
      if (d) times.push(d);
    }
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
    if (meta.transport === "websocket" && !this.mainSocket()) {
      // e.g. the runtime restarted and the socket is gone
      await this.closeSession("transport close");
      return;
    }
    for (const ws of this.socketsBy("probe")) {
      const d = (ws.deserializeAttachment() as WsAttachment).deadline;
      if (d && now >= d) this.abortProbe(ws, 1000, "upgrade timeout");
    }
    if (meta.connectDeadline !== null && now >= meta.connectDeadline) {
      if (meta.kind === "socket" && this.sio().namespaces().length === 0) {
        await this.closeSession("connect timeout");
        return;
      }
      meta.connectDeadline = null;
      this.ctx.storage.kv.put("meta", meta);
    }
    const hb = this.heartbeat();
    if (hb.phase === "pong" && now >= hb.at) {
      await this.closeSession("ping timeout", { dead: true });
      return;
    }
    // a connection is not served past its token's exp (checked at each heartbeat; events check it themselves)
    const expiresAt = meta.kind === "socket" ? this.sio().expiresAt() : null;
    if (expiresAt !== null && now >= expiresAt) {
      await this.closeSession("token expired");
      return;
    }
    if (hb.phase === "ping" && now >= hb.at) {
      // pingTimeout counts from when the ping is actually sent: now over a
      // WebSocket or to a pending GET, else when a GET picks it up
      const leaves = meta.transport === "websocket" || (!!this.pendingGet && !this.probing());
      this.saveHeartbeat({ phase: "pong", at: now + meta.pingTimeout + (leaves ? PONG_TRANSIT_MS : 0), sent: leaves });
      this.send([{ type: "ping" }]);
    }
    this.scheduleAlarm();
  }

  /** `packets` just left: if the ping awaiting its pong is among them, its timeout starts now. */
  private pingLeaves(packets: Packet[]) {
    const hb = this.heartbeat();
    if (hb.phase !== "pong" || hb.sent || !packets.some((p) => p.type === "ping" && p.data === undefined)) return;
    this.saveHeartbeat({ phase: "pong", at: Date.now() + this.meta!.pingTimeout + PONG_TRANSIT_MS, sent: true });
    this.scheduleAlarm();
  }

  /**
   * Ends the session: a pending GET gets `1` (`6` when the client asked to
   * close; the 400 of an unknown session when the client is presumed dead,
   * i.e. it missed the ping), WebSockets are closed, every joined namespace
   * disconnects (presence detaches), and storage is wiped.
   */
  private async closeSession(reason: string, opts: { clientInitiated?: boolean; dead?: boolean; code?: number } = {}): Promise<void> {
    const meta = this.meta;
    if (!meta || this.closing) return;
    const main = meta.transport === "websocket" ? this.mainSocket() : undefined;
    if (main && !(main.deserializeAttachment() as WsAttachment | null)?.heard) this.resetOnCloseReply = true;
    const sio = meta.kind === "socket" ? this.sio() : null;
    this.closing = true;
    this.notifyUpgradeSettled();
    const late = (payloads: string[]) => (this.lateGet = { sid: meta.sid, until: Date.now() + LATE_GET_MS, payloads });
    if (opts.clientInitiated && meta.transport === "polling" && !this.pendingGet) late([encodePayloadText([{ type: "noop" }])]);
    if (this.pendingGet && opts.dead) {
      const pending = this.pendingGet;
      this.pendingGet = null;
      pending.resolve(engineError(pending.cors, ENGINE_ERRORS.sessionUnknown));
    }
    if (!opts.clientInitiated && !opts.dead && meta.transport === "polling" && this.buffer.length) {
      // A server-side close first delivers what was already sent (e.g. the ack explaining it), the close
      // packet in the client's NEXT poll: socket.io-client hands a payload's packets on a tick later, so
      // a close in the same payload would drop them (as the reference server, which drains first).
      const sent = encodePayloadText(this.buffer);
      const close = encodePayloadText([{ type: "close" }]);
      if (this.pendingGet) {
        this.answerGet(sent);
        late([close]);
      } else {
        late([sent, close]);
      }
    }
    if (this.pendingGet) this.answerGet(encodePayloadText([{ type: opts.clientInitiated ? "noop" : "close" }]));
    this.buffer = [];
    for (const ws of this.ctx.getWebSockets()) safeClose(ws, opts.code ?? 1000, reason.slice(0, 120));
    this.meta = null;
    this.hbCache = null;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    if (sio) await sio.close(reason);
  }

  private text(request: Request, body: string, type = TEXT): Response {
    return new Response(body, { status: 200, headers: { "content-type": type, ...corsHeaders(request) } });
  }
}

class PayloadTooLarge extends Error {}

/** A refused request's body is not kept: `fetch` drains it before answering (see there). */
function discardBody(_request: Request) {}

/** Bodies drained at most this far (chunks dropped as they come); a longer one is cancelled. */
const DRAIN_LIMIT = 4 * 1024 * 1024;

async function drainBody(request: Request): Promise<void> {
  if (!request.body) return;
  const reader = request.body.getReader();
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.byteLength;
      if (size > DRAIN_LIMIT) return void (await reader.cancel().catch(() => {}));
    }
  } catch {
    // the client went away: nothing to drain
  }
}

/**
 * A WebSocket answered and closed straight away (standard API, not
 * hibernatable: the runtime ends the connection once the close handshake
 * is done).
 */
function refusedWebSocket(reason: string): Response {
  const pair = new WebSocketPair();
  const server = pair[1];
  server.accept();
  server.close(1000, reason);
  return new Response(null, { status: 101, webSocket: pair[0] });
}

function safeClose(ws: WebSocket, code: number, reason: string) {
  const valid = code === 1000 || (code >= 3000 && code <= 4999) || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006);
  try {
    ws.close(valid ? code : 1000, reason);
  } catch {
    // already closed
  }
}

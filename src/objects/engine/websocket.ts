/**
 * Engine.IO over WebSocket, accepted with the hibernation API (per-socket
 * state, the role and a WebSocket session's heartbeat, in
 * `serializeAttachment`; everything else rebuilt from storage after
 * wake-up), and the polling -> WebSocket upgrade (`2probe` / `3probe` / `5`,
 * noop to a pending GET).
 */
import { decodeFrame, encodeFrame, frameSize, type Packet } from "../../realtime/engine/codec";
import { attachment, type Heartbeat, setAttachment, type WsAttachment } from "./attachment";
import type { SessionHost } from "./host";

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

export class WebSocketTransport {
  /** GETs waiting for an upgrade in progress to finish (see UPGRADE_SETTLE_MS) */
  private upgradeWaiters: (() => void)[] = [];
  #main: WebSocket | undefined;

  constructor(private readonly s: SessionHost) {}

  /** A session opened directly over WebSocket: the socket carrying it, with `open` already sent. */
  acceptMain(open: Packet, hb: Heartbeat): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.s.ctx.acceptWebSocket(server);
    setAttachment(server, { role: "main", hb } satisfies WsAttachment);
    server.send(encodeFrame(open));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A WebSocket to a polling session: the upgrade probe. */
  openProbe(): Response {
    const meta = this.s.meta!;
    // Already upgraded (or an upgrade under way): like the reference server,
    // accept this WebSocket and close it at once; the session carries on.
    if (meta.transport !== "polling" || this.socketsBy("probe").length) return refusedWebSocket("transport already upgraded");
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.s.ctx.acceptWebSocket(server);
    setAttachment(server, { role: "probe", probed: false, deadline: Date.now() + UPGRADE_TIMEOUT_MS } satisfies WsAttachment);
    this.s.scheduleAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  async message(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const meta = this.s.meta;
    const att = attachment(ws);
    if (!meta || this.s.closing || !att) {
      safeClose(ws, 1000, "session closed");
      return;
    }
    if (att.role === "main" && !att.heard) setAttachment(ws, { ...att, heard: true } satisfies WsAttachment);
    if (frameSize(message) > meta.maxPayload) {
      if (att.role === "probe") return this.abortProbe(ws, 1009, "message too big");
      await this.s.closeSession("transport error: message too big", { code: 1009 });
      return;
    }
    // The runtime may reuse the message's buffer once this call returns; handlers run later.
    const packet = decodeFrame(typeof message === "string" ? message : message.slice(0));
    if (att.role === "probe") return this.onProbePacket(ws, att, packet);
    if (packet.type === "error") {
      await this.s.closeSession("parse error", { code: 1002 });
      return;
    }
    this.s.onPacket(packet);
  }

  /** A socket closed or failed on the client's side. */
  async gone(ws: WebSocket, reason: string) {
    if (attachment(ws)?.role === "probe") {
      // Upgrade abandoned: polling carries on.
      this.notifyUpgradeSettled();
      this.s.polling.scheduleFlush();
      return;
    }
    if (this.s.meta?.transport === "websocket") await this.s.closeSession(reason, { clientInitiated: true });
  }

  private onProbePacket(ws: WebSocket, att: WsAttachment, packet: Packet) {
    if (packet.type === "ping" && packet.data === "probe" && !att.probed) {
      ws.send(encodeFrame({ type: "pong", data: "probe" }));
      setAttachment(ws, { ...att, probed: true } satisfies WsAttachment);
      // The client pauses polling: release its pending GET.
      this.s.polling.releaseGet();
      return;
    }
    if (packet.type === "upgrade" && att.probed) {
      const meta = this.s.meta!;
      setAttachment(ws, { role: "main", hb: this.s.heartbeat.current(), heard: true } satisfies WsAttachment);
      meta.transport = "websocket";
      this.s.saveMeta();
      this.s.ctx.storage.kv.delete("hb");
      this.s.polling.releaseGet();
      const queued = this.s.polling.drain();
      for (const p of queued) ws.send(encodeFrame(p));
      this.s.heartbeat.leaving(queued);
      this.s.scheduleAlarm();
      this.notifyUpgradeSettled();
      return;
    }
    this.abortProbe(ws, 1002, "invalid upgrade");
  }

  private abortProbe(ws: WebSocket, code: number, reason: string) {
    safeClose(ws, code, reason);
    this.notifyUpgradeSettled();
    this.s.polling.scheduleFlush();
  }

  /** Resolves when the upgrade in progress finishes or is abandoned, or after `ms`. */
  upgradeSettled(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.upgradeWaiters.push(done);
    });
  }

  notifyUpgradeSettled() {
    const waiters = this.upgradeWaiters;
    this.upgradeWaiters = [];
    for (const w of waiters) w();
  }

  private socketsBy(role: WsAttachment["role"]): WebSocket[] {
    return this.s.ctx.getWebSockets().filter((ws) => attachment(ws)?.role === role && ws.readyState <= WebSocket.OPEN);
  }

  /** The socket carrying a WebSocket session (looked up once per wake, then kept while it is open). */
  main(): WebSocket | undefined {
    if (this.#main && this.#main.readyState <= WebSocket.OPEN && attachment(this.#main)?.role === "main") return this.#main;
    this.#main = this.socketsBy("main")[0];
    return this.#main;
  }

  /** A probe WebSocket is open (an upgrade is under way). */
  upgrading(): boolean {
    return this.socketsBy("probe").length > 0;
  }

  /** A probe answered `3probe` and the upgrade is not finished: polling gets noops. */
  probing(): boolean {
    return this.socketsBy("probe").some((ws) => attachment(ws)!.probed);
  }

  /** When open upgrades time out. */
  probeDeadlines(): number[] {
    return this.socketsBy("probe").flatMap((ws) => {
      const d = attachment(ws)!.deadline;
      return d ? [d] : [];
    });
  }

  /** Alarm: gives up on upgrades past their deadline. */
  expireProbes(now: number) {
    for (const ws of this.socketsBy("probe")) {
      const d = attachment(ws)!.deadline;
      if (d && now >= d) this.abortProbe(ws, 1000, "upgrade timeout");
    }
  }

  /** The main socket is open and the client never sent a message on it. */
  mainSilent(): boolean {
    const main = this.main();
    return !!main && !attachment(main)?.heard;
  }

  closeAll(code: number, reason: string) {
    for (const ws of this.s.ctx.getWebSockets()) safeClose(ws, code, reason);
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

export function safeClose(ws: WebSocket, code: number, reason: string) {
  const valid = code === 1000 || (code >= 3000 && code <= 4999) || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006);
  try {
    ws.close(valid ? code : 1000, reason);
  } catch {
    // already closed
  }
}

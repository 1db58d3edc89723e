/**
 * Engine.IO heartbeat, driven by the session object's alarm: `2` every
 * pingInterval, close when no `3` arrives within pingTimeout of the ping
 * leaving (plus PONG_TRANSIT_MS once it has left).
 *
 * Where it is kept: on a WebSocket session with the socket
 * (`serializeAttachment`, so hibernation needs no storage write), on a
 * polling session under the `hb` storage key; cached in memory either way.
 */
import type { Packet } from "../../realtime/engine/codec";
import type { SessionHost } from "./host";
import { attachment, type Heartbeat, setAttachment, type WsAttachment } from "./attachment";

export type { Heartbeat } from "./attachment";

/** `ping`: send a ping at `at`; `pong`: a ping is out, close unless the pong arrives by `at`. */

/**
 * Time a delivered ping and its pong spend in transit (proxy, Worker, the
 * session object's input and output gates), added to pingTimeout once the
 * ping has actually left. A ping still waiting for a GET keeps the plain
 * pingTimeout: a client that does not poll is late by its own doing.
 */
export const PONG_TRANSIT_MS = 100;

export class HeartbeatClock {
  private cache: Heartbeat | null = null;

  constructor(private readonly s: SessionHost) {}

  /** The first heartbeat of a new session: the first ping one pingInterval after the handshake. */
  first(now: number, pingInterval: number): Heartbeat {
    this.cache = { phase: "ping", at: now + pingInterval };
    return this.cache;
  }

  current(): Heartbeat {
    if (this.cache) return this.cache;
    const meta = this.s.meta;
    let hb: Heartbeat | undefined;
    if (meta?.transport === "websocket") {
      const main = this.s.sockets.main();
      hb = main ? attachment(main)?.hb : undefined;
    }
    else hb = this.s.ctx.storage.kv.get<Heartbeat>("hb");
    this.cache = hb ?? { phase: "ping", at: Date.now() + (meta?.pingInterval ?? 25_000) };
    return this.cache;
  }

  save(hb: Heartbeat) {
    this.cache = hb;
    const meta = this.s.meta;
    if (!meta || this.s.closing) return;
    if (meta.transport === "websocket") {
      const ws = this.s.sockets.main();
      if (ws) setAttachment(ws, { ...(attachment(ws) as WsAttachment), hb } satisfies WsAttachment);
    } else {
      this.s.ctx.storage.kv.put("hb", hb);
    }
  }

  /** The session closed: nothing is cached any more. */
  forget() {
    this.cache = null;
  }

  /** A ping is out and its pong is overdue at `now` (`strict`: strictly after the deadline). */
  overdue(now: number, strict = false): boolean {
    const hb = this.current();
    return hb.phase === "pong" && (strict ? now > hb.at : now >= hb.at);
  }

  /** The client's `3`: the next ping is one pingInterval away. */
  pong() {
    this.save({ phase: "ping", at: Date.now() + this.s.meta!.pingInterval });
    this.s.scheduleAlarm();
  }

  /** Alarm: sends the ping when it is due. pingTimeout counts from when the ping is actually sent. */
  pingIfDue(now: number) {
    const meta = this.s.meta!;
    const hb = this.current();
    if (hb.phase !== "ping" || now < hb.at) return;
    // now over a WebSocket or to a pending GET, else when a GET picks it up
    const leaves = meta.transport === "websocket" || (this.s.polling.hasPendingGet && !this.s.sockets.probing());
    this.save({ phase: "pong", at: now + meta.pingTimeout + (leaves ? PONG_TRANSIT_MS : 0), sent: leaves });
    this.s.send([{ type: "ping" }]);
  }

  /** `packets` just left: if the ping awaiting its pong is among them, its timeout starts now. */
  leaving(packets: Packet[]) {
    const hb = this.current();
    if (hb.phase !== "pong" || hb.sent || !packets.some((p) => p.type === "ping" && p.data === undefined)) return;
    this.save({ phase: "pong", at: Date.now() + this.s.meta!.pingTimeout + PONG_TRANSIT_MS, sent: true });
    this.s.scheduleAlarm();
  }
}

/**
 * Engine.IO HTTP long-polling: at most one GET (held open until there is
 * something to send) and one POST in flight; packets joined by `\x1e`.
 * Outgoing packets wait in memory for the next GET.
 */
import { readCapped } from "../../lib/body-limit";
import { config } from "../../lib/config";
import { decodePayloadText, encodePayloadText, type Packet } from "../../realtime/engine/codec";
import { corsHeaders, ENGINE_ERRORS, engineError } from "../../realtime/gateway";
import type { CloseOptions, Meta, SessionHost } from "./host";

const TEXT = "text/plain; charset=UTF-8";

/** How long after a client's close a GET sent with it still gets its noop (see PollingTransport.lateGet). */
const LATE_GET_MS = 1_000;

export function textResponse(request: Request, body: string, type = TEXT): Response {
  return new Response(body, { status: 200, headers: { "content-type": type, ...corsHeaders(request) } });
}

export class PollingTransport {
  /** outgoing packets waiting for a polling GET */
  private buffer: Packet[] = [];
  private pendingGet: { resolve: (r: Response) => void; cors: Record<string, string> } | null = null;
  private postInFlight = false;
  private flushScheduled = false;
  /**
   * What GETs arriving shortly after the session closed get, one payload
   * each. The client closed its polling session with no GET pending: a GET
   * it sent alongside the close (which may reach the object after it) gets
   * the noop it would have got had it arrived first. The server closed it
   * with packets still to deliver: they go first, the close packet in the
   * next GET.
   */
  private lateGet: { sid: string; until: number; payloads: string[] } | null = null;

  constructor(private readonly s: SessionHost) {}

  get hasPendingGet(): boolean {
    return !!this.pendingGet;
  }

  get postPending(): boolean {
    return this.postInFlight;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /** A GET for a session that has just closed: its late payload, if it has one. */
  lateAnswer(request: Request, sid: string | null): Response | null {
    const late = this.lateGet;
    if (!late) return null;
    const payload = late.payloads.shift();
    if (!late.payloads.length) this.lateGet = null;
    if (payload !== undefined && late.sid === sid && Date.now() <= late.until) return textResponse(request, payload);
    return null;
  }

  get(request: Request): Response | Promise<Response> {
    if (this.pendingGet) {
      // A second concurrent GET is a protocol error: it closes the session
      // (the pending GET is completed with a close packet).
      this.s.ctx.waitUntil(this.s.closeSession("transport error: overlapping polling GET"));
      return engineError(request, ENGINE_ERRORS.badRequest);
    }
    if (this.s.sockets.probing()) return textResponse(request, encodePayloadText([{ type: "noop" }]));
    if (this.buffer.length) return textResponse(request, this.takePayload());
    return new Promise<Response>((resolve) => {
      this.pendingGet = { resolve, cors: corsHeaders(request) };
    });
  }

  async post(request: Request): Promise<Response> {
    const meta = this.s.meta!;
    if (request.method !== "POST") return engineError(request, ENGINE_ERRORS.badHandshakeMethod);
    if (this.postInFlight) {
      this.s.ctx.waitUntil(this.s.closeSession("transport error: overlapping polling POST"));
      return engineError(request, ENGINE_ERRORS.badRequest);
    }
    if (Number(request.headers.get("content-length") ?? "0") > meta.maxPayload) {
      this.s.ctx.waitUntil(this.s.closeSession("transport error: payload too large"));
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
    if (!this.s.meta || this.s.closing) return engineError(request, ENGINE_ERRORS.sessionUnknown);
    if (body === null) {
      this.s.ctx.waitUntil(this.s.closeSession("transport error: payload too large"));
      return engineError(request, { code: 3, message: "Payload too large" }, 413);
    }
    const packets = decodePayloadText(body);
    if (!packets) {
      this.s.ctx.waitUntil(this.s.closeSession("parse error"));
      return engineError(request, ENGINE_ERRORS.badRequest);
    }
    for (const p of packets) {
      if (!this.s.meta || this.s.closing) break;
      this.s.onPacket(p);
    }
    return textResponse(request, "ok", "text/html");
  }

  /** Queues packets for the next GET (answering a pending one in the same turn). */
  push(packets: Packet[]) {
    this.buffer.push(...packets);
    this.scheduleFlush();
  }

  /** The upgrade finished: everything queued, to go out on the WebSocket. */
  drain(): Packet[] {
    const queued = this.buffer;
    this.buffer = [];
    return queued;
  }

  /**
   * The packets of one polling response. Outside compliance mode a Socket.IO
   * CONNECT answer ends its response: the client fires `connect` before the
   * events queued behind it (connect-time events, recovery replays) arrive, so
   * a listener added once `connect` fired still gets them, as over WebSocket.
   */
  private takePayload(): string {
    const connectAt = config(this.s.env).compliance
      ? -1
      : this.buffer.findIndex((p) => p.type === "message" && typeof p.data === "string" && p.data.startsWith("0"));
    const cut = connectAt >= 0 ? connectAt + 1 : this.buffer.length;
    const out = this.buffer.slice(0, cut);
    this.buffer = this.buffer.slice(cut);
    this.s.heartbeat.leaving(out);
    return encodePayloadText(out);
  }

  scheduleFlush() {
    if (this.flushScheduled || !this.pendingGet) return;
    this.flushScheduled = true;
    // Packets sent in the same turn go out in one response.
    queueMicrotask(() => {
      this.flushScheduled = false;
      if (!this.pendingGet || !this.buffer.length || this.s.sockets.probing()) return;
      this.answerGet(this.takePayload());
    });
  }

  /** Releases a pending GET with a noop (the client pauses polling for an upgrade). */
  releaseGet() {
    if (this.pendingGet) this.answerGet(encodePayloadText([{ type: "noop" }]));
  }

  private answerGet(payload: string) {
    const pending = this.pendingGet;
    if (!pending) return;
    this.pendingGet = null;
    pending.resolve(new Response(payload, { status: 200, headers: { "content-type": TEXT, ...pending.cors } }));
  }

  /**
   * The polling side of closing the session: a pending GET gets `1` (`6`
   * when the client asked to close; the 400 of an unknown session when the
   * client is presumed dead), and GETs arriving just after get what they
   * would have (see lateGet).
   */
  close(meta: Meta, opts: CloseOptions) {
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
  }
}

class PayloadTooLarge extends Error {}

/**
 * Raw Engine.IO / Socket.IO clients for Workers-pool tests: requests go
 * through the real Worker entry (`exports.default.fetch`), WebSockets are
 * real (the 101 response's `webSocket`). Every wait rejects after a timeout
 * instead of hanging.
 */
import { exports } from "cloudflare:workers";

export const ORIGIN = "http://example.com";

export { engineStub, hubStub } from "./objects";

export interface RawResponse {
  status: number;
  body: string;
  headers: Headers;
}

export async function eio(
  query: string,
  init: { method?: string; body?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<RawResponse> {
  const res = await exports.default.fetch(
    new Request(`${ORIGIN}${init.path ?? "/socket.io/"}?${query}`, { method: init.method ?? "GET", body: init.body, headers: init.headers }),
  );
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** Opens a polling session; returns the sid and the parsed open packet. */
export async function pollingHandshake(extraQuery = "", path?: string) {
  const res = await eio(`EIO=4&transport=polling${extraQuery}`, { path });
  if (res.status !== 200 || !res.body.startsWith("0")) throw new Error(`handshake failed: ${res.status} ${res.body}`);
  const open = JSON.parse(res.body.slice(1));
  return { sid: open.sid as string, open, raw: res.body };
}

export const poll = (sid: string, path?: string) => eio(`EIO=4&transport=polling&sid=${sid}`, { path });
export const push = (sid: string, body: string, path?: string) => eio(`EIO=4&transport=polling&sid=${sid}`, { method: "POST", body, path });

/** Rejects after `ms` with a message naming what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/** Resolves once `check` holds (asked again every few ms); rejects after `ms`, naming what was awaited. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export type Frame = string | ArrayBuffer;

/** A WebSocket client with a message queue. */
export class WsClient {
  private queue: Frame[] = [];
  private waiters: { resolve: (f: Frame) => void; reject: (e: Error) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  isClosed = false;

  constructor(readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer"; // the standard default is "blob"
    ws.accept();
    ws.addEventListener("message", (e) => {
      const data = e.data as Frame;
      const w = this.waiters.shift();
      if (w) w.resolve(data);
      else this.queue.push(data);
    });
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (e) => {
        this.isClosed = true;
        for (const w of this.waiters.splice(0)) w.reject(new Error(`socket closed (${e.code}) while waiting for a message`));
        resolve({ code: e.code, reason: e.reason });
      });
    });
  }

  static async open(query: string, path = "/socket.io/"): Promise<WsClient> {
    const res = await exports.default.fetch(new Request(`${ORIGIN}${path}?${query}`, { headers: { upgrade: "websocket" } }));
    if (res.status !== 101 || !res.webSocket) throw new Error(`websocket refused: ${res.status} ${await res.text()}`);
    return new WsClient(res.webSocket);
  }

  send(frame: string | ArrayBuffer | Uint8Array) {
    this.ws.send(frame);
  }

  next(ms = 3000): Promise<Frame> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.isClosed) return Promise.reject(new Error("socket is closed"));
    return new Promise<Frame>((resolve, reject) => {
      const waiter = {
        resolve: (f: Frame) => (clearTimeout(timer), resolve(f)),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${ms} ms waiting for a WebSocket message`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  async nextText(ms = 3000): Promise<string> {
    const f = await this.next(ms);
    if (typeof f !== "string") throw new Error("expected a text frame, got binary");
    return f;
  }

  /** Skips frames until one satisfies `pred`. */
  async until(pred: (f: Frame) => boolean, ms = 3000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (pred(f)) return f;
    }
  }

  waitClosed(ms = 3000) {
    return within(this.closed, ms, "the WebSocket to close");
  }

  close() {
    try {
      this.ws.close(1000, "bye");
    } catch {}
  }
}

/** Opens a WebSocket-only Engine.IO session and reads its open packet. */
export async function wsHandshake(extraQuery = "", path?: string) {
  const client = await WsClient.open(`EIO=4&transport=websocket${extraQuery}`, path);
  const open = await client.nextText();
  if (!open.startsWith("0")) throw new Error(`expected open packet, got ${open}`);
  return { client, open: JSON.parse(open.slice(1)), sid: JSON.parse(open.slice(1)).sid as string };
}

/** Socket.IO connect over WebSocket; resolves with the CONNECT (or CONNECT_ERROR) frame. */
export async function sioWs(auth?: Record<string, unknown>, extraQuery = "") {
  const { client, sid } = await wsHandshake(extraQuery);
  client.send(auth ? `40${JSON.stringify(auth)}` : "40");
  const answer = await client.nextText();
  return { client, sid, answer };
}

/** Parses a `42[...]` text frame into [event, ...args] (null for other frames). */
export function eventOf(frame: Frame): unknown[] | null {
  if (typeof frame !== "string") return null;
  const m = /^42(\/[^,]*,)?(\d*)(\[.*)$/s.exec(frame);
  return m ? JSON.parse(m[3]) : null;
}

/** Waits for the event `name` on a raw Socket.IO WebSocket and returns its args. */
export async function nextEvent(client: WsClient, name: string, ms = 3000): Promise<unknown[]> {
  const frame = await client.until((f) => eventOf(f)?.[0] === name, ms);
  return eventOf(frame)!.slice(1);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

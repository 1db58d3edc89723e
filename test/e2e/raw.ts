/**
 * Raw protocol clients for end-to-end tests: plain `fetch` for HTTP
 * long-polling and Node's WebSocket for the WebSocket transport, so tests can
 * check the exact bytes on the wire. Every wait rejects after a timeout.
 */

export type Frame = string | ArrayBuffer;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

export interface RawResponse {
  status: number;
  body: string;
}

export async function request(base: string, path: string, init: RequestInit = {}): Promise<RawResponse> {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, body: await res.text() };
}

/** A WebSocket with a message queue (binary frames as ArrayBuffer). */
export class RawSocket {
  private queue: Frame[] = [];
  private waiters: { resolve: (f: Frame) => void; reject: (e: Error) => void }[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number }>;
  isClosed = false;

  constructor(readonly url: string) {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.opened = new Promise((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error(`WebSocket ${url} failed to open`)), { once: true });
    });
    this.opened.catch(() => {});
    ws.addEventListener("message", (e) => {
      const w = this.waiters.shift();
      if (w) w.resolve(e.data as Frame);
      else this.queue.push(e.data as Frame);
    });
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (e) => {
        this.isClosed = true;
        for (const w of this.waiters.splice(0)) w.reject(new Error(`socket closed (${e.code})`));
        resolve({ code: e.code });
      });
    });
  }

  readonly ws: WebSocket;

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
        reject(new Error(`timed out after ${ms} ms waiting for a message on ${this.url}`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  /** Next frame that is not an Engine.IO ping (answering the ping with a pong). */
  async nextNonPing(ms = 3000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (f === "2") {
        this.send("3");
        continue;
      }
      return f;
    }
  }

  waitClosed(ms = 3000) {
    return within(this.closed, ms, `${this.url} to close`);
  }

  close() {
    try {
      this.ws.close();
    } catch {}
  }
}

export const wsUrl = (base: string, path: string) => base.replace(/^http/, "ws") + path;

export const bytes = (f: Frame) => (typeof f === "string" ? f : [...new Uint8Array(f)]);

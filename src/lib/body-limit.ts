/**
 * Bounded input: every request body is limited before anything parses it
 * (Hono's `bodyLimit`: a declared Content-Length over the limit is refused
 * unread; a body without one is counted while it streams and dropped at the
 * limit). JSON (and JSON sent as text/plain) gets a tight limit, the auth
 * routes a tighter one, uploads the upload limit plus multipart framing.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { config } from "./config";
import { ApiError } from "./errors";
import type { AppEnv } from "./http";

/** Any JSON or form body outside /api/auth and /api/uploads. */
export const JSON_BODY_MAX_BYTES = 256 * 1024;
/** /api/auth/*: credentials and a profile image URL. */
export const AUTH_BODY_MAX_BYTES = 16 * 1024;
/** Multipart framing allowance on top of the upload size limit. */
export const MULTIPART_SLACK = 64 * 1024;
/** Passwords (and `currentPassword`) are at most this long on every route. */
export const PASSWORD_MAX = 200;

const isUploadPath = (p: string) => p === "/api/uploads" || p.startsWith("/api/uploads/");

export function bodyLimitFor(path: string, uploadMaxBytes: number): number {
  if (isUploadPath(path)) return uploadMaxBytes + MULTIPART_SLACK;
  if (path.startsWith("/api/auth/")) return AUTH_BODY_MAX_BYTES;
  return JSON_BODY_MAX_BYTES;
}

export const payloadTooLarge = (max: number) => new ApiError(413, `Payload too large: the body may be at most ${max} bytes`);

/** The limit for the request's route, then the text/plain-as-JSON normalisation on the bounded body. */
export const boundedBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS" || !c.req.raw.body) return next();
  const max = bodyLimitFor(c.req.path, config(c.env).uploadMaxBytes);
  const limit = bodyLimit({
    maxSize: max,
    onError: () => {
      throw payloadTooLarge(max);
    },
  });
  return limit(c, async () => {
    await normalizeJsonRequest(c);
    await next();
  });
};

/**
 * Clients that post JSON without a Content-Type (e.g. `fetch` with a string
 * body sends text/plain) are read as JSON, so the validator answers them
 * instead of a 415. Uploads are files: their bytes and declared type are
 * never touched (a text/plain file may start with "{" or not be UTF-8).
 * Runs after the limit, so the text read here is bounded.
 */
async function normalizeJsonRequest(c: Context<AppEnv>): Promise<void> {
  if (isUploadPath(c.req.path)) return;
  const type = c.req.header("content-type");
  if (type && !/^text\/plain/i.test(type)) return;
  const text = await c.req.raw.text();
  const headers = new Headers(c.req.raw.headers);
  if (/^\s*[[{]/.test(text)) headers.set("content-type", "application/json");
  c.req.raw = new Request(c.req.raw, { headers, body: text });
}

/** Reads a body, giving up (`onTooLarge`) as soon as it exceeds `max` bytes. */
export async function readCapped(body: ReadableStream<Uint8Array> | null, max: number, onTooLarge: () => Error): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw onTooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Bodies drained at most this far (chunks dropped as they come); a longer one is cancelled. */
const DRAIN_LIMIT = 4 * 1024 * 1024;

/**
 * Reads and drops a body nobody read. An object answering a forwarded
 * request without reading its body must drain it: cancelling is not enough,
 * the forwarding side then fails after the answer, logged by workerd as an
 * uncaught "Can't read from request stream after response has been sent"
 * (found by the packet fuzz).
 */
export async function drainBody(request: Request): Promise<void> {
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

/**
 * Socket payload validation shared by the handlers: a zod failure becomes an
 * ApiError naming each bad field (400; 422 for 004 payloads, as 004's REST
 * does), which the gateway turns into an `error` event `{message}` and an
 * error acknowledgement.
 */
import type { z } from "zod";
import { ApiError, describeZodError } from "../../lib/errors";
import type { SocketContext } from "../events";

/** The payload as an object (unknown fields are ignored); anything else is a 400 naming it. */
export function payloadObject(payload: unknown, status: 400 | 422 = 400): Record<string, unknown> {
  if (payload === undefined || payload === null) return {};
  if (typeof payload !== "object" || Array.isArray(payload)) {
    throw new ApiError(status, `payload: must be an object (got ${Array.isArray(payload) ? "array" : typeof payload})`);
  }
  return payload as Record<string, unknown>;
}

export function parsePayload<T extends z.ZodType>(schema: T, payload: unknown, status: 400 | 422 = 400): z.infer<T> {
  const parsed = schema.safeParse(payloadObject(payload, status));
  if (!parsed.success) throw new ApiError(status, describeZodError(parsed.error).replace(/^body: /, "payload: "));
  return parsed.data;
}

/** Work that follows an answer (read receipts, typing clean-up): logged, never thrown at the client. */
export function background(what: string, task: Promise<unknown>): void {
  task.catch((err) => console.error(`${what} failed`, err));
}

/** The connection's recovery session id: rooms are kept by it. */
export function requirePid(ctx: SocketContext): string {
  if (!ctx.pid) throw new ApiError(500, "This connection has no session id");
  return ctx.pid;
}

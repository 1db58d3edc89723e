import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { ZodError } from "zod";
import { errorText } from "./db-errors";

/**
 * Every error body is the union of the documents' shapes (CONTRACT.md):
 * `{success:false, statusCode, message, error, detail}`.
 */
export interface ErrorBody {
  success: false;
  statusCode: number;
  message: string;
  error: string;
  detail: string;
}

const reasons: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/** An expected failure: thrown anywhere, rendered by `onError`. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (m: string) => new ApiError(400, m);
export const unauthorized = (m = "Not authorized, no token") => new ApiError(401, m);
export const forbidden = (m = "Access denied") => new ApiError(403, m);
export const notFound = (m = "Not found") => new ApiError(404, m);
export const conflict = (m: string) => new ApiError(409, m);

export function errorBody(status: number, message: string): ErrorBody {
  return {
    success: false,
    statusCode: status,
    message,
    error: reasons[status] ?? "Error",
    detail: message,
  };
}

/** zod's generic type messages, said the way a client reads them. */
function issueText(message: string): string {
  if (/^Invalid input: expected \w+, received undefined$/.test(message)) return "is required";
  if (/^Invalid input: expected number, received NaN$/.test(message)) return "must be a number";
  if (/^Invalid input: expected int, received number$/.test(message)) return "must be an integer";
  const wrongType = /^Invalid input: expected (\w+), received (\w+)$/.exec(message);
  if (wrongType) return `must be ${/^[aeiou]/.test(wrongType[1]) ? "an" : "a"} ${wrongType[1]} (got ${wrongType[2]})`;
  return message;
}

/** Human-readable summary of a zod failure naming each offending field. */
export function describeZodError(err: ZodError): string {
  return err.issues
    .map((i) => {
      const path = i.path.length ? i.path.join(".") : "body";
      return `${path}: ${issueText(i.message)}`;
    })
    .join("; ");
}

/**
 * What an unexpected error logs. A failed query's message carries its bound
 * values (password hashes, message text, emails): log its SQL and the
 * driver's error instead.
 */
export function loggableError(err: unknown): unknown {
  if (err instanceof DrizzleQueryError) return `Failed query: ${err.query} <- ${errorText(err.cause)}`;
  return err;
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.status, err.message), err.status, err.headers);
  }
  if (err instanceof ZodError) {
    return c.json(errorBody(400, describeZodError(err)), 400);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    let message = err.message || reasons[status] || "Error";
    if (status === 415) {
      // thrown by the route's media-type gate: say what was sent
      const sent = c.req.header("content-type");
      message = sent
        ? `Unsupported Media Type: Content-Type ${sent.split(";")[0].trim()} is not accepted by ${c.req.method} ${c.req.path}`
        : `Unsupported Media Type: send the body with a Content-Type header (${c.req.method} ${c.req.path})`;
    }
    return c.json(errorBody(status, message), status);
  }
  console.error("unhandled error", loggableError(err));
  return c.json(errorBody(500, "Internal server error"), 500);
}

/** Runs `fn`, reporting its 400s as 422 (004 validates with 422). */
export async function as422<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 400) throw new ApiError(422, err.message);
    throw err;
  }
}

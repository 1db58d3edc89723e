/**
 * The real-time gateway, in the stateless Worker: validates the Engine.IO
 * request (`EIO=4`, `transport`, method, `sid`) and routes it to the
 * EngineSession Durable Object that owns the connection. A handshake (no
 * `sid`) gets a fresh session id here, so the object is addressed by that id
 * from the first request on (`idFromName(sid)`); the token is only looked at
 * later, at Socket.IO CONNECT, inside the object.
 *
 * Errors use the Engine.IO reference server's bodies: HTTP 400
 * `{"code":n,"message":"..."}`.
 */
import type { Env } from "../env";
import { engineSessionStub } from "../objects/stubs";
import { connectAllowed } from "../domain/rate-limits";
import { newSid, SID_PATTERN } from "./engine/codec";

/** Headers the gateway sets for the session object (never taken from clients). */
export const GATEWAY_HEADERS = {
  handshakeSid: "x-eio-handshake-sid",
  kind: "x-eio-kind",
} as const;

/** `socket`: Socket.IO on top; `engine`: the bare Engine.IO echo server (compliance). */
export type SessionKind = "socket" | "engine";

export const ENGINE_ERRORS = {
  transportUnknown: { code: 0, message: "Transport unknown" },
  sessionUnknown: { code: 1, message: "Session ID unknown" },
  badHandshakeMethod: { code: 2, message: "Bad handshake method" },
  badRequest: { code: 3, message: "Bad request" },
  unsupportedProtocol: { code: 5, message: "Unsupported protocol version" },
} as const;

/** Paths served by the Engine.IO / Socket.IO gateway. */
export function isRealtimePath(pathname: string, env: Env): boolean {
  return pathname.startsWith("/socket.io/") || (env.COMPLIANCE_MODE === "true" && pathname.startsWith("/engine.io/"));
}

/** CORS for browsers on other origins (the polling transport is plain XHR/fetch). */
export function corsHeaders(request: Request): Record<string, string> {
  const origin = request.headers.get("origin");
  if (!origin) return {};
  return { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "Origin" };
}

/** An Engine.IO error response; `to` is the request (or its CORS headers). */
export function engineError(to: Request | Record<string, string>, error: { code: number; message: string }, status = 400): Response {
  return new Response(JSON.stringify(error), {
    status,
    headers: { "content-type": "application/json", ...(to instanceof Request ? corsHeaders(to) : to) },
  });
}


export async function handleRealtime(request: Request, env: Env, _ctx: ExecutionContext): Promise<Response> {
  const url = new URL(request.url);
  const kind: SessionKind = url.pathname.startsWith("/engine.io/") ? "engine" : "socket";

  if (request.method === "OPTIONS") {
    return new Response(null, {
      status: 204,
      headers: {
        ...corsHeaders(request),
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": request.headers.get("access-control-request-headers") ?? "content-type",
        "access-control-max-age": "600",
      },
    });
  }

  if (url.searchParams.get("EIO") !== "4") return engineError(request, ENGINE_ERRORS.unsupportedProtocol);
  const transport = url.searchParams.get("transport");
  if (transport !== "polling" && transport !== "websocket") return engineError(request, ENGINE_ERRORS.transportUnknown);

  const isUpgrade = request.headers.get("upgrade")?.toLowerCase() === "websocket";
  if (transport === "websocket" && (!isUpgrade || request.method !== "GET")) return engineError(request, ENGINE_ERRORS.badRequest);
  if (transport === "polling" && isUpgrade) return engineError(request, ENGINE_ERRORS.badRequest);
  if (request.method !== "GET" && request.method !== "POST") return engineError(request, ENGINE_ERRORS.badHandshakeMethod);

  const headers = new Headers(request.headers);
  headers.delete(GATEWAY_HEADERS.handshakeSid);
  headers.set(GATEWAY_HEADERS.kind, kind);

  let sid = url.searchParams.get("sid");
  if (sid === null) {
    // A new session: only a GET may open one.
    if (request.method !== "GET") return engineError(request, ENGINE_ERRORS.badHandshakeMethod);
    // 004: connection attempts per client IP
    if (!(await connectAllowed(env, request))) {
      return engineError(request, { code: 4, message: "Too many connection attempts" }, 429);
    }
    sid = newSid();
    headers.set(GATEWAY_HEADERS.handshakeSid, sid);
  } else if (!SID_PATTERN.test(sid)) {
    return engineError(request, ENGINE_ERRORS.sessionUnknown);
  }

  return engineSessionStub(env, sid).fetch(new Request(request, { headers }));
}

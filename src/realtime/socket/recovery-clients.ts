/**
 * Which connections take part in Socket.IO connection-state recovery, i.e.
 * get the recovery session id `pid` in the CONNECT answer and an offset as
 * the last argument of every event.
 *
 * The stock socket.io-client (>= 4.6) reads both, and sends nothing special
 * on its first CONNECT, so recovery is offered by default. python-socketio
 * does not implement recovery and calls each handler with every argument of
 * the event, so an extra offset breaks 004's `def on_new_message(data)` with
 * `TypeError: ... takes 1 positional argument but 2 were given`. Its
 * Engine.IO layer (python-engineio, sync and asyncio clients) is recognised at
 * the Engine.IO handshake:
 * - its cache-busting `t` query parameter is `str(time.time())`, a decimal
 *   with a dot (`1733330000.123456`); engine.io-client sends no `t`
 *   (WebSocket) or a base-36 / yeast token, whose alphabets have no dot;
 * - its polling handshake has a `python-requests/…` or `… aiohttp/…`
 *   User-Agent (engine.io-client: the browser's, or none / node-XMLHttpRequest).
 * Any other client can opt out with `recovery=false` (or `off` / `0`) in the
 * handshake query. A client that comes back with a `pid` in its CONNECT
 * payload takes part, whatever its handshake looked like.
 */
import type { HandshakeInfo } from "./types";

const PYTHON_TIMESTAMP = /^\d+\.\d+$/;
const PYTHON_USER_AGENT = /^python-requests\/|\baiohttp\//i;
const OPT_OUT = new Set(["false", "off", "0", "no"]);

export function takesPartInRecovery(handshake: HandshakeInfo, connectPayload: Record<string, unknown> | undefined): boolean {
  if (typeof connectPayload?.pid === "string") return true;
  const optOut = handshake.query.recovery;
  if (optOut !== undefined && OPT_OUT.has(optOut.toLowerCase())) return false;
  if (handshake.t !== undefined && PYTHON_TIMESTAMP.test(handshake.t)) return false;
  if (handshake.userAgent !== undefined && PYTHON_USER_AGENT.test(handshake.userAgent)) return false;
  return true;
}

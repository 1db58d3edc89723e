/**
 * Compliance mode (`COMPLIANCE_MODE=true`, `npm run dev:compliance`): the
 * servers the official protocol test suites expect at http://localhost:3000.
 *
 * - `/engine.io/`: a plain Engine.IO server that sends every message back.
 * - `/socket.io/`: a Socket.IO server without authentication, namespaces `/`
 *   and `/custom`; on connect it emits `auth` with the CONNECT payload,
 *   answers `message` with `message-back` (same arguments) and acknowledges
 *   `message-with-ack` with its arguments.
 *
 * Same engine and Socket.IO code as the product; only this behaviour is
 * swapped in (selected by src/objects/engine-session.ts from config).
 */
import type { SocketApp } from "./socket/server";

export const COMPLIANCE_NAMESPACES: readonly string[] = ["/", "/custom"];

export const complianceSocketApp: SocketApp = {
  hasNamespace: (nsp) => COMPLIANCE_NAMESPACES.includes(nsp),

  async authenticate(_nsp, auth) {
    return { ok: true, data: { auth: auth ?? {} } };
  },

  async onConnect(socket) {
    socket.emit("auth", socket.data.auth);
  },

  async onEvent(socket, event, args, ack) {
    if (event === "message") socket.emit("message-back", ...args);
    else if (event === "message-with-ack") ack?.(...args);
  },

  async onDisconnect() {},
};

/** The bare Engine.IO server on /engine.io/: every message goes back to its sender. */
export const echoEngineApp = {
  onMessage(data: string | ArrayBuffer, reply: (data: string | ArrayBuffer) => void) {
    reply(data);
  },
};

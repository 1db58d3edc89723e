/**
 * What a session's WebSocket carries as its attachment (kept by the runtime
 * across hibernation), and the heartbeat state it holds.
 */

export interface Heartbeat {
  phase: "ping" | "pong";
  at: number;
  /** pong phase: the ping has left (WebSocket frame, or the GET response that carried it) */
  sent?: boolean;
}

export interface WsAttachment {
  role: "main" | "probe";
  /** heartbeat of a WebSocket session (kept with the socket so hibernation needs no storage write) */
  hb?: Heartbeat;
  /** main: the client has sent at least one message on it */
  heard?: boolean;
  /** probe: `3probe` was sent */
  probed?: boolean;
  /** probe: give up on the upgrade at this time */
  deadline?: number;
}

/**
 * Attachments as last written, cached per socket object (a hibernation wake
 * gives new socket objects, which read theirs once): the hot path reads them
 * for every frame and emit without deserialising.
 */
const attachments = new WeakMap<WebSocket, WsAttachment | null>();

export function attachment(ws: WebSocket): WsAttachment | null {
  let att = attachments.get(ws);
  if (att === undefined) attachments.set(ws, (att = ws.deserializeAttachment() as WsAttachment | null));
  return att;
}

export function setAttachment(ws: WebSocket, att: WsAttachment) {
  ws.serializeAttachment(att);
  attachments.set(ws, att);
}

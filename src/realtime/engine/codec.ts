/**
 * Engine.IO v4 wire format, on top of `engine.io-parser`.
 *
 * Decoding goes through the parser. Encoding goes through the parser for
 * text packets; binary packets are written here (raw frames over WebSocket,
 * `b` + base64 inside a polling payload) because the parser's browser build,
 * which the Workers bundler selects, base64-encodes through `FileReader`,
 * which Workers do not have.
 */
import { Buffer } from "node:buffer";
import { decodePacket, decodePayload, encodePacket, type Packet, type PacketType } from "engine.io-parser";

export type { Packet, PacketType };

/** Record separator between the packets of a polling payload. */
export const SEPARATOR = "\x1e";

export type Transport = "polling" | "websocket";

export const isBinary = (data: unknown): data is ArrayBuffer | ArrayBufferView =>
  data instanceof ArrayBuffer || ArrayBuffer.isView(data);

export function toArrayBuffer(data: ArrayBuffer | ArrayBufferView): ArrayBuffer {
  if (data instanceof ArrayBuffer) return data;
  const copy = new Uint8Array(data.byteLength);
  copy.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return copy.buffer;
}

const bytesOf = (data: ArrayBuffer | ArrayBufferView) =>
  data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** One packet as a text frame, or raw bytes for a binary message. */
export function encodeFrame(packet: Packet): string | ArrayBuffer {
  if (isBinary(packet.data)) return toArrayBuffer(packet.data);
  let out = "";
  encodePacket(packet, false, (encoded) => (out = encoded as string));
  return out;
}

/** Several packets as one polling payload (binary as `b` + base64). */
export function encodePayloadText(packets: Packet[]): string {
  return packets
    .map((p) => (isBinary(p.data) ? `b${Buffer.from(bytesOf(p.data)).toString("base64")}` : (encodeFrame(p) as string)))
    .join(SEPARATOR);
}

/** A WebSocket frame as a packet (`{type:"error"}` when malformed). */
export function decodeFrame(frame: string | ArrayBuffer): Packet {
  if (typeof frame !== "string") return { type: "message", data: frame };
  return decodePacket(frame, "arraybuffer");
}

/**
 * A polling POST body as packets. Returns null when any packet is malformed
 * (the parser stops at the first bad one and reports `error`).
 */
export function decodePayloadText(body: string): Packet[] | null {
  if (body === "") return null;
  const packets = decodePayload(body, "arraybuffer");
  return packets.some((p) => p.type === "error") ? null : packets;
}

export interface HandshakeData {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

/** The open packet: exactly these five keys, in this order. */
export function openPacket(h: HandshakeData): Packet {
  const body = {
    sid: h.sid,
    upgrades: h.upgrades,
    pingInterval: h.pingInterval,
    pingTimeout: h.pingTimeout,
    maxPayload: h.maxPayload,
  };
  return { type: "open", data: JSON.stringify(body) };
}

/** 20 url-safe characters (120 random bits), like the reference server's ids. */
export function newSid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(15));
  return Buffer.from(bytes).toString("base64url");
}

export const SID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Byte length of a frame as the peer sent it (UTF-8 for text). */
export function frameSize(frame: string | ArrayBuffer): number {
  return typeof frame === "string" ? Buffer.byteLength(frame, "utf8") : frame.byteLength;
}

/**
 * Identifiers. Entities get 24 lowercase hex `_id`s laid out like a MongoDB
 * ObjectId (4-byte seconds, 5 random bytes, 3-byte counter), so they sort by
 * creation time. Users additionally get a UUID v4 `userId`.
 */
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// Random values may not be generated at global scope on Workers: set up lazily.
let processRandom: Uint8Array | undefined;
let counter = 0;

export function objectId(at: number = Date.now()): string {
  const bytes = new Uint8Array(12);
  const seconds = Math.floor(at / 1000);
  bytes[0] = (seconds >>> 24) & 0xff;
  bytes[1] = (seconds >>> 16) & 0xff;
  bytes[2] = (seconds >>> 8) & 0xff;
  bytes[3] = seconds & 0xff;
  if (!processRandom) {
    processRandom = crypto.getRandomValues(new Uint8Array(5));
    counter = crypto.getRandomValues(new Uint32Array(1))[0] & 0xffffff;
  }
  bytes.set(processRandom, 4);
  counter = (counter + 1) & 0xffffff;
  bytes[9] = (counter >>> 16) & 0xff;
  bytes[10] = (counter >>> 8) & 0xff;
  bytes[11] = counter & 0xff;
  return hex(bytes);
}

export const OBJECT_ID_RE = /^[0-9a-f]{24}$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isObjectId = (s: string) => OBJECT_ID_RE.test(s);
export const isUuid = (s: string) => UUID_RE.test(s);
/** A value that can name a user: either form. */
export const isUserRef = (s: string) => isObjectId(s) || isUuid(s);

export const uuid = () => crypto.randomUUID();

/** 8 hex digits (FNV-1a, 32 bits) naming a conversation inside message ids. */
export function conversationTag(conversationId: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < conversationId.length; i++) {
    h ^= conversationId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * A message `_id`: 24 hex like every other id, time-ordered, and carrying
 * its conversation's tag (bytes 4-7) and its `seq` (bytes 8-11), so a
 * message named by id alone is found among the caller's conversations
 * without an index of every message.
 */
export function messageId(at: number, conversationId: string, seq: number): string {
  const seconds = Math.floor(at / 1000) >>> 0;
  return seconds.toString(16).padStart(8, "0") + conversationTag(conversationId) + (seq >>> 0).toString(16).padStart(8, "0");
}

/** The conversation tag inside a message id. */
export const messageConversationTag = (messageId: string) => messageId.slice(8, 16);

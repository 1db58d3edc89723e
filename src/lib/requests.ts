/**
 * Request schemas shared by REST (src/routes/*) and the socket
 * (src/realtime/handlers/*): the message bodies every document sends, the
 * catch-up point `since`, page fields and the group a client creates.
 * Both edges validate with the same schema, so they answer the same words.
 */
import { z } from "@hono/zod-openapi";
import { Email, EntityId, MessageType, type MessageTypeValue, UserRef } from "./schemas";

export const MAX_TEXT = 10_000;

export const Text = z.string().max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`);
export const AttachmentUrl = z
  .string()
  .trim()
  .max(2048, "must be at most 2048 characters")
  .refine((s) => /^https?:\/\/[^\s]+$/i.test(s) || /^\/api\/uploads\/[0-9a-f]{24}$/.test(s), {
    message: "must be an http(s) URL or an /api/uploads/<id> path",
  });
export const ClientMsgId = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .openapi({ description: "Optional client-chosen id: resending it returns the first message instead of a duplicate" });
export const Payload = z.record(z.string(), z.unknown());

/** 003: to a conversation (REST also takes `receiverId` for the 1-on-1 with that user). */
export const Send003 = z
  .object({
    conversationId: EntityId.optional(),
    receiverId: UserRef.optional().openapi({ description: "Instead of conversationId: the 1-on-1 conversation with this user" }),
    message: Text.default(""),
    messageType: MessageType.default("text"),
    fileUrl: AttachmentUrl.nullable().optional(),
    payload: Payload.nullable().optional(),
    replyTo: EntityId.nullable().optional(),
    clientMsgId: ClientMsgId.optional(),
  })
  .refine((b) => b.conversationId || b.receiverId, { message: "is required", path: ["conversationId"] })
  .refine((b) => b.message.trim() || b.fileUrl || b.payload, {
    message: "must not be empty unless fileUrl or payload is given",
    path: ["message"],
  })
  .openapi("SendMessage003");

/** 001: to a user. */
export const Send001 = z
  .object({
    recipientId: UserRef,
    text: Text.default(""),
    attachment: z
      .object({ type: z.enum(["image", "video", "file"]).default("file"), url: AttachmentUrl })
      .nullable()
      .optional(),
    type: MessageType.optional(),
    clientMsgId: ClientMsgId.optional(),
  })
  .refine((b) => b.text.trim() || b.attachment, { message: "must not be empty unless there is an attachment", path: ["text"] });

/** 004: to a user by email, or to a conversation. */
export const Send004 = z
  .object({
    to_email: Email.optional(),
    conversation_id: EntityId.optional(),
    message: Text.default(""),
    message_type: MessageType.default("text"),
    reply_to: EntityId.nullable().optional(),
    file_url: AttachmentUrl.nullable().optional(),
    client_msg_id: ClientMsgId.optional(),
  })
  .refine((b) => b.to_email || b.conversation_id, { message: "is required", path: ["to_email"] })
  .refine((b) => b.message.trim() || b.file_url, { message: "must not be empty", path: ["message"] });

/** What a validated body asks the domain's `sendMessage` to do (the caller adds the sender). */
export interface SendRequest {
  /** address a conversation the sender is a member of (003, 004 sockets) ... */
  conversationId?: string | null;
  /** ... or a user, by either id form (001 `recipientId`, 002/003 `receiverId`) ... */
  recipientId?: string | null;
  /** ... or by email (004 `to_email`); a user gets-or-creates the 1-on-1 conversation. */
  toEmail?: string | null;
  text?: string | null;
  type?: MessageTypeValue;
  attachment?: { type?: string | null; url: string } | null;
  payload?: unknown;
  replyTo?: string | null;
  clientMsgId?: string | null;
  /** Sent over a socket: answered (acked) before the sender's other devices and inbox have their copy. */
  viaSocket?: boolean;
  /** How the caller's document names fields, for error messages. */
  fields?: Partial<Record<"text" | "recipient" | "attachment" | "replyTo", string>>;
}

export const fromSend003 = (b: z.infer<typeof Send003>): SendRequest => ({
  conversationId: b.conversationId,
  recipientId: b.conversationId ? null : b.receiverId,
  text: b.message,
  type: b.messageType,
  attachment: b.fileUrl ? { url: b.fileUrl } : null,
  payload: b.payload,
  replyTo: b.replyTo,
  clientMsgId: b.clientMsgId,
  fields: { text: "message", recipient: b.conversationId ? "conversationId" : "receiverId", attachment: "fileUrl", replyTo: "replyTo" },
});

export const fromSend001 = (b: z.infer<typeof Send001>): SendRequest => ({
  recipientId: b.recipientId,
  text: b.text,
  type: b.type ?? (b.attachment ? b.attachment.type : "text"),
  attachment: b.attachment,
  clientMsgId: b.clientMsgId,
  fields: { text: "text", recipient: "recipientId", attachment: "attachment.url", replyTo: "replyTo" },
});

export const fromSend004 = (b: z.infer<typeof Send004>): SendRequest => ({
  toEmail: b.conversation_id ? null : b.to_email,
  conversationId: b.conversation_id,
  text: b.message,
  type: b.message_type,
  attachment: b.file_url ? { url: b.file_url } : null,
  replyTo: b.reply_to,
  clientMsgId: b.client_msg_id,
  fields: { text: "message", recipient: "to_email", attachment: "file_url", replyTo: "reply_to" },
});

// ---- catch-up: `since` ------------------------------------------------------

/** A point in a conversation's history: after a sequence number, or after a time. */
export type Since = { seq: number } | { at: Date };

/** `since` as clients send it: a sequence number (`"12"`) or an ISO 8601 timestamp. */
export function parseSince(raw: string | number): Since | null {
  if (typeof raw === "number") return Number.isSafeInteger(raw) && raw >= 0 ? { seq: raw } : null;
  const s = raw.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? { seq: n } : null;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return null;
  const at = Date.parse(s);
  return Number.isNaN(at) ? null : { at: new Date(at) };
}

const SINCE_MESSAGE = "must be a message sequence number (seq) or an ISO 8601 timestamp";

/** A `since` query value: a sequence number or an ISO 8601 timestamp. */
export const SinceQuery = z
  .string()
  .trim()
  .refine((s) => parseSince(s) !== null, { message: SINCE_MESSAGE })
  .optional()
  .openapi({
    description:
      "Catch-up: only the messages after this point, oldest first (a `seq` of the last message you have, or an ISO 8601 time). " +
      "`limit` caps the answer; ask again with the last `seq` while more remain.",
    example: "42",
  });
/** `since` in a socket payload: a sequence number (number or string) or an ISO 8601 timestamp. */
export const SinceField = z.union([z.number(), z.string()]).refine((s) => parseSince(s) !== null, { message: SINCE_MESSAGE });

// ---- pages ------------------------------------------------------------------

/** `page` (from 1) and `limit` fields, numbers or numeric strings (query strings, socket payloads). */
export const pageFields = (defaultLimit: number, maxLimit = 100) => ({
  page: z.coerce.number().int().min(1, "must be >= 1").default(1),
  limit: z.coerce.number().int().min(1, "must be >= 1").max(maxLimit, `must be <= ${maxLimit}`).default(defaultLimit),
});

/** Query-string integers: "?page=2". */
export const pageQuery = (defaultLimit: number, maxLimit = 100) => {
  const { page, limit } = pageFields(defaultLimit, maxLimit);
  return z.object({ page: page.openapi({ example: 1 }), limit: limit.openapi({ example: defaultLimit }) });
};

/** 000 list `pagination`. */
export const pagination = (page: number, limit: number, total: number) => ({
  page,
  limit,
  total,
  pages: Math.ceil(total / limit),
});

// ---- groups (003) ---------------------------------------------------------------

export const GroupName = z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters");
export const MemberList = z
  .array(UserRef)
  .min(1, "must name at least one user")
  .max(50, "at most 50 users per request")
  .openapi({ example: ["64a1b2c3d4e5f67890123456"] });
/** `POST /api/conversations/group` and the socket's `createGroup`. */
export const CreateGroup = z.object({ name: GroupName, members: MemberList });

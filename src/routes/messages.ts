/**
 * /api/messages: send (003 `POST /`, 001/004 `POST /send` dispatched on the
 * body), history (001 by user, 003 by conversation), reads, edit and soft
 * delete (sender only), unread counts.
 *
 * Route order matters: `/unread/...` and `/conversation/...` are declared
 * before `/{otherUserId}` and `/{messageId}`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  conversationHistory,
  deleteMessage,
  editMessage,
  historyWithUser,
  markMessageRead,
  messagesSince,
  readConversation,
  sendMessage,
  unreadIn,
  unreadTotal,
} from "../domain/messages";
import { ApiError, as422, describeZodError, errorBody } from "../lib/errors";
import { bearer, createRouter, described, ok, jsonBody } from "../lib/http";
import { Envelope, Message001, Message003, Message004, MessagePage003, UnreadCount } from "../views/schemas";
import { fromSend001, fromSend003, fromSend004, pageQuery, parseSince, Send001, Send003, Send004, SinceQuery, Text } from "../lib/requests";
import { ConversationParam, EntityId, UserRef } from "../lib/schemas";
import { envelope } from "../views/conversation";
import { message001, message003, message004, messagePage003 } from "../views/message";

const messagesRouter = createRouter();
const tags = ["Messages"];

const MessageParam = z.object({ messageId: EntityId.openapi({ param: { name: "messageId", in: "path" } }) });

// Real-time delivery of a new message is started by the conversation's
// Durable Object when it stores the message (src/realtime/deliver.ts), for
// every send path alike: routes only answer.

// ---- 003: send to a conversation -------------------------------------------

messagesRouter.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags,
    summary: "Send a message to a conversation (003)",
    description:
      "All 003 message types. `replyTo` must be a message of the same conversation. A `fileUrl` pointing at one of our uploads links the file to the message " +
      "(members may then read it). Repeating a `clientMsgId` returns the first message (200) instead of storing a duplicate.",
    security: bearer,
    request: { body: jsonBody(Send003) },
    responses: {
      201: ok(Envelope(Message003), "`{success, statusCode, message, data: message}`"),
      200: ok(Envelope(Message003), "Repeated clientMsgId: the first message"),
      403: described("Blocked by the other user (`Access denied`)"),
      404: described("No such conversation (or not a member)"),
    },
  }),
  async (c) => {
    const b = c.req.valid("json");
    const result = await sendMessage(c.env, c.var.db, { senderId: c.var.auth.id, ...fromSend003(b) });
    const data = message003(result.record);
    return result.created
      ? c.json(envelope(201, "Message sent successfully", data), 201)
      : c.json(envelope(200, "Message already sent", data), 200);
  },
);

// ---- 001 / 004: send to a user ---------------------------------------------

const SendAny = z
  .object({
    recipientId: z.string().optional(),
    text: z.string().optional(),
    attachment: z.object({ type: z.string(), url: z.string() }).nullable().optional(),
    to_email: z.string().optional(),
    message: z.string().optional(),
    message_type: z.string().optional(),
    reply_to: z.string().nullable().optional(),
  })
  .passthrough()
  .openapi("SendMessage", {
    description:
      "001: `{recipientId, text, attachment:{type,url}}` -> 201 001 message. 004: `{to_email, message, message_type, reply_to}` -> 200 004 message (422 on bad input). " +
      "Both accept an optional client message id (`clientMsgId` / `client_msg_id`).",
  });

/**
 * The 004 body (`to_email`/`conversation_id`), or a body naming neither
 * document's recipient sent with a chat-socket token: answered the 004 way
 * (422, 200 004 shape). Everything else is the 001 body (400, 201).
 */
function is004Send(raw: unknown, dialect: string): boolean {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return dialect === "chat-socket";
  const b = raw as Record<string, unknown>;
  if (b.to_email !== undefined || b.conversation_id !== undefined) return true;
  return b.recipientId === undefined && dialect === "chat-socket";
}

messagesRouter.openapi(
  createRoute({
    method: "post",
    path: "/send",
    tags,
    summary: "Send a message to a user (001 body or 004 body, dispatched on the body)",
    description:
      "JSON (the 004 body may also come as a form). A body with `to_email` or `conversation_id` is the 004 request (422 on bad input); " +
      "one with `recipientId` the 001 request (400 on bad input); a body with neither is read in the token's dialect.",
    security: bearer,
    request: {
      body: {
        required: true,
        content: {
          "application/json": { schema: SendAny },
          "application/x-www-form-urlencoded": { schema: SendAny },
          "multipart/form-data": { schema: SendAny },
        },
      },
    },
    responses: {
      201: ok(Message001, "001: the message `{_id, conversationId, senderId, recipientId, text, attachment, createdAt, status}`"),
      200: ok(z.union([Message004, Message001]), "004: `{id, conversation_id, sender_email, sender_name, message, timestamp, message_type, reply_to}`; 001 repeated clientMsgId"),
      403: described("Blocked by the recipient (`Access denied`)"),
      404: described("Recipient not found"),
    },
  }),
  async (c) => {
    const isForm = /form/i.test(c.req.header("content-type") ?? "");
    const raw = (isForm ? c.req.valid("form") : c.req.valid("json")) as Record<string, unknown>;
    const senderId = c.var.auth.id;
    if (is004Send(raw, c.var.dialect)) {
      const parsed = Send004.safeParse(raw);
      if (!parsed.success) throw new ApiError(422, describeZodError(parsed.error));
      // 004 reports bad input as 422
      const result = await as422(() => sendMessage(c.env, c.var.db, { senderId, ...fromSend004(parsed.data) }));
      return c.json(message004(result.record), 200);
    }
    const parsed = Send001.safeParse(raw);
    if (!parsed.success) throw new ApiError(400, describeZodError(parsed.error));
    const result = await sendMessage(c.env, c.var.db, { senderId, ...fromSend001(parsed.data) });
    return c.json(message001(result.record), result.created ? 201 : 200);
  },
  (result, c) => {
    if (!result.success) {
      const status = is004Send((result as { data?: unknown }).data, c.var.dialect) ? 422 : 400;
      return c.json(errorBody(status, describeZodError(result.error)), status);
    }
  },
);

// ---- unread counts ---------------------------------------------------------

messagesRouter.openapi(
  createRoute({
    method: "get",
    path: "/unread/count",
    tags,
    summary: "Total unread messages across the caller's conversations (003)",
    security: bearer,
    responses: { 200: ok(Envelope(UnreadCount), "`{success, statusCode, message, data:{unreadCount}}`") },
  }),
  async (c) => {
    const unreadCount = await unreadTotal(c.env, c.var.auth.id);
    return c.json(envelope(200, "Unread count retrieved", { unreadCount, count: unreadCount }));
  },
);

messagesRouter.openapi(
  createRoute({
    method: "get",
    path: "/unread/count/{conversationId}",
    tags,
    summary: "Unread messages in one conversation (003)",
    security: bearer,
    request: { params: ConversationParam },
    responses: { 200: ok(Envelope(UnreadCount), "`{success, statusCode, message, data:{unreadCount}}`"), 404: described("Not a member") },
  }),
  async (c) => {
    const conversationId = c.req.valid("param").conversationId;
    const unreadCount = await unreadIn(c.env, conversationId, c.var.auth.id);
    return c.json(envelope(200, "Unread count retrieved", { unreadCount, count: unreadCount, conversationId }));
  },
);

// ---- 003: conversation history and read ------------------------------------

messagesRouter.openapi(
  createRoute({
    method: "get",
    path: "/conversation/{conversationId}",
    tags,
    summary: "Messages of a conversation, paged (003)",
    description:
      "Page 1 is the NEWEST page; each page is in chronological order (oldest first). `hasNextPage` means older messages exist. " +
      "Deleted messages appear with `deleted:true` and empty text. " +
      "With `since` (catch-up after a disconnection): `data:{messages, hasMore, lastSeq}` with the messages after that point, oldest first, up to `limit`.",
    security: bearer,
    request: { params: ConversationParam, query: pageQuery(50, 100).extend({ since: SinceQuery }) },
    responses: {
      200: ok(Envelope(MessagePage003), "`{success, statusCode, message, data:{messages, pagination:{currentPage, totalPages, totalMessages, hasNextPage, hasPrevPage}}}`"),
      404: described("No such conversation, or not a member"),
    },
  }),
  async (c) => {
    const { page, limit, since } = c.req.valid("query");
    if (since !== undefined) {
      const conversationId = c.req.valid("param").conversationId;
      const caught = await messagesSince(c.env, conversationId, c.var.auth.id, parseSince(since)!, limit);
      return c.json(
        envelope(200, "Messages retrieved successfully", {
          messages: caught.records.map(message003),
          hasMore: caught.hasMore,
          lastSeq: caught.lastSeq,
          since,
        }),
      );
    }
    const result = await conversationHistory(c.env, c.req.valid("param").conversationId, c.var.auth.id, (page - 1) * limit, limit);
    return c.json(envelope(200, "Messages retrieved successfully", messagePage003(result, page, limit)));
  },
);

messagesRouter.openapi(
  createRoute({
    method: "put",
    path: "/conversation/{conversationId}/read",
    tags,
    summary: "Mark every message of a conversation read for the caller (003)",
    security: bearer,
    request: { params: ConversationParam },
    responses: { 200: ok(Envelope(z.object({ modifiedCount: z.number().int() })), "`{success, statusCode, message, data:{modifiedCount}}`"), 404: described("Not a member") },
  }),
  async (c) => {
    const conversationId = c.req.valid("param").conversationId;
    const read = await readConversation(c.env, conversationId, c.var.auth.id);
    return c.json(envelope(200, "Messages marked as read", { modifiedCount: read.modifiedCount }));
  },
);

// ---- one message -----------------------------------------------------------

messagesRouter.openapi(
  createRoute({
    method: "put",
    path: "/{messageId}/read",
    tags,
    summary: "Mark one message (and everything before it) read for the caller (003)",
    security: bearer,
    request: { params: MessageParam },
    responses: { 200: ok(Envelope(Message003), "`{success, statusCode, message, data:{_id, read, seenBy:[{userId, timestamp}], ...}}`"), 404: described("No such message, or not a member") },
  }),
  async (c) => {
    const messageId = c.req.valid("param").messageId;
    const { record } = await markMessageRead(c.env, c.var.db, messageId, c.var.auth.id);
    return c.json(envelope(200, "Message marked as read", message003(record)));
  },
);

const EditBody = z
  .object({ message: Text.optional(), text: Text.optional() })
  .refine((b) => b.message !== undefined || b.text !== undefined, { message: "is required", path: ["message"] })
  .openapi("EditMessage");

messagesRouter.openapi(
  createRoute({
    method: "put",
    path: "/{messageId}",
    tags,
    summary: "Edit a message (003; sender only)",
    security: bearer,
    request: { params: MessageParam, body: jsonBody(EditBody) },
    responses: {
      200: ok(Envelope(Message003), "`{success, statusCode, message, data:{_id, message, edited:true, editedAt, ...}}`"),
      400: described("Deleted message or empty text"),
      403: described("Not the sender"),
      404: described("No such message, or not a member"),
    },
  }),
  async (c) => {
    const b = c.req.valid("json");
    const { record } = await editMessage(c.env, c.var.db, c.req.valid("param").messageId, c.var.auth.id, (b.message ?? b.text)!);
    return c.json(envelope(200, "Message updated successfully", message003(record)));
  },
);

messagesRouter.openapi(
  createRoute({
    method: "delete",
    path: "/{messageId}",
    tags,
    summary: "Delete a message (003; sender only, soft: the text is no longer served)",
    security: bearer,
    request: { params: MessageParam },
    responses: {
      200: ok(Envelope(Message003), "`{success, statusCode, message, data:{_id, deleted:true, deletedBy, deletedAt, ...}}`"),
      403: described("Not the sender"),
      404: described("No such message, or not a member"),
    },
  }),
  async (c) => {
    const { record } = await deleteMessage(c.env, c.var.db, c.req.valid("param").messageId, c.var.auth.id);
    return c.json(envelope(200, "Message deleted successfully", message003(record)));
  },
);

// ---- 001: history with a user (declared last: `/{otherUserId}` would match `/unread`) ----

messagesRouter.openapi(
  createRoute({
    method: "get",
    path: "/{otherUserId}",
    tags,
    summary: "Message history with another user (001): an array of messages",
    description: "`?page&limit` as for conversations: page 1 is the newest page, oldest first within a page. Empty when the two never talked.",
    security: bearer,
    request: {
      params: z.object({ otherUserId: UserRef.openapi({ param: { name: "otherUserId", in: "path" } }) }),
      query: pageQuery(50, 100),
    },
    responses: { 200: ok(z.array(Message001), "Array of 001 messages"), 404: described("No such user") },
  }),
  async (c) => {
    const { page, limit } = c.req.valid("query");
    const { page: result } = await historyWithUser(c.env, c.var.db, c.var.auth.id, c.req.valid("param").otherUserId, (page - 1) * limit, limit);
    return c.json(result.records.map(message001));
  },
);

export { messagesRouter };

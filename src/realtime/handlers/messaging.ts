/**
 * Messaging over the socket, for every document's client (CONTRACT.md
 * dispatch on payload). Each event calls the same domain functions as REST
 * (src/domain/messages.ts, conversations.ts) and answers its acknowledgement
 * (when one is given) with the body the matching REST call returns; the
 * documented response events are emitted to this connection as well.
 *
 * - `send_message` with `receiverId` (002) -> `message_sent` `{success, message}` (ack: same);
 *   with `to_email` / `conversation_id` (004) -> ack: the 004 message.
 * - `sendMessage` with `conversationId` (003) -> ack `{success, statusCode, message, data}`;
 *   with `recipientId` (001) -> ack: the 001 message.
 *   Every send accepts `clientMsgId` / `client_msg_id`: repeating it returns the first message.
 * - `mark_message_read` (002) -> `message_read_confirmed` `{success, message}` to this connection,
 *   `message_read` to the sender.
 * - `get_message_history` (002) -> `message_history` `{messages, otherUser, pagination:{page, hasMore}}`.
 * - `get_unread_count` (002) -> `unread_count` `{count}`.
 * - `getMessages`, `markMessagesRead` (003) -> acks with the REST bodies.
 * - `mark_as_read` (004) -> `marked_as_read` `{conversation_id, user_email}` (ack: the REST body).
 * - `sync_messages` `{conversationId, since, limit}` (catch-up after a disconnection) ->
 *   ack and `synced_messages`: `{success, conversationId, messages, hasMore, lastSeq}`.
 */
import {
  conversationHistory,
  historyWithUser,
  markMessageRead,
  messagesSince,
  readConversation,
  sendMessage,
  type SendInput,
  type SendResult,
  unreadTotal,
} from "../../domain/messages";
import { findUserByRef } from "../../domain/users";
import { ApiError, as422, badRequest } from "../../lib/errors";
import { conversationTag, messageConversationTag } from "../../lib/ids";
import { fromSend001, fromSend003, fromSend004, parseSince, Send001, Send003, Send004 } from "../../lib/requests";
import { GetMessages003, History002, MarkAsRead004, MarkMessageRead002, MarkMessagesRead, Send002, Sync } from "../../lib/socket-inputs";
import { envelope } from "../../views/conversation";
import { markedAsRead004, messageStatusPayload } from "../../views/events";
import { message001, message002, message003, message004, messagePage003 } from "../../views/message";
import type { EventHandler, HandlerTable, SocketContext } from "../events";
import { parsePayload, payloadObject } from "./payload";

/** A dispatch key is given (null counts as absent: `{conversationId: null, recipientId}` is a 001 send). */
const has = (p: Record<string, unknown>, key: string) => p[key] !== undefined && p[key] !== null;

/** The connection that sent a message over the socket gets its own confirmation; standard-dialect delivery skips it. */
const exceptSid = (ctx: SocketContext) => (ctx.dialect === "standard" ? ctx.sid : null);

/**
 * A send over this socket. A standard-dialect connection is skipped by the
 * delivery to the sender's devices, so it hears `message_status`
 * "delivered" (when a recipient's live connection had the message) from
 * here, after its acknowledgement, as the sender's other devices do from
 * their hub.
 */
async function sendOverSocket(ctx: SocketContext, input: Omit<SendInput, "senderId" | "exceptSid" | "viaSocket">): Promise<SendResult> {
  const except = exceptSid(ctx);
  const result = await sendMessage(ctx.env, ctx.db, { ...input, senderId: ctx.userId, exceptSid: except, viaSocket: true });
  if (except && result.deliveredAt) {
    const m = result.record.message;
    (ctx.emitAfterAnswer ?? ctx.emit)("message_status", messageStatusPayload({ messageId: m.id, conversationId: m.conversationId, seq: m.seq }, "delivered", result.deliveredAt));
  }
  return result;
}

// ---- send_message (002 / 004) -------------------------------------------

const on_send_message: EventHandler<"send_message"> = async (ctx, payload) => {
  const p = payloadObject(payload, ctx.dialect === "chat-socket" ? 422 : 400);
  if (has(p, "receiverId")) {
    const b = parsePayload(Send002, p);
    const result = await sendOverSocket(ctx, {
      recipientId: b.receiverId,
      text: b.content,
      type: b.messageType,
      clientMsgId: b.clientMsgId,
      fields: { text: "content", recipient: "receiverId", attachment: "attachment", replyTo: "replyTo" },
    });
    const body = { success: true, message: message002(result.record) };
    ctx.emit("message_sent", body);
    return body;
  }
  if (has(p, "to_email") || has(p, "conversation_id")) {
    const b = parsePayload(Send004, p, 422);
    const result = await as422(() => sendOverSocket(ctx, fromSend004(b)));
    return message004(result.record);
  }
  throw ctx.dialect === "chat-socket"
    ? new ApiError(422, "to_email: is required (or conversation_id)")
    : badRequest("receiverId: is required (002), or to_email / conversation_id (004)");
};

// ---- sendMessage (001 / 003) --------------------------------------------

const on_sendMessage: EventHandler<"sendMessage"> = async (ctx, payload) => {
  const p = payloadObject(payload);
  if (has(p, "conversationId")) {
    const b = parsePayload(Send003, p);
    const result = await sendOverSocket(ctx, fromSend003(b));
    const data = message003(result.record);
    return result.created ? envelope(201, "Message sent successfully", data) : envelope(200, "Message already sent", data);
  }
  if (has(p, "recipientId")) {
    const b = parsePayload(Send001, p);
    const result = await sendOverSocket(ctx, fromSend001(b));
    return message001(result.record);
  }
  throw badRequest("conversationId: is required (003), or recipientId (001)");
};

// ---- reads --------------------------------------------------------------

const on_mark_message_read: EventHandler<"mark_message_read"> = async (ctx, payload) => {
  const { messageId } = parsePayload(MarkMessageRead002, payload);
  const { record } = await markMessageRead(ctx.env, ctx.db, messageId, ctx.userId, { exceptPid: ctx.pid });
  const body = { success: true, message: message002(record) };
  ctx.emit("message_read_confirmed", body);
  return body;
};

const on_markMessagesRead: EventHandler<"markMessagesRead"> = async (ctx, payload) => {
  const b = parsePayload(MarkMessagesRead, payload);
  if (b.messageId) {
    // checked before anything is written: the id carries its conversation's tag
    if (messageConversationTag(b.messageId) !== conversationTag(b.conversationId)) throw badRequest("messageId: is not a message of this conversation");
    const { record } = await markMessageRead(ctx.env, ctx.db, b.messageId, ctx.userId, { conversationId: b.conversationId });
    return envelope(200, "Message marked as read", message003(record));
  }
  const read = await readConversation(ctx.env, b.conversationId, ctx.userId);
  return envelope(200, "Messages marked as read", { modifiedCount: read.modifiedCount });
};

const on_mark_as_read: EventHandler<"mark_as_read"> = async (ctx, payload) => {
  const { conversation_id } = parsePayload(MarkAsRead004, payload, 422);
  const read = await readConversation(ctx.env, conversation_id, ctx.userId, ctx.pid ?? null);
  const me = await findUserByRef(ctx.db, ctx.userId);
  if (me) ctx.emit("marked_as_read", markedAsRead004(conversation_id, me));
  return { message: "Conversation marked as read", success: true, conversation_id, modifiedCount: read.modifiedCount };
};

// ---- history and counts -------------------------------------------------

const on_get_message_history: EventHandler<"get_message_history"> = async (ctx, payload) => {
  const b = parsePayload(History002, payload);
  const { other, page } = await historyWithUser(ctx.env, ctx.db, ctx.userId, b.otherUserId, (b.page - 1) * b.limit, b.limit);
  const body = {
    messages: page.records.map(message002),
    otherUser: { _id: other.id, userId: other.userId, name: other.name },
    pagination: { page: b.page, limit: b.limit, hasMore: page.hasOlder, total: page.total },
  };
  ctx.emit("message_history", body);
  return body;
};

const on_get_unread_count: EventHandler<"get_unread_count"> = async (ctx) => {
  const count = await unreadTotal(ctx.env, ctx.userId);
  const body = { count, unreadCount: count };
  ctx.emit("unread_count", body);
  return body;
};

const on_getMessages: EventHandler<"getMessages"> = async (ctx, payload) => {
  const b = parsePayload(GetMessages003, payload);
  const result = await conversationHistory(ctx.env, b.conversationId, ctx.userId, (b.page - 1) * b.limit, b.limit);
  return envelope(200, "Messages retrieved successfully", messagePage003(result, b.page, b.limit));
};

// ---- catch-up -----------------------------------------------------------

const on_sync_messages: EventHandler<"sync_messages"> = async (ctx, payload) => {
  const b = parsePayload(Sync, payload, ctx.dialect === "chat-socket" ? 422 : 400);
  const conversationId = (b.conversationId ?? b.conversation_id)!;
  const caught = await messagesSince(ctx.env, conversationId, ctx.userId, parseSince(b.since)!, b.limit);
  const common = { success: true, conversationId, conversation_id: conversationId };
  const tail = { hasMore: caught.hasMore, lastSeq: caught.lastSeq };
  // the dialect's message shape (fields in the order they were always sent)
  const body =
    ctx.dialect === "chat-socket"
      ? { ...common, messages: caught.records.map((r) => message004(r)), ...tail }
      : { ...common, messages: caught.records.map((r) => message003(r)), ...tail };
  ctx.emit("synced_messages", body);
  return body;
};

export const messagingHandlers = {
  send_message: on_send_message,
  sendMessage: on_sendMessage,
  mark_message_read: on_mark_message_read,
  markMessagesRead: on_markMessagesRead,
  mark_as_read: on_mark_as_read,
  get_message_history: on_get_message_history,
  get_unread_count: on_get_unread_count,
  getMessages: on_getMessages,
  sync_messages: on_sync_messages,
} satisfies Partial<HandlerTable>;

/**
 * Conversations and rooms over the socket.
 *
 * - 003 `createGroup` `{name, members}` -> ack: the REST body of `POST /api/conversations/group`.
 * - 003 `joinGroup` `{conversationId}` and 004 `join_conversation` `{conversation_id}`: this
 *   connection joins the conversation's room (members only: 404 otherwise). The room carries the
 *   conversation's room events (004 `user_typing`, `marked_as_read`) to chat-socket connections;
 *   messages (`new_message`, `message_notification`, ...) reach every member's devices whether or
 *   not they joined. Rooms are kept by the connection's recovery session, so a recovered
 *   connection is still in them. 004 acknowledges with `joined_conversation` `{conversation_id}`
 *   (event and ack); 003 acks `{success, statusCode, message, data: conversation}`.
 * - 004 `leave_conversation` `{conversation_id}` -> `left_conversation` `{conversation_id}`.
 */
import { conversationNotFound, createGroup, getConversation } from "../../domain/conversations";
import { as422 } from "../../lib/errors";
import { conversationRoom } from "../../objects/stubs";
import { CreateGroup } from "../../lib/requests";
import { JoinGroup, Room004 } from "../../lib/socket-inputs";
import { conversation003, envelope } from "../../views/conversation";
import { roomConfirmation004 } from "../../views/events";
import type { EventHandler, HandlerTable, SocketContext } from "../events";
import { parsePayload, requirePid } from "./payload";

const on_createGroup: EventHandler<"createGroup"> = async (ctx, payload) => {
  const { name, members } = parsePayload(CreateGroup, payload);
  const conversation = await createGroup(ctx.db, ctx.userId, name, members);
  const record = await getConversation(ctx.env, ctx.db, conversation.id, ctx.userId);
  return envelope(201, "Group conversation created successfully", conversation003(record));
};

async function joinRoom(ctx: SocketContext, conversationId: string) {
  const pid = requirePid(ctx);
  if (!(await conversationRoom(ctx.env, conversationId).join(ctx.userId, pid))) throw conversationNotFound();
}

const on_joinGroup: EventHandler<"joinGroup"> = async (ctx, payload) => {
  const { conversationId } = parsePayload(JoinGroup, payload);
  await joinRoom(ctx, conversationId);
  const record = await getConversation(ctx.env, ctx.db, conversationId, ctx.userId);
  return envelope(200, "Joined group successfully", conversation003(record));
};

const on_join_conversation: EventHandler<"join_conversation"> = async (ctx, payload) => {
  const { conversation_id } = parsePayload(Room004, payload, 422);
  await as422(() => joinRoom(ctx, conversation_id));
  const body = roomConfirmation004(conversation_id);
  ctx.emit("joined_conversation", body);
  return body;
};

const on_leave_conversation: EventHandler<"leave_conversation"> = async (ctx, payload) => {
  const { conversation_id } = parsePayload(Room004, payload, 422);
  const pid = requirePid(ctx);
  await as422(async () => {
    if (!(await conversationRoom(ctx.env, conversation_id).isMember(ctx.userId))) throw conversationNotFound();
  });
  await conversationRoom(ctx.env, conversation_id).leave(ctx.userId, pid);
  const body = roomConfirmation004(conversation_id);
  ctx.emit("left_conversation", body);
  return body;
};

export const conversationHandlers = {
  createGroup: on_createGroup,
  joinGroup: on_joinGroup,
  join_conversation: on_join_conversation,
  leave_conversation: on_leave_conversation,
} satisfies Partial<HandlerTable>;

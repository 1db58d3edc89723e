/**
 * Typing indicators. The state lives in the conversation's Durable Object
 * (ConversationRoom): a start lasts 5 s unless renewed, then ends by itself
 * (the object's alarm), e.g. when the typist's connection dropped; a
 * disconnect ends it at once.
 *
 * - 002 `typing_start` / `typing_stop` `{receiverId}` and 001 `typing` /
 *   `stopTyping` `{recipientId}` address a user: the 1-on-1 conversation with
 *   them (got or created, as addressing a user does everywhere; 403 `Access
 *   denied` when they blocked you).
 * - 004 `typing_start` / `typing_stop` `{conversation_id}` address a
 *   conversation you are a member of.
 *
 * The other members get 001 `typingStatus` `{senderId, isTyping}` and 002
 * `typing_indicator` `{userId, userName, isTyping}` on every standard-dialect
 * connection, and 004 `user_typing` `{conversation_id, user_email, typing}`
 * on chat-socket connections that joined the conversation's room. Only
 * changes are sent (a repeated start renews silently). The ack answers
 * `{success, conversation_id, conversationId, typing}`.
 */
import { z } from "zod";
import { assertNotBlockedBy, getOrCreatePair } from "../../domain/conversations";
import { unwrap } from "../../domain/messages";
import { findUserByRef } from "../../domain/users";
import { badRequest, notFound } from "../../lib/errors";
import { conversationRoom } from "../../objects/stubs";
import { EntityId, UserRef } from "../../lib/schemas";
import { onDisconnect, onEvent, type SocketContext } from "../events";
import { background, parsePayload, payloadObject } from "./payload";

/**
 * Conversations each connection (Engine.IO sid) is typing in, so a
 * disconnect can end them at once. In memory: if the object was evicted
 * meanwhile, the room's alarm ends them within 5 s anyway.
 */
const typingBySid = new Map<string, Set<string>>();

/** The 1-on-1 conversation with the addressed user (got or created). */
async function pairWith(ctx: SocketContext, ref: string, field: string): Promise<string> {
  const other = await findUserByRef(ctx.db, ref);
  if (!other) throw notFound("Receiver not found");
  if (other.id === ctx.userId) throw badRequest(`${field}: you cannot type to yourself`);
  await assertNotBlockedBy(ctx.db, other.id, ctx.userId);
  return (await getOrCreatePair(ctx.env, ctx.db, ctx.userId, other.id)).conversation.id;
}

async function setTyping(ctx: SocketContext, conversationId: string, on: boolean) {
  const result = unwrap(await conversationRoom(ctx.env, conversationId).typing(conversationId, ctx.userId, on));
  const mine = typingBySid.get(ctx.sid) ?? new Set<string>();
  if (on) mine.add(conversationId);
  else mine.delete(conversationId);
  if (mine.size) typingBySid.set(ctx.sid, mine);
  else typingBySid.delete(ctx.sid);
  return { success: true, conversation_id: conversationId, conversationId, typing: result.typing };
}

export const ByReceiver = z.object({ receiverId: UserRef });
export const ByRecipient = z.object({ recipientId: UserRef });
export const ByConversation = z
  .object({ conversation_id: EntityId.optional(), conversationId: EntityId.optional() })
  .refine((b) => b.conversation_id || b.conversationId, { message: "is required", path: ["conversation_id"] });

/** 002 by `receiverId`, else 004 by `conversation_id`. */
async function typingEvent(ctx: SocketContext, payload: unknown, on: boolean) {
  const p = payloadObject(payload);
  if (p.receiverId !== undefined && p.receiverId !== null) {
    const { receiverId } = parsePayload(ByReceiver, p);
    return setTyping(ctx, await pairWith(ctx, receiverId, "receiverId"), on);
  }
  const b = parsePayload(ByConversation, p, ctx.dialect === "chat-socket" ? 422 : 400);
  return setTyping(ctx, (b.conversation_id ?? b.conversationId)!, on);
}

onEvent("typing_start", (ctx, payload) => typingEvent(ctx, payload, true));
onEvent("typing_stop", (ctx, payload) => typingEvent(ctx, payload, false));

async function typing001(ctx: SocketContext, payload: unknown, on: boolean) {
  const { recipientId } = parsePayload(ByRecipient, payload);
  return setTyping(ctx, await pairWith(ctx, recipientId, "recipientId"), on);
}

onEvent("typing", (ctx, payload) => typing001(ctx, payload, true));
onEvent("stopTyping", (ctx, payload) => typing001(ctx, payload, false));

onDisconnect((ctx) => {
  const mine = typingBySid.get(ctx.sid);
  if (!mine) return;
  typingBySid.delete(ctx.sid);
  for (const conversationId of mine) {
    background("typing stop on disconnect", conversationRoom(ctx.env, conversationId).typing(conversationId, ctx.userId, false));
  }
});

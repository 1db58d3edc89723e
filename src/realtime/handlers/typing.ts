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
import type { User } from "../../db/schema";
import { assertNotBlockedBy, getOrCreatePair, requireMembership } from "../../domain/conversations";
import { conversationRoom } from "../../domain/messages";
import { findUserByRef, requireUserByRef } from "../../domain/users";
import { badRequest, notFound } from "../../lib/errors";
import { EntityId, UserRef } from "../../lib/schemas";
import { onDisconnect, onEvent, type SocketContext } from "../events";
import { background, parsePayload, payloadObject } from "./payload";

type Person = Pick<User, "id" | "userId" | "name" | "email">;

/**
 * Conversations each connection (Engine.IO sid) is typing in, so a
 * disconnect can end them at once. In memory: if the object was evicted
 * meanwhile, the room's alarm ends them within 5 s anyway.
 */
const typingBySid = new Map<string, Map<string, Person>>();

async function me(ctx: SocketContext): Promise<Person> {
  const u = await requireUserByRef(ctx.db, ctx.userId);
  return { id: u.id, userId: u.userId, name: u.name, email: u.email };
}

/** The 1-on-1 conversation with the addressed user (got or created). */
async function pairWith(ctx: SocketContext, ref: string, field: string): Promise<string> {
  const other = await findUserByRef(ctx.db, ref);
  if (!other) throw notFound("Receiver not found");
  if (other.id === ctx.userId) throw badRequest(`${field}: you cannot type to yourself`);
  await assertNotBlockedBy(ctx.db, other.id, ctx.userId);
  return (await getOrCreatePair(ctx.db, ctx.userId, other.id)).conversation.id;
}

async function setTyping(ctx: SocketContext, conversationId: string, on: boolean) {
  const person = await me(ctx);
  const result = await conversationRoom(ctx.env, conversationId).typing(conversationId, person, on);
  const mine = typingBySid.get(ctx.sid) ?? new Map<string, Person>();
  if (on) mine.set(conversationId, person);
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
  const conversationId = (b.conversation_id ?? b.conversationId)!;
  await requireMembership(ctx.db, conversationId, ctx.userId);
  return setTyping(ctx, conversationId, on);
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
  for (const [conversationId, person] of mine) {
    background("typing stop on disconnect", conversationRoom(ctx.env, conversationId).typing(conversationId, person, false));
  }
});

/**
 * Typing indicators. The state lives in the conversation's Durable Object
 * (ConversationRoom): a start lasts 5 s unless renewed, then ends by itself
 * (the object's alarm), e.g. when the typist's connection dropped; a
 * disconnect ends it at once.
 *
 * - 002 `typing_start` / `typing_stop` `{receiverId}` and 001 `typing` /
 *   `stopTyping` `{recipientId}` address a user: the EXISTING 1-on-1
 *   conversation with them (403 `Access denied` when they blocked you).
 *   Typing never creates a conversation (a conversation makes the two
 *   related, e.g. for presence): with none, the ack is `{success: true,
 *   typing: false, conversation_id: null, conversationId: null}` and nothing
 *   is emitted.
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
import { and, eq } from "drizzle-orm";
import { conversationMembers, conversations } from "../../db/schema";
import { assertNotBlockedBy, pairKey } from "../../domain/conversations";
import { unwrap } from "../../domain/messages";
import { findUserByRef } from "../../domain/users";
import { badRequest, notFound } from "../../lib/errors";
import { conversationRoom } from "../../objects/stubs";
import { ByConversation, ByReceiver, ByRecipient } from "../../lib/socket-inputs";
import type { DisconnectHook, EventHandler, HandlerTable, SocketContext } from "../events";
import { background, parsePayload, payloadObject } from "./payload";

/**
 * Conversations each connection (Engine.IO sid) is typing in, so a
 * disconnect can end them at once. In memory: if the object was evicted
 * meanwhile, the room's alarm ends them within 5 s anyway.
 */
const typingBySid = new Map<string, Set<string>>();

/** The existing 1-on-1 conversation (the caller a member) with the addressed user, or null: typing creates none. */
async function pairWith(ctx: SocketContext, ref: string, field: string): Promise<string | null> {
  const other = await findUserByRef(ctx.db, ref);
  if (!other) throw notFound("Receiver not found");
  if (other.id === ctx.userId) throw badRequest(`${field}: you cannot type to yourself`);
  await assertNotBlockedBy(ctx.db, other.id, ctx.userId);
  const row = await ctx.db
    .select({ id: conversations.id })
    .from(conversations)
    .innerJoin(conversationMembers, and(eq(conversationMembers.conversationId, conversations.id), eq(conversationMembers.userId, ctx.userId)))
    .where(eq(conversations.pairKey, pairKey(ctx.userId, other.id)))
    .get();
  return row?.id ?? null;
}

/** The answer to typing addressed to someone one has no conversation with: nothing happens. */
const noConversation = { success: true, typing: false, conversation_id: null, conversationId: null };

async function setTyping(ctx: SocketContext, conversationId: string, on: boolean) {
  const result = unwrap(await conversationRoom(ctx.env, conversationId).typing(ctx.userId, on));
  const mine = typingBySid.get(ctx.sid) ?? new Set<string>();
  if (on) mine.add(conversationId);
  else mine.delete(conversationId);
  if (mine.size) typingBySid.set(ctx.sid, mine);
  else typingBySid.delete(ctx.sid);
  return { success: true, conversation_id: conversationId, conversationId, typing: result.typing };
}

/** 002 by `receiverId`, else 004 by `conversation_id`. */
async function typingEvent(ctx: SocketContext, payload: unknown, on: boolean) {
  const p = payloadObject(payload);
  if (p.receiverId !== undefined && p.receiverId !== null) {
    const { receiverId } = parsePayload(ByReceiver, p);
    const conversationId = await pairWith(ctx, receiverId, "receiverId");
    return conversationId ? setTyping(ctx, conversationId, on) : noConversation;
  }
  const b = parsePayload(ByConversation, p, ctx.dialect === "chat-socket" ? 422 : 400);
  return setTyping(ctx, (b.conversation_id ?? b.conversationId)!, on);
}

const on_typing_start: EventHandler<"typing_start"> = (ctx, payload) => typingEvent(ctx, payload, true);
const on_typing_stop: EventHandler<"typing_stop"> = (ctx, payload) => typingEvent(ctx, payload, false);

async function typing001(ctx: SocketContext, payload: unknown, on: boolean) {
  const { recipientId } = parsePayload(ByRecipient, payload);
  const conversationId = await pairWith(ctx, recipientId, "recipientId");
  return conversationId ? setTyping(ctx, conversationId, on) : noConversation;
}

const on_typing: EventHandler<"typing"> = (ctx, payload) => typing001(ctx, payload, true);
const on_stopTyping: EventHandler<"stopTyping"> = (ctx, payload) => typing001(ctx, payload, false);

/** A closed connection stops typing wherever it was typing. */
export const typingOnDisconnect: DisconnectHook = (ctx) => {
  const mine = typingBySid.get(ctx.sid);
  if (!mine) return;
  typingBySid.delete(ctx.sid);
  for (const conversationId of mine) {
    background("typing stop on disconnect", conversationRoom(ctx.env, conversationId).typing(ctx.userId, false));
  }
};

export const typingHandlers = {
  typing_start: on_typing_start,
  typing_stop: on_typing_stop,
  typing: on_typing,
  stopTyping: on_stopTyping,
} satisfies Partial<HandlerTable>;

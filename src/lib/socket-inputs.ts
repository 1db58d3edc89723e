/**
 * The payloads of the client->server socket events that have their own
 * schema (message sends, pages, `since` and create-group share theirs with
 * REST: ./requests.ts). The
 * handlers (src/realtime/handlers/*) validate with these; the event maps
 * (src/views/event-map.ts) and the AsyncAPI document are derived from them.
 */
import { z } from "zod";
import { EntityId, MessageType, UserRef } from "./schemas";
import { ClientMsgId, pageFields, SinceField, Text } from "./requests";

const Page = pageFields(50, 100);

// ---- messaging ----------------------------------------------------------

/** 002 `send_message` to a user. */
export const Send002 = z
  .object({
    receiverId: UserRef,
    content: Text.default(""),
    messageType: MessageType.optional(),
    clientMsgId: ClientMsgId.optional(),
  })
  .refine((b) => b.content.trim(), { message: "must not be empty", path: ["content"] });

export const MarkMessageRead002 = z.object({ messageId: EntityId });

export const MarkMessagesRead = z.object({ conversationId: EntityId, messageId: EntityId.optional() });

export const MarkAsRead004 = z.object({ conversation_id: EntityId });

export const History002 = z.object({ otherUserId: UserRef, ...Page });

export const GetMessages003 = z.object({ conversationId: EntityId, ...Page });

export const Sync = z
  .object({
    conversationId: EntityId.optional(),
    conversation_id: EntityId.optional(),
    since: SinceField.default(0),
    limit: pageFields(100, 100).limit,
  })
  .refine((b) => b.conversationId || b.conversation_id, { message: "is required", path: ["conversationId"] });

// ---- typing -------------------------------------------------------------

export const ByReceiver = z.object({ receiverId: UserRef });
export const ByRecipient = z.object({ recipientId: UserRef });
export const ByConversation = z
  .object({ conversation_id: EntityId.optional(), conversationId: EntityId.optional() })
  .refine((b) => b.conversation_id || b.conversationId, { message: "is required", path: ["conversation_id"] });

// ---- conversations and rooms --------------------------------------------

export const JoinGroup = z.object({ conversationId: EntityId });

export const Room004 = z.object({ conversation_id: EntityId });

/**
 * The payloads of the client->server socket events that have their own
 * schema (message sends share theirs with REST: ./message-inputs.ts). The
 * handlers (src/realtime/handlers/*) validate with these; the event maps
 * (src/views/event-map.ts) and the AsyncAPI document are derived from them.
 */
import { z } from "zod";
import { EntityId, MessageType, UserRef } from "./schemas";
import { ClientMsgId, SinceField, Text } from "./message-inputs";

const Page = {
  page: z.coerce.number().int().min(1, "must be >= 1").default(1),
  limit: z.coerce.number().int().min(1, "must be >= 1").max(100, "must be <= 100").default(50),
};

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
    limit: z.coerce.number().int().min(1, "must be >= 1").max(100, "must be <= 100").default(100),
  })
  .refine((b) => b.conversationId || b.conversation_id, { message: "is required", path: ["conversationId"] });

// ---- typing -------------------------------------------------------------

export const ByReceiver = z.object({ receiverId: UserRef });
export const ByRecipient = z.object({ recipientId: UserRef });
export const ByConversation = z
  .object({ conversation_id: EntityId.optional(), conversationId: EntityId.optional() })
  .refine((b) => b.conversation_id || b.conversationId, { message: "is required", path: ["conversation_id"] });

// ---- conversations and rooms --------------------------------------------

export const CreateGroup = z.object({
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  members: z.array(UserRef).min(1, "must name at least one user").max(50, "at most 50 users per request"),
});

export const JoinGroup = z.object({ conversationId: EntityId });

export const Room004 = z.object({ conversation_id: EntityId });

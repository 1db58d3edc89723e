/**
 * /api/conversations: 1-on-1 and group conversations (003), the chat-socket
 * conversation routes (004: list, start, messages, mark-read) and the 001
 * per-user conversation metadata (pin, block, ringtone, favourite).
 *
 * A conversation the caller is not a member of answers 404 everywhere.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  addMembers,
  createGroup,
  getConversation,
  getOrCreatePair,
  leaveConversation,
  listConversations,
  peopleChanged,
  removeMembers,
  renameGroup,
  assertNotBlockedBy,
  CONVERSATION_PAGE_DEFAULT,
  CONVERSATION_PAGE_MAX,
} from "../domain/conversations";
import { conversationHistory, messagesSince, parseSince, readConversation } from "../domain/messages";
import { getMetadata, upsertMetadata } from "../domain/metadata";
import { findUserByEmail, findUserByRef } from "../domain/users";
import { ApiError, describeZodError, notFound } from "../lib/errors";
import { type AppEnv, bearer, createRouter, described, ok, jsonBody, validationHook } from "../lib/http";
import { Conversation003, ConversationStart004, ConversationSummary004, Envelope, LeftConversation, MarkedRead004, Message004, MetadataView } from "../views/schemas";
import { Email, EntityId, UserRef } from "../lib/schemas";
import { conversation003, conversationStart004, conversationSummary004, envelope } from "../views/conversation";
import { message004 } from "../views/message";
import { metadataView } from "../views/friend";
import { SinceQuery } from "../lib/message-inputs";

const conversationsRouter = createRouter();
const tags = ["Conversations"];

const ConversationParam = z.object({
  conversationId: EntityId.openapi({ param: { name: "conversationId", in: "path" } }),
});
const OtherUserParam = z.object({
  otherUserId: UserRef.openapi({ param: { name: "otherUserId", in: "path" } }),
});
const MemberList = z
  .array(UserRef)
  .min(1, "must name at least one user")
  .max(50, "at most 50 users per request")
  .openapi({ example: ["64a1b2c3d4e5f67890123456"] });
const GroupName = z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters");

// ---- 003: create ---------------------------------------------------------

const OneOnOneBody = z
  .object({
    receiverId: UserRef.optional(),
    recipientId: UserRef.optional(),
    userId: UserRef.optional(),
  })
  .refine((b) => b.receiverId ?? b.recipientId ?? b.userId, { message: "is required", path: ["receiverId"] })
  .openapi("CreateOneOnOne");

conversationsRouter.openapi(
  createRoute({
    method: "post",
    path: "/1on1",
    tags,
    summary: "Create (or get) the 1-on-1 conversation with another user (003)",
    description: "The pair's conversation is unique: when it exists it is returned (200) instead of duplicated (201 when created).",
    security: bearer,
    request: { body: jsonBody(OneOnOneBody) },
    responses: {
      201: ok(Envelope(Conversation003), "Created: `{success, statusCode, message, data: conversation}`"),
      200: ok(Envelope(Conversation003), "Already existed: same body"),
      403: described("The other user blocked you (`Access denied`)"),
      404: described("Receiver not found"),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const me = c.var.auth.id;
    const other = await findUserByRef(c.var.db, (body.receiverId ?? body.recipientId ?? body.userId)!);
    if (!other) throw notFound("Receiver not found");
    await assertNotBlockedBy(c.var.db, other.id, me);
    const { conversation, created } = await getOrCreatePair(c.env, c.var.db, me, other.id);
    const record = await getConversation(c.env, c.var.db, conversation.id, me);
    return created
      ? c.json(envelope(201, "1-on-1 conversation created successfully", conversation003(record)), 201)
      : c.json(envelope(200, "1-on-1 conversation retrieved successfully", conversation003(record)), 200);
  },
);

conversationsRouter.openapi(
  createRoute({
    method: "post",
    path: "/group",
    tags,
    summary: "Create a group conversation (003); the caller is its creator and a member",
    security: bearer,
    request: { body: jsonBody(z.object({ name: GroupName, members: MemberList }).openapi("CreateGroup")) },
    responses: {
      201: ok(Envelope(Conversation003), "`{success, statusCode, message, data: conversation}`"),
      403: described("A named member blocked you (`Access denied`)"),
      404: described("A named member does not exist"),
      409: described("More than 256 members"),
    },
  }),
  async (c) => {
    const { name, members } = c.req.valid("json");
    const conversation = await createGroup(c.var.db, c.var.auth.id, name, members);
    const record = await getConversation(c.env, c.var.db, conversation.id, c.var.auth.id);
    return c.json(envelope(201, "Group conversation created successfully", conversation003(record)), 201);
  },
);

// ---- list (003 envelope or 004 summaries, by dialect) ---------------------

conversationsRouter.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags,
    summary: "The caller's conversations, newest activity first (003 envelope or 004 array, by dialect)",
    description:
      "Standard dialect (003): `{success, statusCode, message, data:[{_id, type, name, members, lastMessage, lastMessageAt, unreadCount, ...}]}`. " +
      "Chat-socket dialect (004 token, or `?dialect=chat-socket`): `[{conversation_id, participants, last_message, last_message_time, last_message_sender, unread_count}]`. " +
      `Paged in both: \`?page\` (from 1) and \`?limit\` (default ${CONVERSATION_PAGE_DEFAULT}, at most ${CONVERSATION_PAGE_MAX}); a page shorter than \`limit\` is the last.`,
    security: bearer,
    request: {
      query: z.object({
        dialect: z.enum(["standard", "chat-socket"]).optional(),
        page: z.coerce.number().int().min(1, "must be >= 1").default(1).openapi({ description: "1 = the most recently active conversations" }),
        limit: z.coerce
          .number()
          .int()
          .min(1, "must be >= 1")
          .max(CONVERSATION_PAGE_MAX, `must be <= ${CONVERSATION_PAGE_MAX}`)
          .default(CONVERSATION_PAGE_DEFAULT)
          .openapi({ description: `conversations per page (default ${CONVERSATION_PAGE_DEFAULT}, at most ${CONVERSATION_PAGE_MAX}); a page shorter than \`limit\` is the last` }),
      }),
    },
    responses: {
      200: ok(z.union([Envelope(z.array(Conversation003)), z.array(ConversationSummary004)]), "One page of conversations, ordered by last activity (newest first)"),
      400: described("Bad page or limit"),
    },
  }),
  async (c) => {
    const { page, limit } = c.req.valid("query");
    const records = await listConversations(c.env, c.var.db, c.var.auth.id, { page, limit });
    if (c.var.dialect === "chat-socket") return c.json(records.map(conversationSummary004));
    return c.json(envelope(200, "Conversations retrieved successfully", records.map(conversation003)));
  },
);

// ---- 004: start ----------------------------------------------------------

const StartBody = z.object({ to_email: Email }).openapi("StartConversation");
const formOrJson = <T extends z.ZodType>(schema: T) => ({
  required: false,
  content: {
    "application/x-www-form-urlencoded": { schema },
    "multipart/form-data": { schema },
    "application/json": { schema },
  },
});

/** A body that may come as a form or JSON, validated with 004's 422. */
function formOrJsonBody<T extends z.ZodType>(c: Context<AppEnv>, schema: T): z.infer<T> {
  const isForm = /form/i.test(c.req.header("content-type") ?? "");
  const raw = isForm ? (c.req.valid as (t: "form") => unknown)("form") : (c.req.valid as (t: "json") => unknown)("json");
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) throw new ApiError(422, describeZodError(parsed.error));
  return parsed.data;
}

conversationsRouter.openapi(
  createRoute({
    method: "post",
    path: "/start",
    tags,
    summary: "Start (or get) the conversation with a user by email (004)",
    description: "Form `to_email=...` (JSON `{to_email}` accepted too). Answers `{conversation_id, participants}`.",
    security: bearer,
    request: { body: formOrJson(StartBody) },
    responses: {
      200: ok(ConversationStart004, "`{conversation_id, participants:[emails]}`"),
      403: described("The other user blocked you (`Access denied`)"),
      404: described("Target user not found"),
      422: described("Missing or invalid to_email"),
    },
  }),
  async (c) => {
    const { to_email } = formOrJsonBody(c, StartBody);
    const me = c.var.auth.id;
    const other = await findUserByEmail(c.var.db, to_email);
    if (!other) throw notFound("Target user not found");
    if (other.id === me) throw new ApiError(422, "to_email: you cannot start a conversation with yourself");
    await assertNotBlockedBy(c.var.db, other.id, me);
    const { conversation } = await getOrCreatePair(c.env, c.var.db, me, other.id);
    const record = await getConversation(c.env, c.var.db, conversation.id, me);
    return c.json(conversationStart004(record));
  },
  validationHook(422),
);

// ---- one conversation (003) ---------------------------------------------

conversationsRouter.openapi(
  createRoute({
    method: "get",
    path: "/{conversationId}",
    tags,
    summary: "A conversation the caller is a member of (003)",
    security: bearer,
    request: { params: ConversationParam },
    responses: { 200: ok(Envelope(Conversation003), "`{success, statusCode, message, data: conversation}`"), 404: described("No such conversation, or not a member") },
  }),
  async (c) => {
    const record = await getConversation(c.env, c.var.db, c.req.valid("param").conversationId, c.var.auth.id);
    return c.json(envelope(200, "Conversation retrieved successfully", conversation003(record)));
  },
);

conversationsRouter.openapi(
  createRoute({
    method: "put",
    path: "/{conversationId}",
    tags,
    summary: "Rename a group (003; creator only)",
    security: bearer,
    request: { params: ConversationParam, body: jsonBody(z.object({ name: GroupName }).openapi("UpdateGroup")) },
    responses: {
      200: ok(Envelope(Conversation003), "`{success, statusCode, message, data: conversation}`"),
      400: described("Not a group, or bad name"),
      403: described("Not the creator"),
      404: described("No such conversation, or not a member"),
    },
  }),
  async (c) => {
    const record = await renameGroup(c.env, c.var.db, c.req.valid("param").conversationId, c.var.auth.id, c.req.valid("json").name);
    return c.json(envelope(200, "Conversation updated successfully", conversation003(record)));
  },
);

conversationsRouter.openapi(
  createRoute({
    method: "post",
    path: "/{conversationId}/members",
    tags,
    summary: "Add members to a group (003; any member)",
    security: bearer,
    request: { params: ConversationParam, body: jsonBody(z.object({ members: MemberList }).openapi("AddMembers")) },
    responses: {
      200: ok(Envelope(Conversation003), "`{success, statusCode, message, data: conversation}`"),
      400: described("Not a group"),
      403: described("A named user blocked you (`Access denied`)"),
      404: described("No such conversation / user"),
      409: described("The group would have more than 256 members (nobody is added)"),
    },
  }),
  async (c) => {
    const record = await addMembers(c.env, c.var.db, c.req.valid("param").conversationId, c.var.auth.id, c.req.valid("json").members);
    return c.json(envelope(200, "Members added successfully", conversation003(record)));
  },
);

conversationsRouter.openapi(
  createRoute({
    method: "delete",
    path: "/{conversationId}/members",
    tags,
    summary: "Remove members from a group (003; creator only)",
    security: bearer,
    request: { params: ConversationParam, body: jsonBody(z.object({ members: MemberList }).openapi("RemoveMembers")) },
    responses: {
      200: ok(Envelope(Conversation003), "`{success, statusCode, message, data: conversation}`"),
      400: described("Not a group, not members, or yourself"),
      403: described("Not the creator"),
      404: described("No such conversation / user"),
    },
  }),
  async (c) => {
    const record = await removeMembers(c.env, c.var.db, c.req.valid("param").conversationId, c.var.auth.id, c.req.valid("json").members);
    return c.json(envelope(200, "Members removed successfully", conversation003(record)));
  },
);

conversationsRouter.openapi(
  createRoute({
    method: "delete",
    path: "/{conversationId}/leave",
    tags,
    summary: "Leave a conversation (003). The creator's role passes to the longest-standing member; the last to leave archives it.",
    security: bearer,
    request: { params: ConversationParam },
    responses: { 200: ok(Envelope(LeftConversation), "`{success, statusCode, message, data:{conversationId, status, createdBy}}`"), 404: described("Not a member") },
  }),
  async (c) => {
    const result = await leaveConversation(c.env, c.var.db, c.req.valid("param").conversationId, c.var.auth.id);
    return c.json(envelope(200, "Left conversation successfully", { _id: result.conversationId, ...result }));
  },
);

// ---- 004: messages and mark-read ------------------------------------------

conversationsRouter.openapi(
  createRoute({
    method: "get",
    path: "/{conversationId}/messages",
    tags,
    summary: "Messages of a conversation (004): skip the `skip` newest, then up to `limit`, oldest first",
    description:
      "skip=0 is the newest page; each page is in chronological order. Deleted messages appear with `deleted:true` and empty text. " +
      "With `since` (catch-up after a disconnection): the messages after that point (a `seq` or an ISO 8601 time), oldest first, up to `limit`; " +
      "a full answer means more may remain: ask again with the last message's `seq`.",
    security: bearer,
    request: {
      params: ConversationParam,
      query: z.object({
        skip: z.coerce.number().int().min(0, "must be >= 0").default(0),
        limit: z.coerce.number().int().min(1, "must be >= 1").max(100, "must be <= 100").default(50),
        since: SinceQuery,
      }),
    },
    responses: { 200: ok(z.array(Message004), "Array of 004 messages"), 404: described("No such conversation, or not a member"), 422: described("Bad skip/limit/since") },
  }),
  async (c) => {
    const { skip, limit, since } = c.req.valid("query");
    if (since !== undefined) {
      const caught = await messagesSince(c.env, c.req.valid("param").conversationId, c.var.auth.id, parseSince(since)!, limit);
      return c.json(caught.records.map(message004));
    }
    const page = await conversationHistory(c.env, c.req.valid("param").conversationId, c.var.auth.id, skip, limit);
    return c.json(page.records.map(message004));
  },
  validationHook(422),
);

conversationsRouter.openapi(
  createRoute({
    method: "post",
    path: "/{conversationId}/mark-read",
    tags,
    summary: "Mark the whole conversation read for the caller (004)",
    security: bearer,
    request: { params: ConversationParam },
    responses: { 200: ok(MarkedRead004, "`{message: \"Conversation marked as read\", modifiedCount}`"), 404: described("Not a member") },
  }),
  async (c) => {
    const conversationId = c.req.valid("param").conversationId;
    const read = await readConversation(c.env, conversationId, c.var.auth.id);
    return c.json({ message: "Conversation marked as read", success: true, conversation_id: conversationId, modifiedCount: read.modifiedCount });
  },
  validationHook(422),
);

// ---- 001: metadata ---------------------------------------------------------

const MetadataBody = z
  .object({
    isPinned: z.boolean().optional(),
    isBlocked: z.boolean().optional(),
    customRingtone: z.string().trim().max(2048, "must be at most 2048 characters").nullable().optional(),
    isFavorite: z.boolean().optional(),
  })
  .openapi("ConversationMetadataUpdate");

conversationsRouter.openapi(
  createRoute({
    method: "put",
    path: "/{otherUserId}/metadata",
    tags,
    summary: "Update the caller's metadata for a conversation partner: pin, block, ringtone, favourite (001)",
    description: "Only the given fields change. `isBlocked:true` stops the other user from messaging the caller and from seeing their presence (403 `Access denied`).",
    security: bearer,
    request: { params: OtherUserParam, body: jsonBody(MetadataBody) },
    responses: { 200: ok(MetadataView.extend({ success: z.boolean() }), "The stored metadata `{_id, userId, otherUserId, isPinned, isBlocked, customRingtone, isFavorite}`"), 404: described("No such user") },
  }),
  async (c) => {
    const changes = c.req.valid("json");
    const meta = await upsertMetadata(c.var.db, c.var.auth.id, c.req.valid("param").otherUserId, changes);
    // the pair's room refuses messages from a blocked user: it reloads the block state
    if (changes.isBlocked !== undefined) await peopleChanged(c.env, c.var.db, c.var.auth.id, meta.otherUserId);
    return c.json({ success: true, ...metadataView(meta) });
  },
);

conversationsRouter.openapi(
  createRoute({
    method: "get",
    path: "/{otherUserId}/metadata",
    tags,
    summary: "The caller's metadata for a conversation partner (defaults when none stored)",
    security: bearer,
    request: { params: OtherUserParam },
    responses: { 200: ok(MetadataView.extend({ success: z.boolean() }), "`{_id, userId, otherUserId, isPinned, isBlocked, customRingtone, isFavorite}`"), 404: described("No such user") },
  }),
  async (c) => {
    const meta = await getMetadata(c.var.db, c.var.auth.id, c.req.valid("param").otherUserId);
    return c.json({ success: true, ...metadataView(meta) });
  },
);

export { conversationsRouter };

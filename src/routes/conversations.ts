/**
 * /api/conversations: the caller's conversations (list, 003/004) and the ways
 * one comes to be: 003 1-on-1 and group creation, 004 start by email.
 * One conversation's routes are in ./conversation.ts, the 001 per-user
 * metadata in ./conversation-metadata.ts (mounted on the same prefix).
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  createGroup,
  getConversation,
  getOrCreatePair,
  listConversations,
  assertNotBlockedBy,
  CONVERSATION_PAGE_DEFAULT,
  CONVERSATION_PAGE_MAX,
} from "../domain/conversations";
import { findUserByEmail, findUserByRef } from "../domain/users";
import { ApiError, describeZodError, notFound } from "../lib/errors";
import { type AppEnv, bearer, createRouter, described, ok, jsonBody, validationHook } from "../lib/http";
import { CreateGroup, pageFields } from "../lib/requests";
import { Email, UserRef } from "../lib/schemas";
import { Conversation003, ConversationStart004, ConversationSummary004, Envelope } from "../views/schemas";
import { conversation003, conversationStart004, conversationSummary004, envelope } from "../views/conversation";

const conversationsRouter = createRouter();
const tags = ["Conversations"];

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
    request: { body: jsonBody(CreateGroup.openapi("CreateGroup")) },
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

const listPage = pageFields(CONVERSATION_PAGE_DEFAULT, CONVERSATION_PAGE_MAX);

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
        page: listPage.page.openapi({ description: "1 = the most recently active conversations" }),
        limit: listPage.limit.openapi({
          description: `conversations per page (default ${CONVERSATION_PAGE_DEFAULT}, at most ${CONVERSATION_PAGE_MAX}); a page shorter than \`limit\` is the last`,
        }),
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

export { conversationsRouter };

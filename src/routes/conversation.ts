/**
 * /api/conversations/{conversationId}: one conversation the caller is a
 * member of (003: read, rename, members, leave; 004: messages and
 * mark-read). Not a member: 404 everywhere.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { addMembers, getConversation, leaveConversation, removeMembers, renameGroup } from "../domain/conversations";
import { conversationHistory, messagesSince, readConversation } from "../domain/messages";
import { bearer, createRouter, described, ok, jsonBody, validationHook } from "../lib/http";
import { GroupName, MemberList, pageFields, parseSince, SinceQuery } from "../lib/requests";
import { ConversationParam } from "../lib/schemas";
import { Conversation003, Envelope, LeftConversation, MarkedRead004, Message004 } from "../views/schemas";
import { conversation003, envelope } from "../views/conversation";
import { message004 } from "../views/message";

const conversationRouter = createRouter();
const tags = ["Conversations"];

conversationRouter.openapi(
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

conversationRouter.openapi(
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

conversationRouter.openapi(
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

conversationRouter.openapi(
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

conversationRouter.openapi(
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

conversationRouter.openapi(
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
        limit: pageFields(50, 100).limit,
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

conversationRouter.openapi(
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

export { conversationRouter };

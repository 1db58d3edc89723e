/**
 * /api/conversations/{otherUserId}/metadata: the caller's 001 metadata for a
 * conversation partner (pin, block, ringtone, favourite).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { peopleChanged } from "../domain/conversations";
import { getMetadata, upsertMetadata } from "../domain/metadata";
import { bearer, createRouter, described, ok, jsonBody } from "../lib/http";
import { UserRef } from "../lib/schemas";
import { MetadataView } from "../views/schemas";
import { metadataView } from "../views/friend";

const metadataRouter = createRouter();
const tags = ["Conversations"];

const OtherUserParam = z.object({
  otherUserId: UserRef.openapi({ param: { name: "otherUserId", in: "path" } }),
});

const MetadataBody = z
  .object({
    isPinned: z.boolean().optional(),
    isBlocked: z.boolean().optional(),
    customRingtone: z.string().trim().max(2048, "must be at most 2048 characters").nullable().optional(),
    isFavorite: z.boolean().optional(),
  })
  .openapi("ConversationMetadataUpdate");

metadataRouter.openapi(
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

metadataRouter.openapi(
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

export { metadataRouter };

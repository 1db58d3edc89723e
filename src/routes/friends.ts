/**
 * /api/friends (001): the accepted friends list and the request flow
 * (CONTRACT.md "Details the documents leave open").
 */
import { checkLookupRate } from "../domain/rate-limits";
import { createRoute, z } from "@hono/zod-openapi";
import { listFriends, listRequests, type RequestWithUsers, respond, sendFriendRequest, unfriend } from "../domain/friends";
import { config } from "../lib/config";
import { bearer, createRouter, described, ok, jsonBody } from "../lib/http";
import { Done, FriendRequestResult, FriendRequestsList, FriendsList } from "../views/schemas";
import { Email, EntityId, UserRefParam, UserRef } from "../lib/schemas";
import { friendRequestView, friendView } from "../views/friend";

const friendsRouter = createRouter();
const tags = ["Friends"];

const requestView = (r: RequestWithUsers) => friendRequestView(r.request, r.from, r.to);
/** The request's fields at the top level and under `request`. */
const requestBody = (message: string, r: RequestWithUsers) => {
  const view = requestView(r);
  return { success: true as const, message, ...view, request: view };
};

const RequestParam = z.object({ requestId: EntityId.openapi({ param: { name: "requestId", in: "path" } }) });

friendsRouter.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags,
    summary: "The caller's accepted friends (001)",
    security: bearer,
    responses: { 200: ok(FriendsList, "`{success, friends:[{_id, userId, name, photoURL, isOnline, lastSeen, ...}]}`") },
  }),
  async (c) => {
    const friends = await listFriends(c.var.db, c.var.auth.id);
    return c.json({ success: true, friends: friends.map((f) => friendView(f.user, { hidePresence: f.hidePresence, since: f.since })) });
  },
);

const RequestBody = z
  .object({
    userId: UserRef.optional(),
    phoneNumber: z.string().trim().min(1, "must not be empty").max(32, "is too long").optional(),
    email: Email.optional(),
  })
  .refine((b) => b.userId || b.phoneNumber || b.email, { message: "is required (or phoneNumber, or email)", path: ["userId"] })
  .openapi("FriendRequestCreate");

friendsRouter.openapi(
  createRoute({
    method: "post",
    path: "/requests",
    tags,
    summary: "Send a friend request by user id, phone number or email; a request to someone who already asked you accepts theirs",
    security: bearer,
    request: { body: jsonBody(RequestBody) },
    responses: {
      201: ok(FriendRequestResult, "`{success, _id, from, to, status:\"pending\", createdAt, request}`"),
      200: ok(FriendRequestResult, "Their pending request to you was accepted instead: `{..., status:\"accepted\"}`"),
      403: described("The user blocked you (`Access denied`)"),
      404: described("No such user"),
      409: described("Already friends, already pending, at most 1,000 pending requests per user, or (accepting theirs) a friend list full at 5,000"),
    },
  }),
  async (c) => {
    await checkLookupRate(c.env, c.var.auth.id);
    const result = await sendFriendRequest(c.var.db, c.var.user, c.req.valid("json"), config(c.env).phoneRegion);
    return result.accepted
      ? c.json(requestBody("Friend request accepted", result), 200)
      : c.json(requestBody("Friend request sent", result), 201);
  },
);

friendsRouter.openapi(
  createRoute({
    method: "get",
    path: "/requests",
    tags,
    summary: "Pending friend requests to and from the caller",
    security: bearer,
    responses: { 200: ok(FriendRequestsList, "`{success, incoming:[request], outgoing:[request]}`") },
  }),
  async (c) => {
    const { incoming, outgoing } = await listRequests(c.var.db, c.var.auth.id);
    return c.json({ success: true, incoming: incoming.map(requestView), outgoing: outgoing.map(requestView) });
  },
);

const respondRoute = (action: "accept" | "decline") =>
  createRoute({
    method: "post",
    path: `/requests/{requestId}/${action}`,
    tags,
    summary: `${action === "accept" ? "Accept" : "Decline"} a friend request (recipient only)`,
    security: bearer,
    request: { params: RequestParam },
    responses: {
      200: ok(FriendRequestResult, "`{success, message, request}`"),
      403: described("Not the recipient"),
      409: described("Not pending, or (accepting) either friend list is full at 5,000 (the request stays pending)"),
      404: described("No such request (or not yours)"),
    },
  });

friendsRouter.openapi(respondRoute("accept"), async (c) => {
  const r = await respond(c.var.db, c.req.valid("param").requestId, c.var.auth.id, "accepted");
  return c.json({ ...requestBody("Friend request accepted", r), friend: friendView(r.from, { hidePresence: false }) });
});

friendsRouter.openapi(respondRoute("decline"), async (c) => {
  const r = await respond(c.var.db, c.req.valid("param").requestId, c.var.auth.id, "declined");
  return c.json(requestBody("Friend request declined", r));
});

friendsRouter.openapi(
  createRoute({
    method: "delete",
    path: "/requests/{requestId}",
    tags,
    summary: "Cancel a friend request (sender only)",
    security: bearer,
    request: { params: RequestParam },
    responses: {
      200: ok(FriendRequestResult, "`{success, message, request}`"),
      403: described("Not the sender"),
      404: described("No such request (or not yours)"),
    },
  }),
  async (c) => {
    const r = await respond(c.var.db, c.req.valid("param").requestId, c.var.auth.id, "cancelled");
    return c.json(requestBody("Friend request cancelled", r));
  },
);

friendsRouter.openapi(
  createRoute({
    method: "delete",
    path: "/{userId}",
    tags,
    summary: "Remove a friend (either id form)",
    security: bearer,
    request: { params: UserRefParam },
    responses: { 200: ok(Done.extend({ userId: z.string() }), "`{success, message}`"), 404: described("No such user, or not friends") },
  }),
  async (c) => {
    const other = await unfriend(c.var.db, c.var.auth.id, c.req.valid("param").userId);
    return c.json({ success: true, message: "Friend removed", userId: other.id });
  },
);

export { friendsRouter };

/**
 * /api/users: the owner's data and profile (000), profile edits (000),
 * `me` and search (004).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq } from "drizzle-orm";
import { statusHistory, statusSchedules, statusTemplates } from "../db/schema";
import { peopleChanged } from "../domain/conversations";
import { armStatusTimer } from "../domain/status-timer";
import { requireRecentAuth, searchUsers, updateProfile } from "../domain/users";
import { PASSWORD_MAX } from "../lib/body-limit";
import { config } from "../lib/config";
import { bearer, createRouter, described, ok, jsonBody, validationHook } from "../lib/http";
import { Data, UserProfileView, UserSearchResultView, UserSelfView, UserWithToken } from "../views/schemas";
import { normalizePhone } from "../lib/phone";
import { Email, TimeZone, UserRefParam } from "../lib/schemas";
import { issueToken } from "../lib/tokens";
import { historyView, scheduleView, templateView } from "../views/status";
import { userSearchResult, userSelf } from "../views/user";
import { ApiError } from "../lib/errors";
import { checkLookupRate } from "../domain/rate-limits";
import { requireSelf } from "../middleware/auth";

const usersRouter = createRouter();

usersRouter.openapi(
  createRoute({
    method: "get",
    path: "/me",
    tags: ["Users"],
    summary: "The current user (004)",
    security: bearer,
    responses: { 200: ok(UserSelfView, "`{email, name, profile_image, is_online, last_seen, ...}`") },
  }),
  async (c) => c.json(userSelf(c.var.user)),
);

usersRouter.openapi(
  createRoute({
    method: "get",
    path: "/search",
    tags: ["Users"],
    summary: "Search users by name or email (004)",
    security: bearer,
    request: {
      query: z.object({
        query: z.string().trim().min(1, "is required").max(100, "is too long"),
        limit: z.coerce.number().int().min(1).max(50).default(20),
      }),
    },
    responses: { 200: ok(z.array(UserSearchResultView), "Array of `{email, name, profile_image, is_online}`"), 422: described("Missing query") },
  }),
  async (c) => {
    const { query, limit } = c.req.valid("query");
    await checkLookupRate(c.env, c.var.auth.id);
    const found = await searchUsers(c.var.db, query, c.var.auth.id, limit);
    return c.json(found.map((f) => userSearchResult(f.user, { hidePresence: f.blockedViewer })));
  },
  validationHook(422),
);

const ProfileBody = z
  .object({
    name: z.string().trim().min(1, "must not be empty").max(100).optional(),
    email: Email.optional(),
    phoneNumber: z.string().trim().min(1, "must not be empty").max(32).optional(),
    password: z.string().min(6, "must be at least 6 characters").max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`).optional(),
    currentPassword: z.string().max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`).optional().openapi({
      description: "Needed to change `password` or `email` unless the token comes from a login within the last 10 minutes",
    }),
    username: z.string().trim().regex(/^[a-z0-9._-]{2,32}$/i, "must be 2-32 letters, digits, '.', '_' or '-'").optional(),
    profileImage: z.string().trim().max(2048).nullable().optional(),
    photoURL: z.string().trim().max(2048).nullable().optional(),
    profile_image: z.string().trim().max(2048).nullable().optional(),
    timezone: TimeZone.optional(),
    statusVisibility: z.enum(["everyone", "contacts", "nobody"]).optional(),
    phoneVisibility: z.enum(["everyone", "contacts", "nobody"]).optional().openapi({
      description: "Who sees your phone number: everyone, contacts (people you added as contact or friend; the default) or nobody",
    }),
  })
  .openapi("ProfileUpdate");

usersRouter.openapi(
  createRoute({
    method: "put",
    path: "/profile",
    tags: ["Users"],
    summary: "Update the current user's profile; re-issues the token (000)",
    description:
      "Changing `password` or `email` needs proof of a recent login: `currentPassword` in the body, or a token from a login " +
      "within the last 10 minutes (403 otherwise). Such a change revokes every earlier token; use the `token` in the answer.",
    security: bearer,
    request: { body: jsonBody(ProfileBody) },
    responses: { 200: ok(UserWithToken, "`{_id, userId, name, phoneNumber, email, status, customStatus, statusUntil, token}`") },
  }),
  async (c) => {
    const body = c.req.valid("json");
    let phoneNumber: string | undefined;
    if (body.phoneNumber !== undefined) {
      const normalized = normalizePhone(body.phoneNumber, config(c.env).phoneRegion);
      if (!normalized) throw new ApiError(400, "phoneNumber: not a valid phone number");
      phoneNumber = normalized;
    }
    const me = c.var.user;
    const newEmail = body.email !== undefined && body.email.trim().toLowerCase() !== me.email;
    if (body.password !== undefined || newEmail) await requireRecentAuth(me, c.var.auth.authTime, body.currentPassword);
    const updated = await updateProfile(c.var.db, me, {
      ...body,
      phoneNumber,
      // the first name given wins; null (a given value) clears the image
      profileImage: [body.profileImage, body.photoURL, body.profile_image].find((v) => v !== undefined),
    });
    // schedules keep their local wall-clock time: a new zone moves the next start or end
    if (updated.timezone !== c.var.user.timezone) await armStatusTimer(c.env, updated.id);
    // conversations show the name, email, handle and image: their rooms reload them
    const before = c.var.user;
    if ((["name", "email", "username", "profileImage"] as const).some((k) => updated[k] !== before[k])) await peopleChanged(c.env, c.var.db, updated.id);
    // not a login: the token keeps the login time it had; a new password or email raised the version
    const token = await issueToken(c.env, {
      sub: updated.id,
      uid: updated.userId,
      dlc: c.var.dialect,
      ver: updated.tokenVersion,
      authTime: c.var.auth.authTime,
    });
    return c.json({ ...userSelf(updated), token });
  },
);

usersRouter.openapi(
  createRoute({
    method: "get",
    path: "/{userId}/data",
    tags: ["Users"],
    summary: "A user's own data (000; owner only)",
    security: bearer,
    request: { params: UserRefParam },
    responses: { 200: ok(Data(UserSelfView), "`{success, data}`"), 403: described("Not the owner"), 404: described("No such user") },
  }),
  async (c) => {
    const user = await requireSelf(c, c.req.valid("param").userId);
    return c.json({ success: true, data: userSelf(user) });
  },
);

usersRouter.openapi(
  createRoute({
    method: "get",
    path: "/{userId}/profile",
    tags: ["Users"],
    summary: "Profile with recent history, active schedules and templates (000; owner only)",
    security: bearer,
    request: { params: UserRefParam },
    responses: { 200: ok(Data(UserProfileView), "`{success, data: {profile, recentHistory, activeSchedules, templates}}`") },
  }),
  async (c) => {
    const user = await requireSelf(c, c.req.valid("param").userId);
    const db = c.var.db;
    const [history, schedules, templates] = await db.batch([
      db.select().from(statusHistory).where(eq(statusHistory.userId, user.id)).orderBy(desc(statusHistory.startTime)).limit(10),
      db
        .select()
        .from(statusSchedules)
        .where(and(eq(statusSchedules.userId, user.id), eq(statusSchedules.active, true)))
        .orderBy(statusSchedules.startTime)
        .limit(50),
      db.select().from(statusTemplates).where(eq(statusTemplates.userId, user.id)).orderBy(desc(statusTemplates.createdAt)).limit(50),
    ]);
    return c.json({
      success: true,
      data: {
        profile: userSelf(user),
        recentHistory: history.map((h) => historyView(h, user)),
        activeSchedules: schedules.map((s) => scheduleView(s, user)),
        templates: templates.map((t) => templateView(t, user)),
      },
    });
  },
);

export { usersRouter };

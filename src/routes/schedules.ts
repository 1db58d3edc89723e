/**
 * Status schedules (000): `/api/users/:userId/schedules` (owner only) and
 * `/api/status/schedules/upcoming` (the caller's next occurrences).
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  createSchedule,
  deleteSchedule,
  listSchedules,
  ScheduleCreate,
  ScheduleUpdate,
  updateSchedule,
  upcomingOccurrences,
} from "../domain/schedules";
import { bearer, createRouter, described, ok, jsonBody } from "../lib/http";
import { Data, Done, Paged, ScheduleView, UpcomingOccurrence } from "../views/schemas";
import { EntityId, UserRef } from "../lib/schemas";
import { pageQuery, pagination } from "../lib/requests";
import { requireSelf } from "../middleware/auth";
import { scheduleView } from "../views/status";

const schedulesRouter = createRouter();
const upcomingRouter = createRouter();

const UserParam = z.object({ userId: UserRef.openapi({ param: { name: "userId", in: "path" } }) });
const UserAndIdParams = z.object({
  userId: UserRef.openapi({ param: { name: "userId", in: "path" } }),
  id: EntityId.openapi({ param: { name: "id", in: "path" } }),
});

const BoolQuery = z
  .enum(["true", "false", "1", "0"], { message: "must be true or false" })
  .transform((v) => v === "true" || v === "1");

schedulesRouter.openapi(
  createRoute({
    method: "get",
    path: "/{userId}/schedules",
    tags: ["Status schedules"],
    summary: "A user's status schedules (000; owner only)",
    description: "Ordered by first start time. `active` defaults to true; `active=false` lists the inactive ones.",
    security: bearer,
    request: {
      params: UserParam,
      query: pageQuery(10).extend({ active: BoolQuery.default(true).openapi({ type: "boolean", example: true }) }),
    },
    responses: {
      200: ok(Paged(ScheduleView), "`{success, data: [schedule], pagination: {page, limit, total, pages}}`"),
      403: described("Not the owner"),
      404: described("No such user"),
    },
  }),
  async (c) => {
    const user = await requireSelf(c, c.req.valid("param").userId, "schedules");
    const { page, limit, active } = c.req.valid("query");
    const { rows, total } = await listSchedules(c.var.db, user, { page, limit, active });
    return c.json({ success: true, data: rows.map((s) => scheduleView(s, user)), pagination: pagination(page, limit, total) });
  },
);

schedulesRouter.openapi(
  createRoute({
    method: "post",
    path: "/{userId}/schedules",
    tags: ["Status schedules"],
    summary: "Create a status schedule (000; owner only)",
    description:
      "`repeat`: none | daily | weekdays | weekly | monthly, evaluated in the user's time zone (profile `timezone`): " +
      "every occurrence keeps the first one's local start and end time. Monthly on the 29th-31st falls on the last " +
      "day of shorter months. Schedules may overlap: at run time the most recently started occurrence sets the status and, " +
      "when it ends, the one it interrupted comes back if it is still running.",
    security: bearer,
    request: { params: UserParam, body: jsonBody(ScheduleCreate) },
    responses: {
      201: ok(Data(ScheduleView), "`{success, data: schedule}`"),
      400: described("Invalid field (named in the message)"),
      409: described("At most 500 schedules per user"),
      403: described("Not the owner"),
      404: described("No such user"),
    },
  }),
  async (c) => {
    const user = await requireSelf(c, c.req.valid("param").userId, "schedules");
    const created = await createSchedule(c.env, c.var.db, user, c.req.valid("json"));
    return c.json({ success: true, data: scheduleView(created, user) }, 201);
  },
);

schedulesRouter.openapi(
  createRoute({
    method: "put",
    path: "/{userId}/schedules/{id}",
    tags: ["Status schedules"],
    summary: "Update a status schedule (000; owner only)",
    description: "Any subset of the fields; the result is validated as a whole. New timing restarts the series.",
    security: bearer,
    request: { params: UserAndIdParams, body: jsonBody(ScheduleUpdate) },
    responses: {
      200: ok(Data(ScheduleView), "`{success, data: schedule}`"),
      400: described("Invalid field"),
      403: described("Not the owner"),
      404: described("No such user or schedule"),
    },
  }),
  async (c) => {
    const { userId, id } = c.req.valid("param");
    const user = await requireSelf(c, userId, "schedules");
    const updated = await updateSchedule(c.env, c.var.db, user, id, c.req.valid("json"));
    return c.json({ success: true, data: scheduleView(updated, user) });
  },
);

schedulesRouter.openapi(
  createRoute({
    method: "delete",
    path: "/{userId}/schedules/{id}",
    tags: ["Status schedules"],
    summary: "Delete a status schedule (000; owner only)",
    security: bearer,
    request: { params: UserAndIdParams },
    responses: {
      200: ok(Done, '`{success: true, message: "Status schedule deleted"}`'),
      403: described("Not the owner"),
      404: described("No such user or schedule"),
    },
  }),
  async (c) => {
    const { userId, id } = c.req.valid("param");
    const user = await requireSelf(c, userId, "schedules");
    await deleteSchedule(c.env, c.var.db, user, id);
    return c.json({ success: true, message: "Status schedule deleted" });
  },
);

upcomingRouter.openapi(
  createRoute({
    method: "get",
    path: "/upcoming",
    tags: ["Status schedules"],
    summary: "The caller's next schedule occurrences, soonest first (000)",
    description:
      "One entry per occurrence (a recurring schedule can appear several times), as the schedule object with " +
      "`startTime`/`endTime` of that occurrence; an occurrence in progress comes first. `limit` (default 10, max 100) " +
      "entries starting within `days` (default 7, max 366) from now.",
    security: bearer,
    request: {
      query: z.object({
        limit: z.coerce.number().int().min(1, "must be >= 1").max(100, "must be <= 100").default(10),
        days: z.coerce.number().int().min(1, "must be >= 1").max(366, "must be <= 366").default(7),
      }),
    },
    responses: { 200: ok(Data(z.array(UpcomingOccurrence)), "`{success, data: [schedule occurrence]}`") },
  }),
  async (c) => {
    const user = c.var.user;
    const { limit, days } = c.req.valid("query");
    const now = Date.now();
    const list = await upcomingOccurrences(c.var.db, user, { limit, days, now });
    return c.json({
      success: true,
      data: list.map(({ schedule, occurrence }) => ({
        ...scheduleView(schedule, user),
        startTime: new Date(occurrence.start).toISOString(),
        endTime: new Date(occurrence.end).toISOString(),
        inProgress: occurrence.start <= now,
        scheduleStartTime: schedule.startTime.toISOString(),
        scheduleEndTime: schedule.endTime.toISOString(),
      })),
    });
  },
);

export { schedulesRouter, upcomingRouter };

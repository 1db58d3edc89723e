/**
 * /api/bulk (000): bulk templates and schedules (all or nothing), calendar
 * sync and status suggestions.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { BULK_MAX, BulkTemplateItem, bulkCreateSchedules, bulkCreateTemplates } from "../domain/bulk";
import { CALENDAR_TYPES } from "../domain/calendar/provider";
import { MAX_WINDOW_DAYS, syncCalendar } from "../domain/calendar/sync";
import { ScheduleCreate } from "../domain/schedules";
import { LOOKBACK_DAYS, MIN_DAYS, suggestStatuses } from "../domain/suggestions";
import { errorBody } from "../lib/errors";
import { type AppEnv, bearer, createRouter, described, ok, jsonBody } from "../lib/http";
import { Counted, Data, ScheduleView, SuggestionView, TemplateView } from "../views/schemas";
import { IsoDate } from "../lib/schemas";
import { scheduleView, templateView } from "../views/status";

const bulkRouter = createRouter();

/** `[1].status: ...`: zod issue paths of a JSON array body, index first. */
function describeBatchIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const [head, ...rest] = i.path;
      if (head === undefined) return `body: ${i.message}`;
      const where = typeof head === "number" ? `[${head}]${rest.map((p) => `.${String(p)}`).join("")}` : i.path.join(".");
      return `${where}: ${i.message}`;
    })
    .join("; ");
}

/** Validation hook for the batch routes: 413 for an oversized batch, else 400 naming index and field. */
const batchHook = (result: { success: boolean; error?: unknown }, c: Context<AppEnv>) => {
  if (result.success) return;
  const issues = (result.error as z.ZodError).issues;
  const tooBig = issues.find((i) => i.path.length === 0 && i.code === "too_big");
  if (tooBig) return c.json(errorBody(413, `body: at most ${BULK_MAX} items per request`), 413);
  return c.json(errorBody(400, describeBatchIssues(issues)), 400);
};

const batchOf = <T extends z.ZodType>(item: T) =>
  z
    .array(item, { message: "must be a JSON array of items" })
    .min(1, "must contain at least one item")
    .max(BULK_MAX, `at most ${BULK_MAX} items per request`);

bulkRouter.openapi(
  createRoute({
    method: "post",
    path: "/templates/bulk",
    tags: ["Bulk"],
    summary: "Create many status templates at once (000; all or nothing)",
    description: `A JSON array of at most ${BULK_MAX} templates. One invalid item fails the request with a 400 naming its index and field (\`[1].status: ...\`) and nothing is stored; more than ${BULK_MAX} items: 413.`,
    security: bearer,
    request: { body: jsonBody(batchOf(BulkTemplateItem)) },
    responses: {
      201: ok(Counted(TemplateView), "`{success, count, data: [template]}`"),
      400: described("An invalid item (index and field named)"),
      409: described("At most 200 templates per user (nothing is created)"),
      413: described(`More than ${BULK_MAX} items`),
    },
  }),
  async (c) => {
    const user = c.var.user;
    const rows = await bulkCreateTemplates(c.var.db, user, c.req.valid("json"));
    return c.json({ success: true, count: rows.length, data: rows.map((t) => templateView(t, user)) }, 201);
  },
  batchHook,
);

bulkRouter.openapi(
  createRoute({
    method: "post",
    path: "/schedules/bulk",
    tags: ["Bulk"],
    summary: "Create many status schedules at once (000; all or nothing)",
    description: `A JSON array of at most ${BULK_MAX} schedules (same fields and rules as POST /api/users/:userId/schedules). One invalid item: 400 naming its index and field; items may overlap each other and existing schedules; more than ${BULK_MAX} items: 413. Nothing is stored unless every item is.`,
    security: bearer,
    request: { body: jsonBody(batchOf(ScheduleCreate)) },
    responses: {
      201: ok(Counted(ScheduleView), "`{success, count, data: [schedule]}`"),
      400: described("An invalid item (index and field named)"),
      409: described("At most 500 schedules per user (nothing is created)"),
      413: described(`More than ${BULK_MAX} items`),
    },
  }),
  async (c) => {
    const user = c.var.user;
    const rows = await bulkCreateSchedules(c.env, c.var.db, user, c.req.valid("json"));
    return c.json({ success: true, count: rows.length, data: rows.map((s) => scheduleView(s, user)) }, 201);
  },
  batchHook,
);

const SyncBody = z
  .object({
    calendarType: z.enum(CALENDAR_TYPES, { message: `must be one of ${CALENDAR_TYPES.join(", ")}` }),
    accessToken: z.string().trim().min(1, "is required").max(8192, "is too long"),
    startDate: IsoDate,
    endDate: IsoDate,
  })
  .openapi("CalendarSync", {
    example: {
      calendarType: "google",
      accessToken: "ya29.a0AfH6SMBx...",
      startDate: "2023-01-01T00:00:00.000Z" as unknown as Date,
      endDate: "2023-01-31T23:59:59.999Z" as unknown as Date,
    },
  });

bulkRouter.openapi(
  createRoute({
    method: "post",
    path: "/sync/calendar",
    tags: ["Bulk"],
    summary: "Turn calendar events into status schedules (000)",
    description:
      "Reads the events of the window from the provider with the given access token: `google` (Google Calendar API v3, " +
      "primary calendar), `outlook` (Microsoft Graph calendarView), `apple` (CalDAV; an iCloud Apple ID and app-specific " +
      "password as `user:password`, or a bearer token). Timed events become `meeting`, all-day events `busy`, out-of-office " +
      "`away`, with the event title as `customStatus`; free and cancelled events are skipped. Recurring events whose rule " +
      "maps onto `repeat` stay one schedule, others are expanded. Syncing the same window again updates the same " +
      "schedules, and deactivates those whose events are gone. The window may span at most " +
      `${MAX_WINDOW_DAYS} days. Provider errors: token rejected -> 400 naming accessToken; rate limited -> 429 with ` +
      "Retry-After; provider unreachable or failing -> 502.",
    security: bearer,
    request: { body: jsonBody(SyncBody) },
    responses: {
      201: ok(
        Counted(ScheduleView).extend({ deactivated: z.number().int(), complete: z.boolean() }),
        "`{success, count, data: [schedule], deactivated, complete}`; `complete: false` when the provider's listing may have missed events " +
          "(an unreadable item, a listing cut at a cap): then nothing is deactivated",
      ),
      400: described("Invalid input, or the provider rejected the access token"),
      429: described("The provider is rate limiting (Retry-After passed on)"),
      502: described("The provider could not be reached or failed"),
    },
  }),
  async (c) => {
    const user = c.var.user;
    const { schedules, deactivated, complete } = await syncCalendar(c.env, c.var.db, user, c.req.valid("json"));
    return c.json({ success: true, count: schedules.length, data: schedules.map((s) => scheduleView(s, user)), deactivated, complete }, 201);
  },
);

bulkRouter.openapi(
  createRoute({
    method: "get",
    path: "/suggestions",
    tags: ["Bulk"],
    summary: "Status suggestions mined from your own history (000)",
    description:
      `Patterns in the last ${LOOKBACK_DAYS} days of your status history, in your time zone: the same status (and custom ` +
      `text) starting at about the same local time (15-minute buckets) for about as long, on at least ${MIN_DAYS} days. ` +
      "`repeat` is weekly (always the same weekday), weekdays (Monday-Friday only) or daily; `confidence` = days seen / " +
      "eligible days since your first entry considered (that weekday, weekdays, or every day), 0-1. Empty without enough history.",
    security: bearer,
    responses: { 200: ok(Data(z.array(SuggestionView)), "`{success, data: [{name, status, customStatus, startTime, endTime, repeat, confidence}]}`") },
  }),
  async (c) => {
    const user = c.var.user;
    return c.json({ success: true, data: await suggestStatuses(c.var.db, user) });
  },
);

export { bulkRouter };

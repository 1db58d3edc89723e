/**
 * /api/users/:userId/{history,analytics,templates} (000): the owner's alone
 * (403 for anyone else, 404 for an unknown user). Mounted at /api/users next
 * to the users router.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { statusAnalytics } from "../domain/analytics";
import { listHistory } from "../domain/status";
import { listTemplates } from "../domain/templates";
import { bearer, createRouter, described, ok } from "../lib/http";
import { AnalyticsView, Data, HistoryEntryView, Paged, TemplateView } from "../views/schemas";
import { IsoDate, UserRefParam } from "../lib/schemas";
import { pageQuery, pagination } from "../lib/requests";
import { requireSelf } from "../middleware/auth";
import { historyView, templateView } from "../views/status";

export const userStatusRouter = createRouter();

const Window = z.object({
  startDate: IsoDate.optional(),
  endDate: IsoDate.optional(),
});

userStatusRouter.openapi(
  createRoute({
    method: "get",
    path: "/{userId}/history",
    tags: ["Status history"],
    summary: "Your status history, newest first (000; owner only)",
    description:
      "Entries overlapping [startDate, endDate] (the open entry of the current status lasts until now). " +
      "`pagination: {page, limit, total, pages}`; a page past the end is empty.",
    security: bearer,
    request: { params: UserRefParam, query: pageQuery(10).extend(Window.shape) },
    responses: { 200: ok(Paged(HistoryEntryView), "`{success, data:[...], pagination}`"), 403: described("Not the owner"), 404: described("No such user") },
  }),
  async (c) => {
    const user = await requireSelf(c, c.req.valid("param").userId);
    const q = c.req.valid("query");
    const { rows, total } = await listHistory(c.var.db, user.id, q);
    return c.json({ success: true, data: rows.map((h) => historyView(h, user)), pagination: pagination(q.page, q.limit, total) });
  },
);

userStatusRouter.openapi(
  createRoute({
    method: "get",
    path: "/{userId}/analytics",
    tags: ["Status history"],
    summary: "Status analytics from your real history (000; owner only)",
    description:
      "Time is clipped to [startDate, endDate]; the current status counts until now. totalDuration and " +
      "statusDurations are whole minutes (the durations sum to totalDuration); statusPercentages are integers " +
      "summing to exactly 100. mostFrequentStatus = most entries (ties: more time). suggestions = the status " +
      "held longest 06-12 (morning), 12-18 (afternoon), 18-24 (evening) in your time zone.",
    security: bearer,
    request: { params: UserRefParam, query: Window },
    responses: { 200: ok(Data(AnalyticsView), "`{success, data: {totalEntries, totalDuration, statusDurations, statusPercentages, mostFrequentStatus, suggestions}}`") },
  }),
  async (c) => {
    const user = await requireSelf(c, c.req.valid("param").userId);
    const data = await statusAnalytics(c.var.db, user, c.req.valid("query"));
    return c.json({ success: true, data });
  },
);

userStatusRouter.openapi(
  createRoute({
    method: "get",
    path: "/{userId}/templates",
    tags: ["Status templates"],
    summary: "Your status templates, newest first (000; owner only)",
    security: bearer,
    request: { params: UserRefParam, query: pageQuery(10) },
    responses: { 200: ok(Paged(TemplateView), "`{success, data:[...], pagination}`"), 403: described("Not the owner"), 404: described("No such user") },
  }),
  async (c) => {
    const user = await requireSelf(c, c.req.valid("param").userId);
    const q = c.req.valid("query");
    const { rows, total } = await listTemplates(c.var.db, user.id, q.page, q.limit);
    return c.json({ success: true, data: rows.map((t) => templateView(t, user)), pagination: pagination(q.page, q.limit, total) });
  },
);

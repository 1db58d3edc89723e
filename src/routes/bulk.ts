/**
 * /api/bulk (000): bulk templates and schedules (all or nothing), calendar
 * sync and status suggestions.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { BULK_MAX, BulkTemplateItem, bulkCreateSchedules, bulkCreateTemplates } from "../domain/bulk";
import { ScheduleCreate } from "../domain/schedules";
import { requireUserByRef } from "../domain/users";
import { errorBody } from "../lib/errors";
import { type AppEnv, bearer, createRouter, described, jsonBody } from "../lib/http";
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
      201: described("`{success, count, data: [template]}`"),
      400: described("An invalid item (index and field named)"),
      413: described(`More than ${BULK_MAX} items`),
    },
  }),
  async (c) => {
    const user = await requireUserByRef(c.var.db, c.var.auth.id);
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
    description: `A JSON array of at most ${BULK_MAX} schedules (same fields and rules as POST /api/users/:userId/schedules). One invalid item: 400 naming its index and field; an item overlapping an existing schedule or another item: 409; more than ${BULK_MAX} items: 413. Nothing is stored unless every item is.`,
    security: bearer,
    request: { body: jsonBody(batchOf(ScheduleCreate)) },
    responses: {
      201: described("`{success, count, data: [schedule]}`"),
      400: described("An invalid item (index and field named)"),
      409: described("An item overlaps another schedule"),
      413: described(`More than ${BULK_MAX} items`),
    },
  }),
  async (c) => {
    const user = await requireUserByRef(c.var.db, c.var.auth.id);
    const rows = await bulkCreateSchedules(c.env, c.var.db, user, c.req.valid("json"));
    return c.json({ success: true, count: rows.length, data: rows.map((s) => scheduleView(s, user)) }, 201);
  },
  batchHook,
);

export { bulkRouter };

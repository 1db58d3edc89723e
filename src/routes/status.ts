/**
 * 000 status routes.
 * - `statusManagementRouter` at /api/status-management: own status (GET/PUT), anyone's (GET /:userId).
 * - `statusRouter` at /api/status: history entries and templates (owner only).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { createHistoryEntry, deleteHistoryEntry, setStatus } from "../domain/status";
import { armStatusTimer } from "../domain/status-timer";
import { applyTemplate, createTemplate, deleteTemplate, updateTemplate } from "../domain/templates";
import { userRefCondition } from "../domain/users";
import { requireVisibleStatusOwner } from "../domain/visibility";
import { bearer, createRouter, described, ok, jsonBody } from "../lib/http";
import { Data, Done, HistoryEntryView, StatusView, TemplateView } from "../views/schemas";
import { CustomStatusText, DurationMinutes, IdParam, IsoDate, StatusValue, TemplateFields, UserRefParam } from "../lib/schemas";
import { historyView, statusView, templateView } from "../views/status";

const StatusBody = z
  .object({
    status: StatusValue,
    customStatus: CustomStatusText,
    duration: DurationMinutes,
    statusUntil: IsoDate.nullable().optional().openapi({ description: "Absolute expiry instead of `duration`." }),
  })
  .openapi("StatusUpdate");

// ---- /api/status-management ----

export const statusManagementRouter = createRouter();

statusManagementRouter.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Status"],
    summary: "The current user's status (000)",
    security: bearer,
    responses: { 200: ok(Data(StatusView), "`{success, data: {userId, status, customStatus, statusUntil}}`") },
  }),
  async (c) => c.json({ success: true, data: statusView(c.var.user) }),
);

statusManagementRouter.openapi(
  createRoute({
    method: "put",
    path: "/",
    tags: ["Status"],
    summary: "Set the current user's status (000)",
    description:
      "`status` is one of the 17 documented values; `customStatus` is required for `custom`. With `duration` " +
      "(minutes, fractions allowed, at most one year) or `statusUntil` the status returns to `available` by " +
      "itself at that moment. Every change closes the open history entry, opens a new one and pushes " +
      "`contact_status_update` to watchers.",
    security: bearer,
    request: { body: jsonBody(StatusBody) },
    responses: { 200: ok(Data(StatusView), "`{success, data: {userId, status, customStatus, statusUntil}}`"), 400: described("Invalid status") },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const { changed, user } = await setStatus(c.env, c.var.db, c.var.auth.id, {
      status: body.status,
      customStatus: body.customStatus,
      duration: body.duration,
      statusUntil: body.statusUntil,
      source: "user",
    });
    if (changed) await armStatusTimer(c.env, user.id);
    return c.json({ success: true, data: statusView(user) });
  },
);

statusManagementRouter.openapi(
  createRoute({
    method: "get",
    path: "/{userId}",
    tags: ["Status"],
    summary: "Another user's status (000)",
    description: "403 `Access denied` when the owner blocked you or narrowed `statusVisibility` to exclude you.",
    security: bearer,
    request: { params: UserRefParam },
    responses: {
      200: ok(Data(StatusView), "`{success, data: {userId, status, customStatus, statusUntil}}`"),
      403: described("Access denied"),
      404: described("No such user"),
    },
  }),
  async (c) => {
    const user = await requireVisibleStatusOwner(c.var.db, c.var.auth.id, userRefCondition(c.req.valid("param").userId));
    return c.json({ success: true, data: statusView(user) });
  },
);

// ---- /api/status ----

export const statusRouter = createRouter();

const HistoryBody = z
  .object({
    status: StatusValue,
    customStatus: CustomStatusText,
    startTime: IsoDate,
    endTime: IsoDate,
  })
  .openapi("StatusHistoryCreate");

statusRouter.openapi(
  createRoute({
    method: "post",
    path: "/history",
    tags: ["Status history"],
    summary: "Record a past status by hand (000)",
    description:
      "A closed entry of at most one year; `duration` (minutes) is computed from startTime/endTime. Does not change the current status.",
    security: bearer,
    request: { body: jsonBody(HistoryBody) },
    responses: { 201: ok(HistoryEntryView, "The entry `{_id, user, userId, status, customStatus, startTime, endTime, duration}`") },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const entry = await createHistoryEntry(c.var.db, c.var.auth.id, body);
    return c.json(historyView(entry, c.var.auth), 201);
  },
);

statusRouter.openapi(
  createRoute({
    method: "delete",
    path: "/history/{id}",
    tags: ["Status history"],
    summary: "Delete one of your history entries (000)",
    description: "403 for someone else's entry; 409 for the open entry of your current status.",
    security: bearer,
    request: { params: IdParam },
    responses: {
      200: ok(Done, "`{success:true, message:\"Status history entry deleted\"}`"),
      403: described("Not yours"),
      404: described("Unknown entry"),
      409: described("The open entry"),
    },
  }),
  async (c) => {
    await deleteHistoryEntry(c.var.db, c.var.auth.id, c.req.valid("param").id);
    return c.json({ success: true, message: "Status history entry deleted" });
  },
);

const TemplateBody = z.object(TemplateFields).openapi("StatusTemplateCreate");
const TemplatePatch = z
  .object({
    name: TemplateFields.name.optional(),
    status: StatusValue.optional(),
    customStatus: CustomStatusText,
    duration: DurationMinutes,
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: "give at least one of name, status, customStatus, duration" })
  .openapi("StatusTemplateUpdate");

statusRouter.openapi(
  createRoute({
    method: "post",
    path: "/templates",
    tags: ["Status templates"],
    summary: "Create a status template (000)",
    security: bearer,
    request: { body: jsonBody(TemplateBody) },
    responses: { 201: ok(TemplateView, "The template `{_id, user, userId, name, status, customStatus, duration}`"), 409: described("At most 200 templates per user") },
  }),
  async (c) => {
    const t = await createTemplate(c.var.db, c.var.auth.id, c.req.valid("json"));
    return c.json(templateView(t, c.var.auth), 201);
  },
);

statusRouter.openapi(
  createRoute({
    method: "put",
    path: "/templates/{id}",
    tags: ["Status templates"],
    summary: "Update one of your templates (000; fields you omit are kept)",
    security: bearer,
    request: { params: IdParam, body: jsonBody(TemplatePatch) },
    responses: { 200: ok(TemplateView, "The template"), 403: described("Not yours"), 404: described("Unknown template") },
  }),
  async (c) => {
    const t = await updateTemplate(c.var.db, c.var.auth.id, c.req.valid("param").id, c.req.valid("json"));
    return c.json(templateView(t, c.var.auth));
  },
);

statusRouter.openapi(
  createRoute({
    method: "delete",
    path: "/templates/{id}",
    tags: ["Status templates"],
    summary: "Delete one of your templates (000)",
    security: bearer,
    request: { params: IdParam },
    responses: { 200: ok(Done, "`{success:true, message:\"Status template deleted\"}`"), 403: described("Not yours"), 404: described("Unknown template") },
  }),
  async (c) => {
    await deleteTemplate(c.var.db, c.var.auth.id, c.req.valid("param").id);
    return c.json({ success: true, message: "Status template deleted" });
  },
);

statusRouter.openapi(
  createRoute({
    method: "post",
    path: "/templates/{id}/apply",
    tags: ["Status templates"],
    summary: "Set your status from one of your templates (addition to 000)",
    description: "Same effect and answer as `PUT /api/status-management` with the template's status, customStatus and duration.",
    security: bearer,
    request: { params: IdParam },
    responses: { 200: ok(Data(StatusView), "`{success, data: {userId, status, customStatus, statusUntil}}`"), 403: described("Not yours"), 404: described("Unknown template") },
  }),
  async (c) => {
    const { user } = await applyTemplate(c.env, c.var.db, c.var.auth, c.req.valid("param").id);
    return c.json({ success: true, data: statusView(user) });
  },
);

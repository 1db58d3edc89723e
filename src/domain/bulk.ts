/**
 * Bulk creation of templates and schedules (000): all or nothing.
 *
 * Every item is validated first (shape by zod at the route, rules here);
 * the first bad item fails the whole request with a 400 naming its index
 * and field (`[1].status: ...`), a batch over BULK_MAX items with a 413.
 * Schedules may overlap each other and existing ones (see ./schedules).
 * Only then are all
 * rows inserted in ONE D1 batch, which is a transaction: either every row
 * is stored or none is.
 */
import { z } from "@hono/zod-openapi";
import type { StatusSchedule, StatusTemplate, User } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../lib/errors";
import type { Db } from "../db/client";
import { objectId } from "../lib/ids";
import { TemplateFields } from "../lib/schemas";
import { insertSchedules, newScheduleRow, type ScheduleCreateInput } from "./schedules";
import { insertTemplates } from "./templates";
import { resolveStatusChange, type StatusName } from "./status-change";
import { armStatusTimer } from "./status-timer";

/** Largest accepted batch (items per request). */
export const BULK_MAX = 100;

export const BulkTemplateItem = z
  .object(TemplateFields)
  .openapi("BulkTemplateItem", { example: { name: "Meeting", status: "busy", customStatus: "In a meeting", duration: 60 } });
export type BulkTemplateInput = z.infer<typeof BulkTemplateItem>;

/** Re-labels an ApiError from item `i` as `[i].<message>`. */
function atIndex<T>(i: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ApiError) throw new ApiError(err.status, `[${i}].${err.message}`);
    throw err;
  }
}

function checkSize(n: number) {
  if (n === 0) throw new ApiError(400, "body: must contain at least one item");
  if (n > BULK_MAX) throw new ApiError(413, `body: at most ${BULK_MAX} items per request (got ${n})`);
}

export async function bulkCreateTemplates(db: Db, user: User, items: BulkTemplateInput[]): Promise<StatusTemplate[]> {
  checkSize(items.length);
  const now = Date.now();
  const rows = items.map((t, i) =>
    atIndex(i, () => {
      const { status, customStatus } = resolveStatusChange(
        { status: t.status as StatusName, customStatus: t.customStatus, duration: t.duration },
        now,
      );
      return {
        id: objectId(now),
        userId: user.id,
        name: t.name,
        status,
        customStatus,
        duration: t.duration ?? null,
        createdAt: new Date(now),
        updatedAt: new Date(now),
      };
    }),
  );
  return insertTemplates(db, user.id, rows);
}

export async function bulkCreateSchedules(env: Env, db: Db, user: User, items: ScheduleCreateInput[]): Promise<StatusSchedule[]> {
  checkSize(items.length);
  const now = Date.now();
  const rows = items.map((it) => newScheduleRow(user, it, now));
  const created = await insertSchedules(db, user.id, rows);
  await armStatusTimer(env, user.id);
  return created;
}

/**
 * Status templates (000): named presets of status, customStatus and duration.
 * Templates are their owner's alone. Applying one sets the owner's status
 * through `setStatus` (duration counted from the moment it is applied).
 */
import { and, desc, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type StatusTemplate, statusTemplates, type User } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../lib/errors";
import { capGuard, capReached, LIMITS, userRow, withCap } from "../lib/limits";
import { type Db, pageWithCount } from "../db/client";
import { objectId } from "../lib/ids";
import { resolveStatusChange, setStatus, type StatusName, type StatusResult } from "./status-change";
import { armStatusTimer } from "./status-timer";

export interface TemplateInput {
  name: string;
  status: StatusName;
  customStatus?: string | null;
  duration?: number | null;
}

/** Same rules as a status change: custom needs customStatus, duration > 0 and <= 1 year. */
function checkTemplate(t: TemplateInput) {
  const { status, customStatus } = resolveStatusChange(
    { status: t.status, customStatus: t.customStatus, duration: t.duration },
    Date.now(),
  );
  return { name: t.name, status, customStatus, duration: t.duration ?? null };
}

export async function listTemplates(db: Db, userId: string, page: number, limit: number) {
  const order = [desc(statusTemplates.createdAt), desc(statusTemplates.id)];
  return pageWithCount(db, statusTemplates, eq(statusTemplates.userId, userId), order, page, limit);
}

export async function createTemplate(db: Db, userId: string, input: TemplateInput): Promise<StatusTemplate> {
  const t = checkTemplate(input);
  const now = new Date();
  const [created] = await insertTemplates(db, userId, [{ id: objectId(now.getTime()), userId, ...t, createdAt: now, updatedAt: now }]);
  return created;
}

/**
 * Inserts a user's templates in one batch with the per-user cap checked in
 * the same transaction (409 naming the cap, nothing written, when over it).
 */
export async function insertTemplates(db: Db, userId: string, rows: (typeof statusTemplates.$inferInsert)[]): Promise<StatusTemplate[]> {
  const inserts = rows.map((r) => db.insert(statusTemplates).values(r).returning());
  const guard = capGuard(db, sql`SELECT count(*) FROM ${statusTemplates} WHERE ${statusTemplates.userId} = ${userId}`, LIMITS.templates, userRow(userId));
  const results = await withCap(
    () => db.batch([...inserts, guard] as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]),
    () => capReached("templates", "status templates per user", LIMITS.templates, "delete templates first"),
  );
  return (results.slice(0, inserts.length) as StatusTemplate[][]).map((r) => r[0]);
}

/** The template, if it exists and belongs to `ownerId` (404 / 403 otherwise). */
export async function requireOwnTemplate(db: Db, ownerId: string, id: string): Promise<StatusTemplate> {
  const t = await db.select().from(statusTemplates).where(eq(statusTemplates.id, id)).get();
  if (!t) throw new ApiError(404, "Status template not found");
  if (t.userId !== ownerId) throw new ApiError(403, "Not authorized to use this status template");
  return t;
}

/** Partial update; the merged template must still be valid. */
export async function updateTemplate(
  db: Db,
  ownerId: string,
  id: string,
  changes: Partial<TemplateInput>,
): Promise<StatusTemplate> {
  const current = await requireOwnTemplate(db, ownerId, id);
  const merged = checkTemplate({
    name: changes.name ?? current.name,
    status: (changes.status ?? current.status) as StatusName,
    customStatus: changes.customStatus !== undefined ? changes.customStatus : current.customStatus,
    duration: changes.duration !== undefined ? changes.duration : current.duration,
  });
  const updated = await db
    .update(statusTemplates)
    .set({ ...merged, updatedAt: new Date() })
    .where(and(eq(statusTemplates.id, id), eq(statusTemplates.userId, ownerId)))
    .returning()
    .get();
  if (!updated) throw new ApiError(404, "Status template not found");
  return updated;
}

export async function deleteTemplate(db: Db, ownerId: string, id: string): Promise<void> {
  await requireOwnTemplate(db, ownerId, id);
  await db.delete(statusTemplates).where(and(eq(statusTemplates.id, id), eq(statusTemplates.userId, ownerId)));
}

/** Sets the owner's status from the template (source "template"). */
export async function applyTemplate(env: Env, db: Db, owner: Pick<User, "id">, id: string): Promise<StatusResult> {
  const t = await requireOwnTemplate(db, owner.id, id);
  const result = await setStatus(env, db, owner.id, {
    status: t.status as StatusName,
    customStatus: t.customStatus,
    duration: t.duration,
    source: "template",
  });
  if (result.changed) await armStatusTimer(env, owner.id);
  return result;
}

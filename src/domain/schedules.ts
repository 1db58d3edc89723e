/**
 * Status schedules (000): validation, CRUD, overlap rule and upcoming
 * occurrences. Timing lives in ./recurrence (pure) and acting on time in
 * ./schedule-runner.
 *
 * Overlaps: schedules may overlap one another (000 documents no conflict,
 * and a client replaying its examples creates overlapping ones). At run
 * time the most recently started occurrence sets the status and, when it
 * ends, the one it interrupted comes back if it is still running
 * (./schedule-runner). Only a series overlapping ITSELF is refused
 * (MAX_LENGTH_MS).
 */
import { z } from "@hono/zod-openapi";
import { and, asc, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type StatusSchedule, statusSchedules, type User } from "../db/schema";
import type { Env } from "../env";
import { ApiError, notFound } from "../lib/errors";
import { capGuard, capReached, LIMITS, userRow, withCap } from "../lib/limits";
import { type Db, pageWithCount } from "../db/client";
import { objectId } from "../lib/ids";
import { IsoDate, MAX_CUSTOM_STATUS, StatusValue } from "../lib/schemas";
import {
  occurrencesBetween,
  type Occurrence,
  REPEATS,
  zoneOrUtc,
} from "./recurrence";
import { liveSchedules } from "./schedule-runner";
import { armStatusTimer } from "./status-timer";

const DAY = 86_400_000;
/** Longest occurrence per repeat: a series may not overlap itself. */
export const MAX_LENGTH_MS: Record<string, number> = {
  none: 366 * DAY,
  daily: DAY,
  weekdays: DAY,
  weekly: 7 * DAY,
  monthly: 28 * DAY,
};

export const Repeat = z.enum(REPEATS, {
  error: (iss) => (iss.input === undefined ? "is required" : `must be one of ${REPEATS.join(", ")}`),
});

/** The documented schedule object's writable fields. */
export const ScheduleFields = z.object({
  status: StatusValue,
  customStatus: z.string().trim().max(MAX_CUSTOM_STATUS, `must be at most ${MAX_CUSTOM_STATUS} characters`).optional(),
  startTime: IsoDate,
  endTime: IsoDate,
  repeat: Repeat.default("none"),
  active: z.boolean().optional(),
});

export interface ScheduleShape {
  status: string;
  customStatus?: string | null;
  startTime: Date;
  endTime: Date;
  repeat: string;
}

/** Cross-field rules; each problem as `{path, message}`. */
export function scheduleProblems(v: ScheduleShape): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (v.status === "custom" && !(v.customStatus ?? "").trim()) {
    out.push({ path: "customStatus", message: "is required when status is 'custom'" });
  }
  const len = v.endTime.getTime() - v.startTime.getTime();
  if (!(len > 0)) out.push({ path: "endTime", message: "must be after startTime" });
  else if (len > MAX_LENGTH_MS[v.repeat]) {
    const limit = v.repeat === "none" ? "366 days" : v.repeat === "monthly" ? "28 days" : v.repeat === "weekly" ? "7 days" : "24 hours";
    out.push({ path: "endTime", message: `a '${v.repeat}' schedule may last at most ${limit}` });
  }
  return out;
}

/** POST body / bulk item. */
export const ScheduleCreate = ScheduleFields.superRefine((v, ctx) => {
  // zod runs object checks even when a field already failed: only judge well-formed values
  if (!(v.startTime instanceof Date) || !(v.endTime instanceof Date)) return;
  for (const p of scheduleProblems(v)) ctx.addIssue({ code: "custom", path: [p.path], message: p.message });
}).openapi("StatusScheduleInput", {
  example: {
    status: "busy",
    customStatus: "In a meeting",
    startTime: "2023-01-01T09:00:00.000Z" as unknown as Date,
    endTime: "2023-01-01T10:00:00.000Z" as unknown as Date,
    repeat: "weekly",
  },
});
export type ScheduleCreateInput = z.infer<typeof ScheduleCreate>;

/** PUT body: any subset; the merged result is checked again. */
export const ScheduleUpdate = ScheduleFields.partial().openapi("StatusScheduleUpdate");
export type ScheduleUpdateInput = z.infer<typeof ScheduleUpdate>;

// ---- queries ---------------------------------------------------------------

export async function listSchedules(db: Db, user: User, q: { page: number; limit: number; active?: boolean }) {
  const where =
    q.active === undefined
      ? eq(statusSchedules.userId, user.id)
      : and(eq(statusSchedules.userId, user.id), eq(statusSchedules.active, q.active));
  return pageWithCount(db, statusSchedules, where, [asc(statusSchedules.startTime), asc(statusSchedules.id)], q.page, q.limit);
}

export async function requireOwnSchedule(db: Db, user: User, id: string): Promise<StatusSchedule> {
  const row = await db
    .select()
    .from(statusSchedules)
    .where(and(eq(statusSchedules.id, id), eq(statusSchedules.userId, user.id)))
    .get();
  if (!row) throw notFound("Status schedule not found");
  return row;
}

// ---- writes ------------------------------------------------------------------

export function newScheduleRow(user: User, input: ScheduleCreateInput, now = Date.now()): typeof statusSchedules.$inferInsert {
  return {
    id: objectId(now),
    userId: user.id,
    status: input.status,
    customStatus: (input.customStatus ?? "").trim(),
    startTime: input.startTime,
    endTime: input.endTime,
    repeat: input.repeat,
    active: input.active ?? true,
    source: "manual",
    createdAt: new Date(now),
    updatedAt: new Date(now),
  };
}

export async function createSchedule(env: Env, db: Db, user: User, input: ScheduleCreateInput): Promise<StatusSchedule> {
  const row = newScheduleRow(user, input);
  const [created] = await insertSchedules(db, user.id, [row]);
  await armStatusTimer(env, user.id);
  return created;
}

/** Fails a batch when the user has more schedules than the cap. */
export const scheduleCap = (db: Db, userId: string) =>
  capGuard(db, sql`SELECT count(*) FROM ${statusSchedules} WHERE ${statusSchedules.userId} = ${userId}`, LIMITS.schedules, userRow(userId));

export const schedulesFull = () => capReached("schedules", "status schedules per user", LIMITS.schedules, "delete schedules first");

/**
 * Inserts a user's schedules in one batch with the per-user cap checked in
 * the same transaction (409 naming the cap, nothing written, when over it).
 */
export async function insertSchedules(db: Db, userId: string, rows: (typeof statusSchedules.$inferInsert)[]): Promise<StatusSchedule[]> {
  const inserts = rows.map((r) => db.insert(statusSchedules).values(r).returning());
  const results = await withCap(
    () => db.batch([...inserts, scheduleCap(db, userId)] as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]),
    schedulesFull,
  );
  return (results.slice(0, inserts.length) as StatusSchedule[][]).map((r) => r[0]);
}

export async function updateSchedule(env: Env, db: Db, user: User, id: string, patch: ScheduleUpdateInput): Promise<StatusSchedule> {
  const current = await requireOwnSchedule(db, user, id);
  const merged = {
    status: patch.status ?? current.status,
    customStatus: patch.customStatus !== undefined ? patch.customStatus : current.customStatus,
    startTime: patch.startTime ?? current.startTime,
    endTime: patch.endTime ?? current.endTime,
    repeat: patch.repeat ?? current.repeat,
    active: patch.active ?? current.active,
  };
  const problems = scheduleProblems(merged);
  if (problems.length) throw new ApiError(400, problems.map((p) => `${p.path}: ${p.message}`).join("; "));
  const timingChanged =
    merged.startTime.getTime() !== current.startTime.getTime() ||
    merged.endTime.getTime() !== current.endTime.getTime() ||
    merged.repeat !== current.repeat;
  const updated = await db
    .update(statusSchedules)
    .set({
      status: merged.status,
      customStatus: (merged.customStatus ?? "").trim(),
      startTime: merged.startTime,
      endTime: merged.endTime,
      repeat: merged.repeat,
      active: merged.active,
      updatedAt: new Date(),
      // new timing: occurrences are new, none of them has been applied yet
      ...(timingChanged ? { lastStartApplied: null, lastEndApplied: null } : {}),
    })
    .where(and(eq(statusSchedules.id, id), eq(statusSchedules.userId, user.id)))
    .returning()
    .get();
  await armStatusTimer(env, user.id);
  return updated;
}

export async function deleteSchedule(env: Env, db: Db, user: User, id: string): Promise<void> {
  await requireOwnSchedule(db, user, id);
  await db.delete(statusSchedules).where(and(eq(statusSchedules.id, id), eq(statusSchedules.userId, user.id)));
  await armStatusTimer(env, user.id);
}

// ---- upcoming ----------------------------------------------------------------

export interface UpcomingOccurrence {
  schedule: StatusSchedule;
  occurrence: Occurrence;
}

/**
 * The next occurrences of the user's active schedules that have not ended
 * by `now` and start before `now + days`, soonest first (one in progress
 * comes first), at most `limit`.
 */
export async function upcomingOccurrences(db: Db, user: User, q: { limit: number; days: number; now?: number }): Promise<UpcomingOccurrence[]> {
  const now = q.now ?? Date.now();
  const tz = zoneOrUtc(user.timezone);
  const to = now + q.days * DAY;
  const all: UpcomingOccurrence[] = [];
  for (const schedule of await liveSchedules(db, user.id, now)) {
    for (const occurrence of occurrencesBetween(schedule, tz, now, to, q.limit)) all.push({ schedule, occurrence });
  }
  all.sort((a, b) => a.occurrence.start - b.occurrence.start || a.schedule.id.localeCompare(b.schedule.id));
  return all.slice(0, q.limit);
}

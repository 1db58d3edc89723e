/**
 * Status schedules (000): validation, CRUD, overlap rule and upcoming
 * occurrences. Timing lives in ./recurrence (pure) and acting on time in
 * ./schedule-runner.
 *
 * Overlap rule (README): schedules created by the user (POST, PUT, bulk) may
 * not overlap another active user-made schedule at any occurrence within
 * the next year: 409 naming the other schedule. Calendar-synced schedules
 * mirror an external calendar and may overlap anything; when occurrences do
 * overlap at run time, the most recently started one sets the status and,
 * when it ends, the one it interrupted comes back if it is still running.
 */
import { z } from "@hono/zod-openapi";
import { and, asc, count, eq, gt, ne, or } from "drizzle-orm";
import { type StatusSchedule, statusSchedules, type User } from "../db/schema";
import type { Env } from "../env";
import { ApiError, conflict, notFound } from "../lib/errors";
import type { Db } from "../lib/http";
import { objectId } from "../lib/ids";
import { IsoDate, StatusValue } from "../lib/schemas";
import {
  compile,
  firstOverlap,
  occurrencesBetween,
  type Occurrence,
  REPEATS,
  type RecurrenceRule,
  zoneOrUtc,
} from "./recurrence";
import { armStatusTimer } from "./status";

const DAY = 86_400_000;
/** Same limit as a status's customStatus (not imported: ./status imports this module through the runner). */
const MAX_CUSTOM_STATUS = 200;
/** How far ahead the overlap check looks. */
export const OVERLAP_HORIZON_MS = 366 * DAY;
/** Longest occurrence per repeat: a series may not overlap itself. */
export const MAX_LENGTH_MS: Record<string, number> = {
  none: 366 * DAY,
  daily: DAY,
  weekdays: DAY,
  weekly: 7 * DAY,
  monthly: 28 * DAY,
};

export const Repeat = z.enum(REPEATS);

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
  const [rows, total] = await db.batch([
    db
      .select()
      .from(statusSchedules)
      .where(where)
      .orderBy(asc(statusSchedules.startTime), asc(statusSchedules.id))
      .limit(q.limit)
      .offset((q.page - 1) * q.limit),
    db.select({ n: count() }).from(statusSchedules).where(where),
  ]);
  return { rows, total: total[0]?.n ?? 0 };
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

/**
 * Active schedules that can still have an occurrence at or after `now`
 * (repeating ones, or a one-off that has not ended).
 */
export async function liveSchedules(db: Db, userId: string, now: number): Promise<StatusSchedule[]> {
  return db
    .select()
    .from(statusSchedules)
    .where(
      and(
        eq(statusSchedules.userId, userId),
        eq(statusSchedules.active, true),
        or(ne(statusSchedules.repeat, "none"), gt(statusSchedules.endTime, new Date(now))),
      ),
    )
    .all();
}

// ---- overlap rule ------------------------------------------------------------

const MINUTES_PER_DAY = 1440;

/** Local minute-of-day where the series starts and its wall-clock length in minutes. */
function timeOfDay(rule: RecurrenceRule, tz: string) {
  const s = compile(rule, tz);
  const startMin = s.firstLocal.hour * 60 + s.firstLocal.minute;
  const lenMin = Math.ceil(s.wall.total({ unit: "minutes", relativeTo: s.firstLocal })) + 1;
  return { startMin, lenMin };
}

/** False when two repeating series can never overlap because their local times of day are disjoint. */
function timesOfDayMayMeet(a: RecurrenceRule, b: RecurrenceRule, tz: string): boolean {
  const x = timeOfDay(a, tz);
  const y = timeOfDay(b, tz);
  if (x.lenMin + y.lenMin >= MINUTES_PER_DAY) return true;
  const mod = (n: number) => ((n % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  return mod(y.startMin - x.startMin) < x.lenMin || mod(x.startMin - y.startMin) < y.lenMin;
}

/** The first occurrence of `a` that overlaps one of `b` in [now, now + horizon), or null. */
export function seriesOverlap(a: RecurrenceRule, b: RecurrenceRule, tz: string, now: number): { a: Occurrence; b: Occurrence } | null {
  const to = now + OVERLAP_HORIZON_MS;
  if (a.repeat === "none" || b.repeat === "none") {
    const [single, other, swap] = a.repeat === "none" ? [a, b, false] : [b, a, true];
    const one = occurrencesBetween(single, tz, now, to, 1)[0];
    if (!one) return null;
    const hit = occurrencesBetween(other, tz, one.start, one.end, 1)[0];
    if (!hit) return null;
    return swap ? { a: hit, b: one } : { a: one, b: hit };
  }
  if (!timesOfDayMayMeet(a, b, tz)) return null;
  return firstOverlap(a, b, tz, now, OVERLAP_HORIZON_MS);
}

export interface Candidate extends RecurrenceRule {
  /** how to name it in a conflict message, e.g. "[2]" for a bulk item */
  label?: string;
}

const describeSchedule = (s: StatusSchedule) =>
  `schedule ${s.id} (${s.status}${s.customStatus ? ` "${s.customStatus}"` : ""})`;

/**
 * Throws 409 when a candidate overlaps an active user-made schedule of the
 * user (other than `excludeId`) or another candidate of the same batch.
 */
export async function assertNoOverlap(db: Db, user: User, candidates: Candidate[], opts: { excludeId?: string; now?: number } = {}) {
  const now = opts.now ?? Date.now();
  const tz = zoneOrUtc(user.timezone);
  const existing = (await liveSchedules(db, user.id, now)).filter((s) => s.source === "manual" && s.id !== opts.excludeId);
  const at = (o: Occurrence) => new Date(o.start).toISOString();
  candidates.forEach((c, i) => {
    const who = c.label ? `${c.label}: ` : "";
    for (const s of existing) {
      const hit = seriesOverlap(c, s, tz, now);
      if (hit) throw conflict(`${who}overlaps ${describeSchedule(s)} on ${at(hit.a)}`);
    }
    for (let j = 0; j < i; j++) {
      const hit = seriesOverlap(c, candidates[j], tz, now);
      if (hit) throw conflict(`${who}overlaps ${candidates[j].label ?? `item ${j}`} on ${at(hit.a)}`);
    }
  });
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
  if (row.active) await assertNoOverlap(db, user, [input]);
  const created = await db.insert(statusSchedules).values(row).returning().get();
  await armStatusTimer(env, user.id);
  return created;
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
  if (merged.active && current.source === "manual") await assertNoOverlap(db, user, [merged], { excludeId: id });
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

/** Counts a user's schedules by source (used by sync summaries and tests). */
export async function countSchedules(db: Db, userId: string, source?: string): Promise<number> {
  const where = source
    ? and(eq(statusSchedules.userId, userId), eq(statusSchedules.source, source))
    : eq(statusSchedules.userId, userId);
  const row = await db.select({ n: count() }).from(statusSchedules).where(where).get();
  return row?.n ?? 0;
}

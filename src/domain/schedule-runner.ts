/**
 * Schedules acting on time. The user's UserHub keeps ONE alarm for the next
 * timed event of that user: the earlier of the status expiry (status work)
 * and `nextScheduleEventAt` (this module). When the alarm fires, or the cron
 * safety net runs, `applyDueScheduleEvents` applies every schedule start/end
 * that is due and not yet applied.
 *
 * Start of an occurrence: the schedule row's `last_start_applied` is moved
 * to the occurrence start by a compare-and-set UPDATE (whoever changes the
 * row applies it: an alarm and the cron racing never apply twice), the
 * user's current status is pushed onto `users.status_restore` (a small JSON
 * stack) and the scheduled status is set with `statusUntil` = occurrence end
 * and source `schedule:<id>:<occurrenceStartMs>`.
 *
 * End of an occurrence: when the user's status is still that occurrence's
 * (source unchanged, so the user did not change it meanwhile) the saved
 * status is popped and set again, itself skipped when it has expired by
 * then (so overlapping schedules unwind: the interrupted one comes back
 * while it is still running). The change is guarded on the exact user row
 * state read, and `last_end_applied` is compare-and-set too.
 *
 * Missed occurrences (nothing ran for a while): only the latest due one
 * whose window is still open is applied; earlier ones are skipped.
 */
import { z } from "@hono/zod-openapi";
import { and, desc, eq, gt, isNull, lt, ne, or, sql } from "drizzle-orm";
import { createDb } from "../db/client";
import { type StatusSchedule, statusHistory, statusSchedules, type User, users } from "../db/schema";
import type { Env } from "../env";
import type { Db } from "../db/client";
import { STATUS_VALUES } from "../lib/schemas";
import { latestOccurrenceStartingBy, nextOccurrenceStartingAfter, type Occurrence, zoneOrUtc } from "./recurrence";
import { setStatus, type StatusName } from "./status-change";

/** Deepest nesting of interrupted statuses kept (overlapping schedules). */
const MAX_RESTORE_DEPTH = 4;

export const scheduleSource = (scheduleId: string, occurrenceStart: number) => `schedule:${scheduleId}:${occurrenceStart}`;
const SOURCE_RE = /^schedule:([0-9a-f]{24}):(\d+)$/;

/** What `users.status_restore` holds: the status to come back to when occurrence `for` ends. */
const RestoreDoc: z.ZodType<RestoreDoc> = z.lazy(() =>
  z.object({
    for: z.string(),
    until: z.number(),
    status: z.enum(STATUS_VALUES),
    customStatus: z.string(),
    statusUntil: z.number().nullable(),
    source: z.string(),
    restore: z.string().nullable(),
  }),
);
interface RestoreDoc {
  /** the occurrence source that saved it */
  for: string;
  /** that occurrence's end (ms) */
  until: number;
  status: StatusName;
  customStatus: string;
  statusUntil: number | null;
  source: string;
  /** the restore stack beneath (JSON) */
  restore: string | null;
}

function parseRestore(json: string | null | undefined): RestoreDoc | null {
  if (!json) return null;
  try {
    const r = RestoreDoc.safeParse(JSON.parse(json));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

function truncateStack(json: string | null, depth: number): string | null {
  if (!json) return null;
  if (depth <= 0) return null;
  const doc = parseRestore(json);
  if (!doc) return null;
  return JSON.stringify({ ...doc, restore: truncateStack(doc.restore, depth - 1) });
}

async function loadUser(db: Db, userId: string): Promise<User | undefined> {
  return db.select().from(users).where(eq(users.id, userId)).get();
}

/** Guard for setStatus: the user row is exactly as we read it. */
const unchanged = (u: User) =>
  sql`${users.updatedAt} = ${u.updatedAt.getTime()} AND ${users.statusSource} = ${u.statusSource} AND ${users.statusRestore} IS ${u.statusRestore}`;

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

// ---- next wake-up ------------------------------------------------------------

/** Epoch ms of the user's next schedule start or end after `now` (or `now` when one is due), or null. */
export async function nextScheduleEventAt(env: Env, userId: string, now: number): Promise<number | null> {
  const db = createDb(env.DB);
  const user = await loadUser(db, userId);
  if (!user) return null;
  const tz = zoneOrUtc(user.timezone);
  const candidates: number[] = [];
  // the end of the occurrence whose status the user has now
  const doc = parseRestore(user.statusRestore);
  if (doc && user.statusSource === doc.for) candidates.push(Math.max(now, user.statusUntil?.getTime() ?? doc.until));
  for (const s of await liveSchedules(db, userId, now)) {
    const due = dueStart(s, tz, now);
    if (due) candidates.push(now);
    const next = nextOccurrenceStartingAfter(s, tz, now);
    if (next) candidates.push(next.start);
  }
  return candidates.length ? Math.min(...candidates) : null;
}

/** The occurrence of `s` whose start is due at `now` and not yet applied, if any. */
function dueStart(s: StatusSchedule, tz: string, now: number): Occurrence | null {
  const o = latestOccurrenceStartingBy(s, tz, now);
  if (!o || o.end <= now) return null; // none, or its window closed: skipped, not replayed
  if (s.lastStartApplied !== null && s.lastStartApplied >= o.start) return null;
  return o;
}

// ---- applying ----------------------------------------------------------------

/** Applies due schedule starts/ends for the user (idempotent); returns how many were applied. */
export async function applyDueScheduleEvents(env: Env, userId: string, now: number): Promise<number> {
  const db = createDb(env.DB);
  let applied = 0;
  applied += await applyDueEnds(env, db, userId, now);
  const user = await loadUser(db, userId);
  if (!user) return applied;
  const tz = zoneOrUtc(user.timezone);
  const due = (await liveSchedules(db, userId, now))
    .map((s) => ({ s, o: dueStart(s, tz, now) }))
    .filter((x): x is { s: StatusSchedule; o: Occurrence } => x.o !== null)
    // the latest start wins: apply in start order so it ends up on top
    .sort((a, b) => a.o.start - b.o.start || a.s.id.localeCompare(b.s.id));
  for (const { s, o } of due) {
    if (await applyStart(env, db, userId, s, o, now)) applied++;
  }
  // the next wake-up moved: whoever runs this (the alarm, the cron: runStatusTimer) arms the timer afterwards
  return applied;
}

async function applyStart(env: Env, db: Db, userId: string, s: StatusSchedule, o: Occurrence, now: number): Promise<boolean> {
  // compare-and-set: exactly one runner moves last_start_applied to this occurrence
  const claim = await db
    .update(statusSchedules)
    .set({ lastStartApplied: o.start })
    .where(
      and(
        eq(statusSchedules.id, s.id),
        eq(statusSchedules.active, true),
        or(isNull(statusSchedules.lastStartApplied), lt(statusSchedules.lastStartApplied, o.start)),
      ),
    )
    .run();
  if ((claim.meta?.changes ?? 0) === 0) return false;

  const source = scheduleSource(s.id, o.start);
  for (let attempt = 0; attempt < 3; attempt++) {
    const user = await loadUser(db, userId);
    if (!user) return false;
    // an expired status reads as available: restoring it means coming back to available
    const expired = user.statusUntil !== null && user.statusUntil.getTime() <= now;
    const saved: RestoreDoc = {
      for: source,
      until: o.end,
      status: expired ? "available" : (user.status as StatusName),
      customStatus: expired ? "" : user.customStatus,
      statusUntil: expired ? null : (user.statusUntil?.getTime() ?? null),
      source: expired ? "expiry" : user.statusSource,
      // keep the stack beneath only while the current status is itself a running occurrence's
      // (a stack left behind when the user changed status by hand is stale)
      restore: !expired && parseRestore(user.statusRestore)?.for === user.statusSource ? truncateStack(user.statusRestore, MAX_RESTORE_DEPTH) : null,
    };
    const result = await setStatus(env, db, userId, {
      status: s.status as StatusName,
      customStatus: s.customStatus,
      statusUntil: new Date(o.end),
      source,
      at: now,
      statusRestore: JSON.stringify(saved),
      guard: unchanged(user),
    });
    if (result.changed) return true;
  }
  return false;
}

/**
 * Ends every finished occurrence whose status the user still has (at most a
 * few nested ones), restoring what each interrupted.
 */
async function applyDueEnds(env: Env, db: Db, userId: string, now: number): Promise<number> {
  let applied = 0;
  for (let round = 0; round < MAX_RESTORE_DEPTH + 2; round++) {
    const user = await loadUser(db, userId);
    if (!user) return applied;
    const doc = parseRestore(user.statusRestore);
    if (!doc) return applied;
    const end = await endedOccurrence(db, user, doc, now);
    if (end === null) return applied;

    // bookkeeping compare-and-set on the schedule row (absent when the schedule was deleted)
    const m = SOURCE_RE.exec(doc.for);
    if (m) {
      const [, scheduleId, startStr] = m;
      const start = Number(startStr);
      const row = await db.select({ id: statusSchedules.id }).from(statusSchedules).where(eq(statusSchedules.id, scheduleId)).get();
      if (row) {
        const claim = await db
          .update(statusSchedules)
          .set({ lastEndApplied: start })
          .where(
            and(
              eq(statusSchedules.id, scheduleId),
              or(isNull(statusSchedules.lastEndApplied), lt(statusSchedules.lastEndApplied, start)),
            ),
          )
          .run();
        if ((claim.meta?.changes ?? 0) === 0) return applied; // another runner is ending it
      }
    }

    // pop: skip saved statuses that have expired by now
    let target: RestoreDoc | null = doc;
    while (target && target.statusUntil !== null && target.statusUntil <= now) target = parseRestore(target.restore);
    const result = await setStatus(env, db, userId, {
      status: target?.status ?? "available",
      customStatus: target?.customStatus ?? "",
      statusUntil: target?.statusUntil ? new Date(target.statusUntil) : null,
      source: target?.source ?? "schedule-end",
      at: Math.min(now, end),
      statusRestore: target?.restore ?? null,
      guard: unchanged(user),
    });
    if (!result.changed) return applied;
    applied++;
  }
  return applied;
}

/**
 * When `doc`'s occurrence has ended and the user still has its status, the
 * moment it ended; else null. Also recognises the status having already
 * been reverted to `available` by the expiry timer at that very moment
 * (source `expiry`, its history entry opened at the occurrence end).
 */
async function endedOccurrence(db: Db, user: User, doc: RestoreDoc, now: number): Promise<number | null> {
  if (user.statusSource === doc.for) {
    const until = user.statusUntil?.getTime() ?? doc.until;
    return until <= now ? until : null;
  }
  if (user.statusSource === "expiry" && doc.until <= now && user.statusUntil === null) {
    const open = await db
      .select({ startTime: statusHistory.startTime })
      .from(statusHistory)
      .where(and(eq(statusHistory.userId, user.id), isNull(statusHistory.endTime)))
      .orderBy(desc(statusHistory.startTime))
      .get();
    if (open && open.startTime.getTime() === doc.until) return doc.until;
  }
  return null;
}

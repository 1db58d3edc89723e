/**
 * Calendar sync (000 `POST /api/bulk/sync/calendar`): the provider's events
 * in the window become schedules of the user.
 *
 * - Event -> schedule: timed events `meeting`, all-day events `busy`,
 *   out-of-office (Graph `showAs: oof`, Google `outOfOffice`) `away`;
 *   `customStatus` = the event title; free/transparent and cancelled events
 *   are left out. `source` = the provider, `externalId` = the provider's id
 *   (with the occurrence for expanded instances).
 * - Idempotent: rows are upserted on (user, source, externalId), so syncing
 *   the same window again updates them in place; the provider's schedules
 *   of that window whose events are gone are deactivated (`active: false`).
 *   Everything is written in ONE D1 batch (a transaction).
 * - Calendar schedules are exempt from the overlap rule (see schedules.ts).
 */
import { and, eq, gt, inArray, lt, ne, or, sql } from "drizzle-orm";
import { calendarLinks, type StatusSchedule, statusSchedules, type User } from "../../db/schema";
import type { Env } from "../../env";
import { chunks } from "../../lib/chunks";
import { ApiError } from "../../lib/errors";
import { withCap } from "../../lib/limits";
import type { Db } from "../../db/client";
import { objectId } from "../../lib/ids";
import { zoneOrUtc } from "../recurrence";
import { scheduleCap, scheduleProblems, schedulesFull } from "../schedules";
import { armStatusTimer } from "../status-timer";
import { AppleCalendar } from "./apple";
import { GoogleCalendar } from "./google";
import { OutlookCalendar } from "./outlook";
import { type CalendarEvent, type CalendarProvider, type CalendarType, MAX_EVENTS } from "./provider";

export const providers: Record<CalendarType, CalendarProvider> = {
  google: new GoogleCalendar(),
  outlook: new OutlookCalendar(),
  apple: new AppleCalendar(),
};

const DEFAULT_BASE: Record<CalendarType, string> = {
  google: "https://www.googleapis.com",
  outlook: "https://graph.microsoft.com",
  apple: "https://caldav.icloud.com",
};

/** Where a provider is reached: a per-provider override, the shared one (tests, a local fake), or the real API. */
export function providerBase(env: Env, type: CalendarType): string {
  const specific = { google: env.GOOGLE_CALENDAR_API_BASE, outlook: env.MS_GRAPH_API_BASE, apple: env.CALDAV_BASE_URL }[type];
  return specific || env.CALENDAR_API_BASE || DEFAULT_BASE[type];
}

/** Longest window one sync may cover. */
export const MAX_WINDOW_DAYS = 366;

export interface SyncInput {
  calendarType: CalendarType;
  accessToken: string;
  startDate: Date;
  endDate: Date;
}

export interface SyncResult {
  schedules: StatusSchedule[];
  /** schedules of this provider in the window whose events are gone (now inactive) */
  deactivated: number;
  /** false: the provider's listing may have missed events, so nothing was deactivated */
  complete: boolean;
}

export function eventStatus(e: CalendarEvent): string {
  if (e.outOfOffice) return "away";
  return e.allDay ? "busy" : "meeting";
}

export async function syncCalendar(
  env: Env,
  db: Db,
  user: User,
  input: SyncInput,
  opts: { fetch?: typeof fetch; baseUrl?: string; now?: number } = {},
): Promise<SyncResult> {
  const window = { start: input.startDate.getTime(), end: input.endDate.getTime() };
  if (!(window.end > window.start)) throw new ApiError(400, "endDate: must be after startDate");
  if (window.end - window.start > MAX_WINDOW_DAYS * 86_400_000) {
    throw new ApiError(400, `endDate: the window may span at most ${MAX_WINDOW_DAYS} days`);
  }
  const type = input.calendarType;
  const tz = zoneOrUtc(user.timezone);
  const { events, complete } = await providers[type].listEvents(
    {
      fetch: opts.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args)),
      baseUrl: opts.baseUrl ?? providerBase(env, type),
      accessToken: input.accessToken,
      timeZone: tz,
    },
    window,
  );

  // one schedule per external id (the last one wins), soonest first, bounded
  const byId = new Map<string, CalendarEvent>();
  for (const e of events) byId.set(e.externalId, e);
  const now = opts.now ?? Date.now();
  const rows = [...byId.values()]
    .sort((a, b) => a.start - b.start)
    .filter((e) => scheduleProblems({ status: eventStatus(e), customStatus: e.title, startTime: new Date(e.start), endTime: new Date(e.end), repeat: e.repeat }).length === 0)
    .slice(0, MAX_EVENTS)
    .map((e) => ({
      id: objectId(now),
      userId: user.id,
      status: eventStatus(e),
      customStatus: e.title,
      startTime: new Date(e.start),
      endTime: new Date(e.end),
      repeat: e.repeat,
      active: true,
      source: type,
      externalId: e.externalId,
      createdAt: new Date(now),
      updatedAt: new Date(now),
    }));
  // every listed event counts as present, stored or not (past MAX_EVENTS, refused as a schedule)
  const seen = new Set(byId.keys());

  // this provider's active schedules that belong to the window: gone from the calendar -> inactive
  const inWindow = await db
    .select({ id: statusSchedules.id, externalId: statusSchedules.externalId })
    .from(statusSchedules)
    .where(
      and(
        eq(statusSchedules.userId, user.id),
        eq(statusSchedules.source, type),
        eq(statusSchedules.active, true),
        lt(statusSchedules.startTime, new Date(window.end)),
        or(ne(statusSchedules.repeat, "none"), gt(statusSchedules.endTime, new Date(window.start))),
      ),
    )
    .all();
  // only a complete, valid listing proves an event gone
  const gone = complete ? inWindow.filter((s) => !s.externalId || !seen.has(s.externalId)).map((s) => s.id) : [];

  const timingSame = sql`${statusSchedules.startTime} = excluded.start_time AND ${statusSchedules.endTime} = excluded.end_time AND ${statusSchedules.repeat} = excluded.repeat`;
  // 12 bound values per row: 8 rows per statement stays under D1's 100 parameters
  const upserts = chunks(rows, 8).map((part) =>
    db
      .insert(statusSchedules)
      .values(part)
      .onConflictDoUpdate({
        target: [statusSchedules.userId, statusSchedules.source, statusSchedules.externalId],
        set: {
          status: sql`excluded.status`,
          customStatus: sql`excluded.custom_status`,
          startTime: sql`excluded.start_time`,
          endTime: sql`excluded.end_time`,
          repeat: sql`excluded.repeat`,
          active: sql`1`,
          updatedAt: sql`excluded.updated_at`,
          // new timing: its occurrences have not been applied
          lastStartApplied: sql`CASE WHEN ${timingSame} THEN ${statusSchedules.lastStartApplied} ELSE NULL END`,
          lastEndApplied: sql`CASE WHEN ${timingSame} THEN ${statusSchedules.lastEndApplied} ELSE NULL END`,
        },
      })
      .returning(),
  );
  const deactivations = chunks(gone).map((ids) =>
    db
      .update(statusSchedules)
      .set({ active: false, updatedAt: new Date(now) })
      .where(and(eq(statusSchedules.userId, user.id), inArray(statusSchedules.id, ids))),
  );
  const link = db
    .insert(calendarLinks)
    .values({
      id: objectId(now),
      userId: user.id,
      provider: type,
      lastSyncedAt: new Date(now),
      windowStart: input.startDate,
      windowEnd: input.endDate,
      eventCount: rows.length,
      createdAt: new Date(now),
    })
    .onConflictDoUpdate({
      target: [calendarLinks.userId, calendarLinks.provider],
      set: { lastSyncedAt: new Date(now), windowStart: input.startDate, windowEnd: input.endDate, eventCount: rows.length },
    });
  // synced events count against the user's schedule cap (409, nothing written, when the sync would pass it)
  const results = await withCap(() => db.batch([link, ...upserts, ...deactivations, scheduleCap(db, user.id)]), schedulesFull);
  const schedules = (results.slice(1, 1 + upserts.length) as StatusSchedule[][]).flat();
  schedules.sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || a.id.localeCompare(b.id));

  await armStatusTimer(env, user.id);
  return { schedules, deactivated: gone.length, complete };
}

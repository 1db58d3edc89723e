/**
 * Status suggestions (000 `GET /api/bulk/suggestions`): recurring patterns
 * mined from the caller's own status history, in the caller's time zone.
 *
 * - Entries of the last LOOKBACK_DAYS that are closed, last at least 5
 *   minutes and are not `available` are grouped by (status, customStatus,
 *   local start rounded to 15 minutes, duration rounded to 15 minutes).
 * - A group seen on at least MIN_DAYS distinct local days is a pattern:
 *   `weekly` when every day was the same weekday, `weekdays` when all were
 *   Monday-Friday, else `daily`.
 * - confidence = days seen / eligible days in the observed span (from the
 *   first entry considered to today, counting only that weekday for weekly
 *   and only Monday-Friday for weekdays), capped at 1, two decimals.
 * - Sorted by confidence (then days seen); [] without enough history.
 */
import { and, asc, eq, gte, isNotNull, ne } from "drizzle-orm";
import { Temporal } from "temporal-polyfill";
import { statusHistory, type User } from "../db/schema";
import type { Db } from "../db/client";
import type { Repeat } from "./recurrence";
import { zoneOrUtc } from "./recurrence";

export const LOOKBACK_DAYS = 90;
export const MIN_DAYS = 3;
const BUCKET_MIN = 15;
const MIN_ENTRY_MIN = 5;
const MAX_SUGGESTIONS = 10;

export interface Suggestion {
  name: string;
  status: string;
  customStatus: string;
  startTime: string;
  endTime: string;
  repeat: Repeat;
  confidence: number;
  /** how the confidence was derived */
  occurrences: number;
  eligibleDays: number;
}

const hhmm = (minutes: number) => {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
};

const partOfDay = (minutes: number) => (minutes < 5 * 60 ? "Night" : minutes < 12 * 60 ? "Morning" : minutes < 17 * 60 ? "Afternoon" : minutes < 21 * 60 ? "Evening" : "Night");

const title = (status: string) =>
  status
    .split("_")
    .map((w) => (w === "dnd" ? "Do Not Disturb" : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(" ");

interface Group {
  status: string;
  customStatus: string;
  startMin: number;
  durMin: number;
  days: Map<string, number>; // local date -> day of week (1 = Monday)
}

/** Counts the days from `from` to `to` (inclusive) that `keep` accepts. */
function countDays(from: Temporal.PlainDate, to: Temporal.PlainDate, keep: (dow: number) => boolean): number {
  let n = 0;
  for (let d = from; Temporal.PlainDate.compare(d, to) <= 0; d = d.add({ days: 1 })) if (keep(d.dayOfWeek)) n++;
  return n;
}

export async function suggestStatuses(db: Db, user: User, now = Date.now()): Promise<Suggestion[]> {
  const tz = zoneOrUtc(user.timezone);
  const since = new Date(now - LOOKBACK_DAYS * 86_400_000);
  const rows = await db
    .select()
    .from(statusHistory)
    .where(
      and(
        eq(statusHistory.userId, user.id),
        gte(statusHistory.startTime, since),
        isNotNull(statusHistory.endTime),
        ne(statusHistory.status, "available"),
      ),
    )
    .orderBy(asc(statusHistory.startTime))
    .limit(5000)
    .all();

  const groups = new Map<string, Group>();
  let first: Temporal.PlainDate | null = null;
  for (const h of rows) {
    const lengthMin = (h.endTime!.getTime() - h.startTime.getTime()) / 60_000;
    if (lengthMin < MIN_ENTRY_MIN) continue;
    const local = Temporal.Instant.fromEpochMilliseconds(h.startTime.getTime()).toZonedDateTimeISO(tz);
    const date = local.toPlainDate();
    if (!first || Temporal.PlainDate.compare(date, first) < 0) first = date;
    const startMin = Math.round((local.hour * 60 + local.minute) / BUCKET_MIN) * BUCKET_MIN;
    const durMin = Math.max(BUCKET_MIN, Math.round(lengthMin / BUCKET_MIN) * BUCKET_MIN);
    const key = JSON.stringify([h.status, h.customStatus, startMin, durMin]);
    let g = groups.get(key);
    if (!g) {
      g = { status: h.status, customStatus: h.customStatus, startMin, durMin, days: new Map() };
      groups.set(key, g);
    }
    g.days.set(date.toString(), date.dayOfWeek);
  }
  if (!first) return [];
  const today = Temporal.Instant.fromEpochMilliseconds(now).toZonedDateTimeISO(tz).toPlainDate();

  const out: Suggestion[] = [];
  for (const g of groups.values()) {
    const occurrences = g.days.size;
    if (occurrences < MIN_DAYS) continue;
    const dows = new Set(g.days.values());
    let repeat: Repeat;
    let eligibleDays: number;
    if (dows.size === 1) {
      const [dow] = [...dows];
      repeat = "weekly";
      eligibleDays = countDays(first, today, (d) => d === dow);
    } else if ([...dows].every((d) => d <= 5)) {
      repeat = "weekdays";
      eligibleDays = countDays(first, today, (d) => d <= 5);
    } else {
      repeat = "daily";
      eligibleDays = countDays(first, today, () => true);
    }
    const confidence = Math.round(Math.min(1, occurrences / Math.max(1, eligibleDays)) * 100) / 100;
    out.push({
      name: `${partOfDay(g.startMin)} ${g.status === "custom" && g.customStatus ? g.customStatus : title(g.status)}`,
      status: g.status,
      customStatus: g.customStatus,
      startTime: hhmm(g.startMin),
      endTime: hhmm(g.startMin + g.durMin),
      repeat,
      confidence,
      occurrences,
      eligibleDays,
    });
  }
  out.sort((a, b) => b.confidence - a.confidence || b.occurrences - a.occurrences || a.startTime.localeCompare(b.startTime));
  return out.slice(0, MAX_SUGGESTIONS);
}

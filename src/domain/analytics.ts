/**
 * Status analytics (000 `GET /api/users/:userId/analytics`), computed from
 * the real history:
 *
 * - the window is [startDate, endDate] (either side open when omitted); every
 *   entry overlapping it counts (`totalEntries`), its time clipped to the
 *   window; the open entry (the current status) lasts until now;
 * - `totalDuration` is the clipped time in whole minutes (rounded);
 *   `statusDurations` splits exactly that many minutes between the statuses
 *   and `statusPercentages` splits 100, both by largest remainder, so they sum
 *   to `totalDuration` and to exactly 100;
 * - `mostFrequentStatus` is the status with the most entries in the window
 *   (ties: more time, then alphabetical);
 * - `suggestions.morning|afternoon|evening` is the status held longest during
 *   06:00-12:00, 12:00-18:00 and 18:00-24:00 in the user's time zone (IANA,
 *   DST-aware via Temporal), or null when no time fell in that part of day.
 */
import { Temporal } from "temporal-polyfill";
import { statusHistory } from "../db/schema";
import type { Db } from "../db/client";
import { zoneOrUtc } from "./recurrence";
import { checkWindow, historyWindow } from "./status";

export type DayPart = "morning" | "afternoon" | "evening";
const PARTS: DayPart[] = ["morning", "afternoon", "evening"];

export interface HistorySpan {
  status: string;
  startTime: Date;
  endTime: Date | null;
}

export interface AnalyticsOptions {
  startDate?: Date;
  endDate?: Date;
  now: number;
  timezone: string;
}

export interface Analytics {
  totalEntries: number;
  totalDuration: number;
  statusDurations: Record<string, number>;
  statusPercentages: Record<string, number>;
  mostFrequentStatus: string | null;
  suggestions: Record<DayPart, string | null>;
}

/**
 * Splits `total` (an integer) in proportion to `weights`, as integers that sum
 * to exactly `total` (largest remainder; ties to the larger weight, then name).
 */
export function apportion(weights: Map<string, number>, total: number): Record<string, number> {
  const sum = [...weights.values()].reduce((a, b) => a + b, 0);
  const out: Record<string, number> = {};
  if (sum <= 0) return out;
  const shares = [...weights].map(([key, w]) => {
    const exact = (w / sum) * total;
    return { key, w, floor: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = total - shares.reduce((a, s) => a + s.floor, 0);
  const order = [...shares].sort((a, b) => b.rest - a.rest || b.w - a.w || a.key.localeCompare(b.key));
  for (const s of order) {
    if (left <= 0) break;
    s.floor += 1;
    left -= 1;
  }
  for (const s of shares.sort((a, b) => b.w - a.w || a.key.localeCompare(b.key))) out[s.key] = s.floor;
  return out;
}

const partOf = (hour: number): DayPart | null => (hour < 6 ? null : hour < 12 ? "morning" : hour < 18 ? "afternoon" : "evening");
const nextBoundaryHour = (hour: number) => (hour < 6 ? 6 : hour < 12 ? 12 : hour < 18 ? 18 : 24);

/** Calls `add(part, ms)` for each piece of [fromMs, toMs) by local part of day in `tz`. */
export function splitByDayPart(fromMs: number, toMs: number, tz: string, add: (part: DayPart, ms: number) => void) {
  let t = fromMs;
  while (t < toMs) {
    const local = Temporal.Instant.fromEpochMilliseconds(t).toZonedDateTimeISO(tz);
    const h = nextBoundaryHour(local.hour);
    const boundary = h === 24 ? local.startOfDay().add({ days: 1 }) : local.withPlainTime({ hour: h });
    let b = boundary.epochMilliseconds;
    if (b <= t) b = t + 60 * 60_000; // cannot happen in real zones; never loop forever
    const end = Math.min(b, toMs);
    const part = partOf(local.hour);
    if (part) add(part, end - t);
    t = end;
  }
}

/** Pure computation over history entries (see the module comment). */
export function computeAnalytics(entries: HistorySpan[], opts: AnalyticsOptions): Analytics {
  const from = opts.startDate?.getTime() ?? -Infinity;
  const to = opts.endDate?.getTime() ?? Infinity;
  const tz = zoneOrUtc(opts.timezone);
  const msByStatus = new Map<string, number>();
  const countByStatus = new Map<string, number>();
  const byPart: Record<DayPart, Map<string, number>> = { morning: new Map(), afternoon: new Map(), evening: new Map() };
  let totalMs = 0;

  for (const e of entries) {
    countByStatus.set(e.status, (countByStatus.get(e.status) ?? 0) + 1);
    const start = Math.max(e.startTime.getTime(), from);
    const end = Math.min(e.endTime ? e.endTime.getTime() : Math.max(opts.now, e.startTime.getTime()), to);
    if (!(end > start)) continue;
    totalMs += end - start;
    msByStatus.set(e.status, (msByStatus.get(e.status) ?? 0) + (end - start));
    splitByDayPart(start, end, tz, (part, ms) => byPart[part].set(e.status, (byPart[part].get(e.status) ?? 0) + ms));
  }

  const totalDuration = Math.round(totalMs / 60_000);
  const pick = (m: Map<string, number>, tie?: Map<string, number>) => {
    let best: string | null = null;
    let bestV = -1;
    let bestT = -1;
    for (const [k, v] of m) {
      const t = tie?.get(k) ?? 0;
      if (v > bestV || (v === bestV && (t > bestT || (t === bestT && best !== null && k < best)))) {
        best = k;
        bestV = v;
        bestT = t;
      }
    }
    return best;
  };

  const suggestions = {} as Record<DayPart, string | null>;
  for (const p of PARTS) suggestions[p] = pick(byPart[p]);

  return {
    totalEntries: entries.length,
    totalDuration,
    statusDurations: apportion(msByStatus, totalDuration),
    statusPercentages: totalMs > 0 ? apportion(msByStatus, 100) : {},
    mostFrequentStatus: pick(countByStatus, msByStatus),
    suggestions,
  };
}

/** Loads the entries overlapping the window and computes the analytics. */
export async function statusAnalytics(
  db: Db,
  user: { id: string; timezone: string },
  window: { startDate?: Date; endDate?: Date },
  now = Date.now(),
): Promise<Analytics> {
  checkWindow(window.startDate, window.endDate);
  const entries = await db
    .select({ status: statusHistory.status, startTime: statusHistory.startTime, endTime: statusHistory.endTime })
    .from(statusHistory)
    .where(historyWindow(user.id, window.startDate, window.endDate))
    .all();
  return computeAnalytics(entries, { ...window, now, timezone: user.timezone });
}

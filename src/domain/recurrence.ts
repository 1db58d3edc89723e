/**
 * Recurrence of status schedules, evaluated in the user's IANA time zone.
 *
 * Rules (documented in the README):
 * - Occurrence 0 is exactly the stored `startTime`..`endTime`.
 * - Every later occurrence keeps occurrence 0's LOCAL wall-clock start and
 *   end (09:00-17:00 stays 09:00-17:00 local across daylight-saving changes),
 *   so its exact length can differ by the DST shift on transition days.
 *   A local time that does not exist (spring-forward gap) moves forward by
 *   the gap; an ambiguous one (fall-back) takes the earlier instant
 *   (Temporal's "compatible" disambiguation).
 * - `daily`: every day; `weekly`: every 7 days; `weekdays`: every Monday to
 *   Friday on or after the first date (a first date on a weekend starts the
 *   series on the next Monday); `monthly`: the same day of month, and on
 *   the last day of shorter months (31 Jan -> 28/29 Feb -> 31 Mar -> 30 Apr),
 *   always counted from the first date so it never drifts.
 *
 * Pure functions over Temporal (temporal-polyfill: spec-compliant, uses the
 * platform's Intl time-zone data, no bundled tz database).
 */
import { Temporal } from "temporal-polyfill";

export const REPEATS = ["none", "daily", "weekdays", "weekly", "monthly"] as const;
export type Repeat = (typeof REPEATS)[number];

export interface RecurrenceRule {
  startTime: Date | number;
  endTime: Date | number;
  repeat: string;
}

export interface Occurrence {
  /** epoch ms */
  start: number;
  /** epoch ms */
  end: number;
  /** candidate index (0 = the stored first occurrence) */
  index: number;
}

const DAY = 86_400_000;
/** Safety bound on one walk over candidates. */
const MAX_STEPS = 20_000;

const ms = (d: Date | number) => (typeof d === "number" ? d : d.getTime());

/** Zone names already checked (a walk over occurrences asks for every candidate). */
const checkedZones = new Map<string, boolean>();

export function isValidTimeZone(tz: string): boolean {
  let ok = checkedZones.get(tz);
  if (ok === undefined) {
    try {
      Temporal.Now.zonedDateTimeISO(tz);
      ok = true;
    } catch {
      ok = false;
    }
    if (checkedZones.size < 1000) checkedZones.set(tz, ok);
  }
  return ok;
}

/** The zone to evaluate in: the user's, or UTC when it is unknown. */
export function zoneOrUtc(tz: string | null | undefined): string {
  return tz && isValidTimeZone(tz) ? tz : "UTC";
}

/** Local wall-clock view of an instant. */
export function localDateTime(at: number, tz: string): Temporal.PlainDateTime {
  return Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO(zoneOrUtc(tz)).toPlainDateTime();
}

/** Instant of a local wall-clock time ("compatible" disambiguation). */
export function instantOf(local: Temporal.PlainDateTime, tz: string): number {
  return local.toZonedDateTime(zoneOrUtc(tz), { disambiguation: "compatible" }).epochMilliseconds;
}

/** A compiled series: the first occurrence's local start and its wall-clock length. */
class Series {
  readonly first: number;
  readonly firstEnd: number;
  readonly exactMs: number;
  readonly firstLocal: Temporal.PlainDateTime;
  readonly wall: Temporal.Duration;
  readonly repeat: Repeat;
  /** upper bound on how long one occurrence lasts (ms), with margin for DST */
  readonly maxLen: number;
  /** lower bound on the spacing of candidates, and an upper one */
  readonly minStep: number;
  readonly maxStep: number;

  constructor(
    rule: RecurrenceRule,
    readonly tz: string,
  ) {
    this.first = ms(rule.startTime);
    this.firstEnd = ms(rule.endTime);
    this.exactMs = Math.max(0, this.firstEnd - this.first);
    this.repeat = (REPEATS as readonly string[]).includes(rule.repeat) ? (rule.repeat as Repeat) : "none";
    this.firstLocal = localDateTime(this.first, tz);
    this.wall = this.firstLocal.until(localDateTime(this.firstEnd, tz), { largestUnit: "days" });
    const wallMs = this.wall.total({ unit: "hours", relativeTo: this.firstLocal }) * 3_600_000;
    this.maxLen = Math.max(this.exactMs, wallMs) + 3 * 3_600_000;
    switch (this.repeat) {
      case "weekly":
        this.minStep = 7 * DAY - 3 * 3_600_000;
        this.maxStep = 7 * DAY + 3 * 3_600_000;
        break;
      case "monthly":
        this.minStep = 28 * DAY - 3 * 3_600_000;
        this.maxStep = 31 * DAY + 3 * 3_600_000;
        break;
      default:
        this.minStep = DAY - 3 * 3_600_000;
        this.maxStep = DAY + 3 * 3_600_000;
    }
  }

  /** Candidate k, or null when it is not an occurrence (weekend for `weekdays`, k>0 for `none`). */
  at(k: number): Occurrence | null {
    if (k === 0) {
      if (this.repeat === "weekdays" && this.firstLocal.dayOfWeek > 5) return null;
      return { start: this.first, end: this.firstEnd, index: 0 };
    }
    let local: Temporal.PlainDateTime;
    switch (this.repeat) {
      case "none":
        return null;
      case "daily":
        local = this.firstLocal.add({ days: k });
        break;
      case "weekdays":
        local = this.firstLocal.add({ days: k });
        if (local.dayOfWeek > 5) return null;
        break;
      case "weekly":
        local = this.firstLocal.add({ weeks: k });
        break;
      case "monthly":
        // counted from the first date; overflow "constrain" = last day of shorter months
        local = this.firstLocal.add({ months: k });
        break;
    }
    const start = instantOf(local, this.tz);
    let end = instantOf(local.add(this.wall), this.tz);
    if (end <= start) end = start + this.exactMs;
    return { start, end, index: k };
  }

  /**
   * A candidate index whose start is certainly <= `t` (or 0), at most a few
   * candidates before it: counted in local calendar days / months from the
   * first date, so a series that began long ago costs no walk.
   */
  floorIndex(t: number): number {
    if (this.repeat === "none" || t <= this.first) return 0;
    const from = this.firstLocal.toPlainDate();
    const to = localDateTime(t, this.tz).toPlainDate();
    let k: number;
    switch (this.repeat) {
      case "monthly": {
        const d = from.until(to, { largestUnit: "months" });
        k = d.months;
        break;
      }
      case "weekly":
        k = Math.floor(from.until(to, { largestUnit: "days" }).days / 7);
        break;
      default:
        k = from.until(to, { largestUnit: "days" }).days;
    }
    // two candidates back: candidate k starts on `to`'s date or the one before at the latest
    return Math.max(0, k - 2);
  }
}

export function compile(rule: RecurrenceRule, tz: string): Series {
  return new Series(rule, zoneOrUtc(tz));
}

/**
 * Occurrences that overlap [from, to) (end > from and start < to), soonest
 * first, at most `limit`.
 */
export function occurrencesBetween(rule: RecurrenceRule, tz: string, from: number, to: number, limit = 1000): Occurrence[] {
  const s = compile(rule, tz);
  const out: Occurrence[] = [];
  if (to <= from) return out;
  let k = s.floorIndex(from - s.maxLen);
  for (let steps = 0; steps < MAX_STEPS && out.length < limit; steps++, k++) {
    if (s.repeat === "none" && k > 0) break;
    const o = s.at(k);
    if (!o) continue;
    if (o.start >= to) break;
    if (o.end > from) out.push(o);
  }
  return out;
}

/** The latest occurrence that starts at or before `t`, or null. */
export function latestOccurrenceStartingBy(rule: RecurrenceRule, tz: string, t: number): Occurrence | null {
  const s = compile(rule, tz);
  if (t < s.first) return null;
  let best: Occurrence | null = null;
  let k = s.floorIndex(t);
  for (let steps = 0; steps < MAX_STEPS; steps++, k++) {
    if (s.repeat === "none" && k > 0) break;
    const o = s.at(k);
    if (!o) continue;
    if (o.start > t) break;
    best = o;
  }
  return best;
}

/** The first occurrence that starts strictly after `t`, or null (none left). */
export function nextOccurrenceStartingAfter(rule: RecurrenceRule, tz: string, t: number): Occurrence | null {
  const s = compile(rule, tz);
  let k = s.floorIndex(t);
  for (let steps = 0; steps < MAX_STEPS; steps++, k++) {
    if (s.repeat === "none" && k > 0) return null;
    const o = s.at(k);
    if (!o) continue;
    if (o.start > t) return o;
  }
  return null;
}

/** The occurrence that starts exactly at `start`, or null (e.g. the schedule was edited since). */
export function occurrenceStartingAt(rule: RecurrenceRule, tz: string, start: number): Occurrence | null {
  const found = occurrencesBetween(rule, tz, start, start + 1, 8);
  return found.find((o) => o.start === start) ?? null;
}

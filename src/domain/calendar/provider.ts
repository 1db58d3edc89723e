/**
 * One interface for every calendar provider (Google Calendar, Microsoft
 * Graph, CalDAV/iCalendar for Apple): list the events of a window with the
 * user's access token, as provider-neutral `CalendarEvent`s that the sync
 * turns into schedules.
 *
 * A recurring event becomes ONE event with a `repeat` when its rule maps
 * exactly onto ours (open-ended DAILY / WEEKLY / MONTHLY / weekdays, in the
 * user's own time zone, without exceptions); otherwise its occurrences in
 * the window are listed one by one.
 */
import type { z } from "@hono/zod-openapi";
import ICAL from "ical.js";
import { Temporal } from "temporal-polyfill";
import { ApiError } from "../../lib/errors";
import { isValidTimeZone, type Repeat } from "../recurrence";

export const CALENDAR_TYPES = ["google", "outlook", "apple"] as const;
export type CalendarType = (typeof CALENDAR_TYPES)[number];

export const PROVIDER_NAMES: Record<CalendarType, string> = {
  google: "Google Calendar",
  outlook: "Microsoft Graph (Outlook)",
  apple: "CalDAV (Apple)",
};

export interface CalendarEvent {
  /** Stable provider id; expanded occurrences carry the occurrence too. */
  externalId: string;
  title: string;
  /** epoch ms of the (first) occurrence */
  start: number;
  end: number;
  allDay: boolean;
  /** Graph `showAs: oof` */
  outOfOffice?: boolean;
  repeat: Repeat;
}

export interface SyncWindow {
  start: number;
  end: number;
}

export interface ProviderContext {
  /** injected so tests can serve recorded-shape responses without a network */
  fetch: typeof fetch;
  /** origin (and optional path prefix) where the provider's API lives */
  baseUrl: string;
  accessToken: string;
  /** the user's IANA time zone (all-day dates, floating times, repeat mapping) */
  timeZone: string;
}

/**
 * A provider's events of the window. `complete` is false when the listing
 * may miss events the calendar has (an item that failed the provider's
 * schema, an unreadable resource, a listing cut at one of our caps): the
 * sync then deactivates nothing, since a missing event proves nothing.
 */
export interface Listing {
  events: CalendarEvent[];
  complete: boolean;
}

export interface CalendarProvider {
  readonly type: CalendarType;
  listEvents(ctx: ProviderContext, window: SyncWindow): Promise<Listing>;
}

/** Most events accepted from one sync (after expansion); later ones are left out. */
export const MAX_EVENTS = 500;
/** Most occurrences expanded from one recurring event. */
export const MAX_OCCURRENCES_PER_EVENT = 400;
/** Most pages followed. */
export const MAX_PAGES = 50;

// ---- HTTP to a provider -------------------------------------------------------

/**
 * Calls the provider and maps its failures to our errors:
 * 401/403 -> 400 naming `accessToken`; 429 -> 429 with Retry-After passed
 * on; 404 -> 400; other 4xx -> 400; 5xx and network failures -> 502.
 */
export async function providerFetch(type: CalendarType, ctx: ProviderContext, url: string, init: RequestInit = {}): Promise<Response> {
  const name = PROVIDER_NAMES[type];
  let res: Response;
  try {
    res = await ctx.fetch(url, init);
  } catch (err) {
    throw new ApiError(502, `calendar: could not reach ${name} (${err instanceof Error ? err.message : String(err)})`);
  }
  if (res.ok || res.status === 207) return res;
  // the caller follows redirects itself (and only to the provider's own servers)
  if (init.redirect === "manual" && res.status >= 300 && res.status < 400) return res;
  const detail = await providerMessage(res);
  if (res.status === 401 || res.status === 403) {
    throw new ApiError(400, `accessToken: rejected by ${name} (${res.status}${detail ? `: ${detail}` : ""})`);
  }
  if (res.status === 429) {
    const retryAfter = retryAfterOf(res);
    throw new ApiError(
      429,
      `calendar: ${name} is rate limiting requests${retryAfter ? `; retry after ${retryAfter} s` : ""}`,
      retryAfter ? { "Retry-After": retryAfter } : undefined,
    );
  }
  if (res.status === 503 && retryAfterOf(res)) {
    const retryAfter = retryAfterOf(res)!;
    throw new ApiError(503, `calendar: ${name} is unavailable; retry after ${retryAfter} s`, { "Retry-After": retryAfter });
  }
  if (res.status >= 500) throw new ApiError(502, `calendar: ${name} failed (${res.status}${detail ? `: ${detail}` : ""})`);
  throw new ApiError(400, `calendar: ${name} refused the request (${res.status}${detail ? `: ${detail}` : ""})`);
}

/** A provider's Retry-After (delay in seconds, or an HTTP date), when it is one. */
function retryAfterOf(res: Response): string | null {
  const v = res.headers.get("retry-after")?.trim();
  if (!v) return null;
  return /^\d{1,9}$/.test(v) || !Number.isNaN(Date.parse(v)) ? v : null;
}

/**
 * The items of one page that pass the provider's schema. A page whose items
 * ALL fail it is not an empty calendar but a provider answering something
 * else: 502. Some failing: the listing is incomplete.
 */
export function pageItems<S extends z.ZodType>(type: CalendarType, raw: unknown[], schema: S): { items: z.output<S>[]; complete: boolean } {
  const items: z.output<S>[] = [];
  for (const r of raw) {
    const item = schema.safeParse(r);
    if (item.success) items.push(item.data);
  }
  if (raw.length > 0 && items.length === 0) {
    throw new ApiError(502, `calendar: ${PROVIDER_NAMES[type]} sent events none of which could be read`);
  }
  return { items, complete: items.length === raw.length };
}

/** A short message from a provider error body (Google/Graph JSON or text), never the whole body. */
async function providerMessage(res: Response): Promise<string> {
  try {
    const text = (await res.text()).slice(0, 2000);
    try {
      const j = JSON.parse(text) as { error?: { message?: unknown } | string; error_description?: unknown };
      const m = typeof j.error === "object" ? j.error?.message : (j.error_description ?? j.error);
      if (typeof m === "string") return m.slice(0, 200);
    } catch {}
    return text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim().slice(0, 200);
  } catch {
    return "";
  }
}

/** Parses a provider JSON body, 502 when it is not what the provider documents. */
export async function providerJson<T>(type: CalendarType, res: Response, parse: (v: unknown) => T | null): Promise<T> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(502, `calendar: ${PROVIDER_NAMES[type]} sent a response that is not JSON`);
  }
  const parsed = parse(body);
  if (parsed === null) throw new ApiError(502, `calendar: ${PROVIDER_NAMES[type]} sent an unexpected response`);
  return parsed;
}

/**
 * Resolves a link the provider gave us, refusing to leave its servers: the
 * same origin, or (real providers shard by host, e.g. iCloud's calendar home
 * on pNN-caldav.icloud.com) another https host of the same domain.
 */
export function sameOriginUrl(type: CalendarType, base: string, href: string): string {
  const url = new URL(href, base);
  const from = new URL(base);
  const domain = (h: string) => (/^[\d.]+$|^\[/.test(h) ? h : h.split(".").slice(-2).join("."));
  const ok =
    url.origin === from.origin ||
    (url.protocol === "https:" && from.protocol === "https:" && domain(url.hostname) === domain(from.hostname) && url.hostname.includes("."));
  if (!ok) throw new ApiError(502, `calendar: ${PROVIDER_NAMES[type]} pointed outside its own servers`);
  return url.toString();
}

export const joinUrl = (base: string, path: string) => `${base.replace(/\/+$/, "")}${path}`;

// ---- time helpers ------------------------------------------------------------------

/** Local midnight of an all-day date ("2023-01-02") in `tz`. */
export function dateStartIn(date: string, tz: string): number {
  return Temporal.PlainDate.from(date).toZonedDateTime({ timeZone: tz }).epochMilliseconds;
}

/** A wall-clock time ("2023-01-02T09:00:00") in zone `tz`. */
export function wallTimeIn(local: string, tz: string): number {
  return Temporal.PlainDateTime.from(local).toZonedDateTime(tz, { disambiguation: "compatible" }).epochMilliseconds;
}

export function isIanaZone(tz: string | null | undefined): tz is string {
  return !!tz && isValidTimeZone(tz);
}

const sameZone = (a: string, b: string) => {
  if (a === b) return true;
  try {
    return Temporal.Now.zonedDateTimeISO(a).timeZoneId === Temporal.Now.zonedDateTimeISO(b).timeZoneId;
  } catch {
    return false;
  }
};

// ---- recurrence rule mapping ------------------------------------------------------------

const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR"];
const DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/**
 * Our `repeat` for an RFC 5545 RRULE, or null when it does not map exactly
 * (then the occurrences are expanded instead): INTERVAL 1, no COUNT/UNTIL,
 * evaluated in the user's zone, and
 *   DAILY -> daily; DAILY or WEEKLY with BYDAY=MO,TU,WE,TH,FR -> weekdays;
 *   WEEKLY (BYDAY absent or the start's day) -> weekly;
 *   MONTHLY (BYMONTHDAY absent or the start's day, day <= 28) -> monthly.
 */
export function mapRrule(rrule: string, start: number, eventZone: string | null, userZone: string): Repeat | null {
  if (eventZone && !sameZone(eventZone, userZone)) return null;
  let recur: InstanceType<typeof ICAL.Recur>;
  try {
    recur = ICAL.Recur.fromString(rrule.replace(/^RRULE:/i, ""));
  } catch {
    return null;
  }
  if ((recur.interval ?? 1) !== 1 || recur.count || recur.until) return null;
  const parts = recur.parts ?? {};
  const others = Object.keys(parts).filter((k) => k !== "BYDAY" && k !== "BYMONTHDAY" && (parts as Record<string, unknown[]>)[k]?.length);
  if (others.length) return null;
  const local = Temporal.Instant.fromEpochMilliseconds(start).toZonedDateTimeISO(userZone);
  const startCode = DAY_CODES[local.dayOfWeek - 1];
  const byday = (parts.BYDAY ?? []).map((d) => String(d).toUpperCase());
  const isWeekdays = byday.length === 5 && WEEKDAYS.every((d) => byday.includes(d));
  switch (recur.freq) {
    case "DAILY":
      if (parts.BYMONTHDAY?.length) return null;
      if (!byday.length) return "daily";
      return isWeekdays && local.dayOfWeek <= 5 ? "weekdays" : null;
    case "WEEKLY":
      if (parts.BYMONTHDAY?.length) return null;
      if (!byday.length || (byday.length === 1 && byday[0] === startCode)) return "weekly";
      return isWeekdays && local.dayOfWeek <= 5 ? "weekdays" : null;
    case "MONTHLY": {
      if (byday.length) return null;
      const md = parts.BYMONTHDAY ?? [];
      if (local.day > 28) return null;
      if (!md.length || (md.length === 1 && Number(md[0]) === local.day)) return "monthly";
      return null;
    }
    default:
      return null;
  }
}

/** A title fit for `customStatus`. */
export const eventTitle = (t: unknown) => {
  const s = typeof t === "string" ? t.replace(/\s+/g, " ").trim() : "";
  return (s || "Busy").slice(0, 200);
};

/**
 * Google Calendar API v3: `GET /calendar/v3/calendars/primary/events` with
 * `timeMin`, `timeMax`, `singleEvents=false` (recurring events come as their
 * series with `recurrence` RRULEs; modified/cancelled instances as separate
 * items with `recurringEventId`), paged by `nextPageToken`. A series whose
 * rule does not map onto our `repeat` (or that has exceptions) is expanded
 * through `GET .../events/{id}/instances` for the window.
 */
import { z } from "@hono/zod-openapi";
import {
  type CalendarEvent,
  type CalendarProvider,
  type Listing,
  dateStartIn,
  eventTitle,
  joinUrl,
  MAX_EVENTS,
  MAX_OCCURRENCES_PER_EVENT,
  MAX_PAGES,
  mapRrule,
  type ProviderContext,
  providerFetch,
  pageItems,
  providerJson,
  type SyncWindow,
} from "./provider";

const When = z.object({
  dateTime: z.string().optional(),
  date: z.string().optional(),
  timeZone: z.string().optional(),
});

const GoogleEvent = z.object({
  id: z.string(),
  status: z.string().optional(),
  summary: z.string().optional(),
  start: When.optional(),
  end: When.optional(),
  recurrence: z.array(z.string()).optional(),
  recurringEventId: z.string().optional(),
  transparency: z.string().optional(),
  eventType: z.string().optional(),
});
type GoogleEvent = z.infer<typeof GoogleEvent>;

const EventsPage = z.object({
  items: z.array(z.unknown()).default([]),
  nextPageToken: z.string().optional(),
  timeZone: z.string().optional(),
});

const parsePage = (v: unknown) => {
  const r = EventsPage.safeParse(v);
  if (!r.success) return null;
  // a malformed item is skipped (the listing is then incomplete); all of them: 502
  const { items, complete } = pageItems("google", r.data.items, GoogleEvent);
  return { items, complete, nextPageToken: r.data.nextPageToken };
};

function instant(w: z.infer<typeof When> | undefined, tz: string): number | null {
  if (!w) return null;
  if (w.dateTime) {
    const t = Date.parse(w.dateTime);
    return Number.isNaN(t) ? null : t;
  }
  if (w.date) {
    try {
      return dateStartIn(w.date, tz);
    } catch {
      return null;
    }
  }
  return null;
}

/** Events that make the user unavailable. */
const counts = (e: GoogleEvent) =>
  e.status !== "cancelled" && e.transparency !== "transparent" && e.eventType !== "workingLocation" && e.eventType !== "birthday";

export class GoogleCalendar implements CalendarProvider {
  readonly type = "google" as const;

  private async pages(ctx: ProviderContext, path: string, params: Record<string, string>): Promise<{ items: GoogleEvent[]; complete: boolean }> {
    const out: GoogleEvent[] = [];
    let complete = true;
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const url = new URL(joinUrl(ctx.baseUrl, path));
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      if (pageToken) url.searchParams.set("pageToken", pageToken);
      const res = await providerFetch("google", ctx, url.toString(), {
        headers: { authorization: `Bearer ${ctx.accessToken}`, accept: "application/json" },
      });
      const body = await providerJson("google", res, parsePage);
      out.push(...body.items);
      complete &&= body.complete;
      pageToken = body.nextPageToken;
      if (!pageToken || out.length > MAX_EVENTS) break;
    }
    // pages left unread: the listing is cut
    return { items: out, complete: complete && !pageToken };
  }

  async listEvents(ctx: ProviderContext, window: SyncWindow): Promise<Listing> {
    const range = { timeMin: new Date(window.start).toISOString(), timeMax: new Date(window.end).toISOString() };
    let { items, complete } = await this.pages(ctx, "/calendar/v3/calendars/primary/events", {
      ...range,
      singleEvents: "false",
      maxResults: "250",
    });
    const withExceptions = new Set(items.filter((e) => e.recurringEventId).map((e) => e.recurringEventId!));
    const events: CalendarEvent[] = [];
    for (const e of items) {
      if (e.recurringEventId || !counts(e)) continue; // exceptions are covered by expanding their series
      const start = instant(e.start, ctx.timeZone);
      const end = instant(e.end, ctx.timeZone);
      if (start === null || end === null || end <= start) continue;
      const allDay = !e.start?.dateTime;
      const base = { title: eventTitle(e.summary), allDay, outOfOffice: e.eventType === "outOfOffice" };
      if (!e.recurrence?.length) {
        events.push({ ...base, externalId: e.id, start, end, repeat: "none" });
        continue;
      }
      const rrules = e.recurrence.filter((r) => /^RRULE:/i.test(r));
      const mappable = rrules.length === 1 && rrules.length === e.recurrence.length && !withExceptions.has(e.id);
      const repeat = mappable ? mapRrule(rrules[0], start, allDay ? ctx.timeZone : (e.start?.timeZone ?? null), ctx.timeZone) : null;
      if (repeat) {
        events.push({ ...base, externalId: e.id, start, end, repeat });
        continue;
      }
      const listed = await this.pages(ctx, `/calendar/v3/calendars/primary/events/${encodeURIComponent(e.id)}/instances`, {
        ...range,
        maxResults: "250",
      });
      const instances = listed.items;
      complete &&= listed.complete && instances.length <= MAX_OCCURRENCES_PER_EVENT;
      for (const i of instances.slice(0, MAX_OCCURRENCES_PER_EVENT)) {
        if (!counts(i)) continue;
        const s = instant(i.start, ctx.timeZone);
        const t = instant(i.end, ctx.timeZone);
        if (s === null || t === null || t <= s) continue;
        events.push({ ...base, title: eventTitle(i.summary ?? e.summary), externalId: i.id, start: s, end: t, repeat: "none" });
      }
    }
    return { events, complete };
  }
}

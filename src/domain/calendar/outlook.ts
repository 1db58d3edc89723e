/**
 * Microsoft Graph: `GET /v1.0/me/calendarView?startDateTime&endDateTime`
 * (recurring series come expanded into their instances), times asked in UTC
 * with `Prefer: outlook.timezone="UTC"`, paged by `@odata.nextLink`. Each
 * instance becomes a one-off schedule keyed by its own id.
 */
import { z } from "@hono/zod-openapi";
import {
  type CalendarEvent,
  type CalendarProvider,
  type Listing,
  dateStartIn,
  eventTitle,
  isIanaZone,
  joinUrl,
  MAX_EVENTS,
  MAX_PAGES,
  type ProviderContext,
  providerFetch,
  pageItems,
  providerJson,
  sameOriginUrl,
  type SyncWindow,
  wallTimeIn,
} from "./provider";

const GraphTime = z.object({ dateTime: z.string(), timeZone: z.string().optional() });
const GraphEvent = z.object({
  id: z.string(),
  subject: z.string().nullable().optional(),
  start: GraphTime,
  end: GraphTime,
  isAllDay: z.boolean().optional(),
  isCancelled: z.boolean().optional(),
  showAs: z.string().optional(),
  type: z.string().optional(),
});
type GraphEvent = z.infer<typeof GraphEvent>;

const Page = z.object({
  value: z.array(z.unknown()),
  "@odata.nextLink": z.string().optional(),
});

const parsePage = (v: unknown) => {
  const r = Page.safeParse(v);
  if (!r.success) return null;
  // a malformed item is skipped (the listing is then incomplete); all of them: 502
  const { items, complete } = pageItems("outlook", r.data.value, GraphEvent);
  return { items, complete, next: r.data["@odata.nextLink"] };
};

/** Graph date-times have no offset: "2023-01-02T14:00:00.0000000" in `timeZone`. */
function instant(t: z.infer<typeof GraphTime>, allDay: boolean, userZone: string): number | null {
  const local = t.dateTime.replace(/(\.\d{3})\d*$/, "$1");
  try {
    if (allDay) return dateStartIn(local.slice(0, 10), userZone);
    const zone = t.timeZone ?? "UTC";
    if (/^(UTC|Etc\/UTC|GMT)$/i.test(zone) || local.endsWith("Z")) {
      const ms = Date.parse(local.endsWith("Z") ? local : `${local}Z`);
      return Number.isNaN(ms) ? null : ms;
    }
    if (isIanaZone(zone)) return wallTimeIn(local, zone);
    return null; // a Windows zone name we did not ask for
  } catch {
    return null;
  }
}

export class OutlookCalendar implements CalendarProvider {
  readonly type = "outlook" as const;

  async listEvents(ctx: ProviderContext, window: SyncWindow): Promise<Listing> {
    const first = new URL(joinUrl(ctx.baseUrl, "/v1.0/me/calendarView"));
    first.searchParams.set("startDateTime", new Date(window.start).toISOString());
    first.searchParams.set("endDateTime", new Date(window.end).toISOString());
    first.searchParams.set("$top", "100");
    first.searchParams.set("$select", "id,subject,start,end,isAllDay,isCancelled,showAs,type");
    let url: string | undefined = first.toString();
    const items: GraphEvent[] = [];
    let complete = true;
    for (let page = 0; url && page < MAX_PAGES && items.length <= MAX_EVENTS; page++) {
      const res = await providerFetch("outlook", ctx, url, {
        headers: {
          authorization: `Bearer ${ctx.accessToken}`,
          accept: "application/json",
          prefer: 'outlook.timezone="UTC"',
        },
      });
      const body = await providerJson("outlook", res, parsePage);
      items.push(...body.items);
      complete &&= body.complete;
      url = body.next ? sameOriginUrl("outlook", ctx.baseUrl, body.next) : undefined;
    }
    // pages left unread: the listing is cut
    if (url) complete = false;
    const events: CalendarEvent[] = [];
    for (const e of items) {
      if (e.isCancelled || e.showAs === "free" || e.type === "seriesMaster") continue;
      const allDay = e.isAllDay ?? false;
      const start = instant(e.start, allDay, ctx.timeZone);
      const end = instant(e.end, allDay, ctx.timeZone);
      if (start === null || end === null || end <= start) continue;
      events.push({
        externalId: e.id,
        title: eventTitle(e.subject),
        start,
        end,
        allDay,
        outOfOffice: e.showAs === "oof",
        repeat: "none",
      });
    }
    return { events, complete };
  }
}

/**
 * Apple (iCloud) calendars over CalDAV (RFC 4791) and iCalendar (RFC 5545).
 *
 * Discovery as a CalDAV client does it: PROPFIND `/.well-known/caldav` for
 * the current-user-principal, PROPFIND that for the calendar-home-set,
 * PROPFIND the home (Depth 1) for the calendars that hold VEVENTs, then a
 * REPORT calendar-query with a time-range on each. The calendar-data is
 * parsed with ical.js; a series whose RRULE maps onto our `repeat` (in the
 * user's zone, no exceptions) stays one event, anything else is expanded
 * over the window (RECURRENCE-ID overrides and EXDATEs honoured).
 *
 * iCloud authenticates CalDAV with the Apple ID and an app-specific
 * password: an `accessToken` of the form `user:password` is sent as HTTP
 * Basic, anything else as a Bearer token.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import ICAL from "ical.js";
import { ApiError } from "../../lib/errors";
import {
  type CalendarEvent,
  type CalendarProvider,
  type Listing,
  dateStartIn,
  eventTitle,
  isIanaZone,
  joinUrl,
  MAX_EVENTS,
  MAX_OCCURRENCES_PER_EVENT,
  mapRrule,
  type ProviderContext,
  providerFetch,
  sameOriginUrl,
  type SyncWindow,
  wallTimeIn,
} from "./provider";

const DAV = `xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"`;
const xml = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  isArray: (name) => ["response", "propstat", "comp", "href"].includes(name),
});

type Node = Record<string, unknown>;
const asNode = (v: unknown): Node => (v && typeof v === "object" ? (v as Node) : {});
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const text = (v: unknown): string => {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  const n = asNode(v);
  return typeof n["#text"] === "string" ? n["#text"] : "";
};

interface DavResponse {
  href: string;
  /** the merged <prop> of the 200 propstats */
  prop: Node;
}

function parseMultistatus(body: string): DavResponse[] {
  // fast-xml-parser reads a truncated document without complaint (every open
  // element silently closed): a cut-off listing must not pass for a short one
  if (XMLValidator.validate(body) !== true) throw new ApiError(502, "calendar: CalDAV (Apple) sent XML that is not well-formed (truncated?)");
  let doc: Node;
  try {
    doc = asNode(xml.parse(body));
  } catch {
    throw new ApiError(502, "calendar: CalDAV (Apple) sent XML that could not be read");
  }
  const ms = asNode(doc.multistatus);
  if (!("response" in ms) && !Object.keys(ms).length) throw new ApiError(502, "calendar: CalDAV (Apple) did not answer with a multistatus");
  return asArray(ms.response).map((r) => {
    const resp = asNode(r);
    const prop: Node = {};
    for (const ps of asArray(resp.propstat)) {
      const p = asNode(ps);
      if (text(p.status) && !/ 200 /.test(text(p.status))) continue;
      Object.assign(prop, asNode(p.prop));
    }
    return { href: text(asArray(resp.href)[0]), prop };
  });
}

const firstHref = (v: unknown) => text(asArray(asNode(v).href)[0]);

export class AppleCalendar implements CalendarProvider {
  readonly type = "apple" as const;

  private auth(ctx: ProviderContext) {
    return ctx.accessToken.includes(":") ? `Basic ${btoa(ctx.accessToken)}` : `Bearer ${ctx.accessToken}`;
  }

  /** A WebDAV request, following same-origin redirects (/.well-known/caldav usually redirects). */
  private async dav(ctx: ProviderContext, method: string, url: string, depth: "0" | "1", body: string): Promise<DavResponse[]> {
    let target = url;
    for (let hop = 0; hop < 4; hop++) {
      const res = await providerFetch("apple", ctx, target, {
        method,
        redirect: "manual",
        headers: { authorization: this.auth(ctx), depth, "content-type": 'application/xml; charset="utf-8"', accept: "application/xml" },
        body,
      });
      if (res.status >= 300 && res.status < 400) {
        const loc = res.headers.get("location");
        if (!loc) break;
        target = sameOriginUrl("apple", ctx.baseUrl, new URL(loc, target).toString());
        continue;
      }
      return parseMultistatus(await res.text());
    }
    throw new ApiError(502, "calendar: CalDAV (Apple) redirected too often");
  }

  private async calendars(ctx: ProviderContext): Promise<string[]> {
    const wellKnown = joinUrl(ctx.baseUrl, "/.well-known/caldav");
    const [me] = await this.dav(ctx, "PROPFIND", wellKnown, "0", `<?xml version="1.0" encoding="utf-8"?><d:propfind ${DAV}><d:prop><d:current-user-principal/></d:prop></d:propfind>`);
    const principalHref = me ? firstHref(me.prop["current-user-principal"]) : "";
    if (!principalHref) throw new ApiError(502, "calendar: CalDAV (Apple) did not name the current user's principal");
    const principal = sameOriginUrl("apple", ctx.baseUrl, principalHref);

    const [p] = await this.dav(ctx, "PROPFIND", principal, "0", `<?xml version="1.0" encoding="utf-8"?><d:propfind ${DAV}><d:prop><c:calendar-home-set/></d:prop></d:propfind>`);
    const homeHref = p ? firstHref(p.prop["calendar-home-set"]) : "";
    if (!homeHref) throw new ApiError(502, "calendar: CalDAV (Apple) did not name a calendar home");
    const home = sameOriginUrl("apple", principal, homeHref);

    const entries = await this.dav(
      ctx,
      "PROPFIND",
      home,
      "1",
      `<?xml version="1.0" encoding="utf-8"?><d:propfind ${DAV}><d:prop><d:resourcetype/><d:displayname/><c:supported-calendar-component-set/></d:prop></d:propfind>`,
    );
    return entries
      .filter((e) => "calendar" in asNode(e.prop.resourcetype))
      .filter((e) => {
        const comps = asArray(asNode(e.prop["supported-calendar-component-set"]).comp).map((c) => String(asNode(c)["@name"] ?? "").toUpperCase());
        return comps.length === 0 || comps.includes("VEVENT");
      })
      .map((e) => sameOriginUrl("apple", home, e.href));
  }

  async listEvents(ctx: ProviderContext, window: SyncWindow): Promise<Listing> {
    const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const query =
      `<?xml version="1.0" encoding="utf-8"?><c:calendar-query ${DAV}><d:prop><d:getetag/><c:calendar-data/></d:prop>` +
      `<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">` +
      `<c:time-range start="${stamp(window.start)}" end="${stamp(window.end)}"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`;
    const events: CalendarEvent[] = [];
    let complete = true;
    for (const cal of await this.calendars(ctx)) {
      for (const r of await this.dav(ctx, "REPORT", cal, "1", query)) {
        const ics = text(r.prop["calendar-data"]);
        if (!ics) {
          complete = false; // a resource listed without its data
          continue;
        }
        const listed = icsListing(ics, window, ctx.timeZone);
        events.push(...listed.events);
        complete &&= listed.complete;
        if (events.length > MAX_EVENTS) return { events, complete: false };
      }
    }
    return { events, complete };
  }
}

// ---- iCalendar -> events ---------------------------------------------------------------

type ITime = InstanceType<typeof ICAL.Time>;
type IComponent = InstanceType<typeof ICAL.Component>;

/** The instant of an iCalendar time: UTC, an IANA TZID, the file's VTIMEZONE, or floating in the user's zone. */
function toInstant(t: ITime, tzid: string | null, zones: Map<string, InstanceType<typeof ICAL.Timezone>>, userZone: string): number {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const date = `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
  if (t.isDate) return dateStartIn(date, userZone);
  const local = `${date}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
  if (t.zone === ICAL.Timezone.utcTimezone || tzid === "UTC" || tzid === "Z") return Date.parse(`${local}Z`);
  if (tzid && isIanaZone(tzid)) return wallTimeIn(local, tzid);
  const vtz = tzid ? zones.get(tzid) : undefined;
  if (vtz) return Date.parse(`${local}Z`) - vtz.utcOffset(t) * 1000;
  return wallTimeIn(local, userZone);
}

const tzidOf = (c: IComponent, prop: string): string | null => {
  const p = c.getFirstProperty(prop);
  const v = p?.getParameter("tzid");
  if (typeof v === "string") return v;
  const t = p?.getFirstValue() as ITime | undefined;
  return t && t.zone === ICAL.Timezone.utcTimezone ? "UTC" : null;
};

/** Events of one calendar object resource (one UID: a master and its overrides). */
export function icsToEvents(ics: string, window: SyncWindow, userZone: string): CalendarEvent[] {
  return icsListing(ics, window, userZone).events;
}

/** `icsToEvents`, saying whether the resource was read whole (readable, no expansion cut at a cap). */
export function icsListing(ics: string, window: SyncWindow, userZone: string): Listing {
  let root: IComponent;
  try {
    root = new ICAL.Component(ICAL.parse(ics));
  } catch {
    return { events: [], complete: false }; // one unreadable resource does not fail the sync, but proves nothing gone
  }
  let complete = true;
  const zones = new Map<string, InstanceType<typeof ICAL.Timezone>>();
  for (const vtz of root.getAllSubcomponents("vtimezone")) {
    const tz = new ICAL.Timezone(vtz);
    if (tz.tzid) zones.set(tz.tzid, tz);
  }
  const vevents = root.getAllSubcomponents("vevent");
  const masters = vevents.filter((v) => !v.hasProperty("recurrence-id"));
  const overrides = vevents.filter((v) => v.hasProperty("recurrence-id"));
  const out: CalendarEvent[] = [];

  const busy = (v: IComponent) =>
    String(v.getFirstPropertyValue("status") ?? "").toUpperCase() !== "CANCELLED" &&
    String(v.getFirstPropertyValue("transp") ?? "").toUpperCase() !== "TRANSPARENT";

  for (const mv of masters) {
    const ev = new ICAL.Event(mv);
    for (const ov of overrides) if (ov.getFirstPropertyValue("uid") === ev.uid) ev.relateException(ov);
    if (!ev.startDate) continue;
    const startTz = tzidOf(mv, "dtstart");
    const endTz = tzidOf(mv, "dtend") ?? startTz;
    const allDay = ev.startDate.isDate;
    const start = toInstant(ev.startDate, startTz, zones, userZone);
    const end = ev.endDate ? toInstant(ev.endDate, endTz, zones, userZone) : start;
    const title = eventTitle(ev.summary);
    const uid = ev.uid || `${start}`;

    if (!ev.isRecurring()) {
      if (busy(mv) && end > start && end > window.start && start < window.end) {
        out.push({ externalId: uid, title, start, end, allDay, repeat: "none" });
      }
      continue;
    }

    const rrules = mv.getAllProperties("rrule");
    const simple = rrules.length === 1 && !mv.hasProperty("exdate") && !mv.hasProperty("rdate") && Object.keys(ev.exceptions ?? {}).length === 0 /* a map keyed by RECURRENCE-ID */;
    if (simple && busy(mv) && end > start) {
      const rule = String(rrules[0].getFirstValue());
      const repeat = mapRrule(rule, start, allDay ? userZone : startTz, userZone);
      if (repeat) {
        out.push({ externalId: uid, title, start, end, allDay, repeat });
        continue;
      }
    }

    // expand the occurrences that touch the window
    const it = ev.iterator();
    let produced = 0;
    let finished = false;
    for (let steps = 0; steps < 20_000 && produced < MAX_OCCURRENCES_PER_EVENT; steps++) {
      const next = it.next();
      if (!next) {
        finished = true;
        break;
      }
      const d = ev.getOccurrenceDetails(next);
      const item = d.item.component;
      const s = toInstant(d.startDate, tzidOf(item, "dtstart") ?? startTz, zones, userZone);
      const e = toInstant(d.endDate, tzidOf(item, "dtend") ?? tzidOf(item, "dtstart") ?? endTz, zones, userZone);
      const recurrenceId = toInstant(d.recurrenceId, startTz, zones, userZone);
      if (recurrenceId >= window.end && s >= window.end) {
        finished = true;
        break;
      }
      if (e <= window.start || s >= window.end || e <= s || !busy(item)) continue;
      out.push({
        externalId: `${uid}:${new Date(recurrenceId).toISOString()}`,
        title: eventTitle(d.item.summary ?? ev.summary),
        start: s,
        end: e,
        allDay,
        repeat: "none",
      });
      produced++;
    }
    if (!finished) complete = false; // expansion cut at a cap
  }
  return { events: out, complete };
}

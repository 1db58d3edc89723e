/**
 * Local fakes of the three calendar providers, serving responses in the
 * shapes the real APIs document (Google Calendar v3 events list and
 * instances, Microsoft Graph calendarView with @odata.nextLink, CalDAV
 * multistatus with calendar-data). Pure Request -> Response, so the same
 * fake drives the Workers-pool tests (as an injected fetch) and the
 * end-to-end test (behind a Node HTTP server on 127.0.0.1).
 *
 * The user's zone in these scenarios is America/New_York; the window is
 * 2026-01-05T00:00Z .. 2026-02-01T00:00Z.
 */
export const WINDOW = { startDate: "2026-01-05T00:00:00.000Z", endDate: "2026-02-01T00:00:00.000Z" };
export const USER_ZONE = "America/New_York";

export interface FakeOptions {
  /** 1 = first sync; 2 = the calendar after edits (All hands moved, Vacation deleted) */
  version?: 1 | 2;
  /** make every provider call fail like this */
  fail?: { status: number; headers?: Record<string, string>; body?: string };
  /** make Graph's nextLink point at another host */
  foreignNextLink?: boolean;
  /** answer a request this way instead (undefined: the normal answer) */
  override?: (req: RecordedRequest) => Response | undefined | Promise<Response | undefined>;
}

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status, headers: { "content-type": "application/json; charset=UTF-8" } });
const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// ---- Google Calendar v3 ------------------------------------------------------------

function googleEvent(id: string, summary: string, start: object, end: object, extra: object = {}) {
  return {
    kind: "calendar#event",
    etag: `"${3400000000000000 + id.length}"`,
    id,
    status: "confirmed",
    htmlLink: `https://www.google.com/calendar/event?eid=${id}`,
    created: "2025-12-01T10:00:00.000Z",
    updated: "2025-12-20T10:00:00.000Z",
    summary,
    creator: { email: "ada@example.com", self: true },
    organizer: { email: "ada@example.com", self: true },
    start,
    end,
    iCalUID: `${id}@google.com`,
    sequence: 0,
    reminders: { useDefault: true },
    eventType: "default",
    ...extra,
  };
}
const ny = (local: string) => ({ dateTime: `${local}-05:00`, timeZone: "America/New_York" });

function googleList(version: 1 | 2, pageToken: string | null) {
  const head = {
    kind: "calendar#events",
    etag: '"p33ofbh6ecqp8c0o"',
    summary: "ada@example.com",
    description: "",
    updated: "2026-01-04T18:22:31.119Z",
    timeZone: "America/New_York",
    accessRole: "owner",
    defaultReminders: [{ method: "popup", minutes: 10 }],
  };
  if (!pageToken) {
    return {
      ...head,
      nextPageToken: "CkkKOwo5Mjk0NzVfMjAyNjAxMDhUMTgwMDAwWhIaMGk0N3Y2anZmaXZxdHBiMGk5cA",
      items: [
        googleEvent("5tq0kqtdvfq0ch2b5a1nqv0f3e", "Team Standup", ny("2026-01-05T09:00:00"), ny("2026-01-05T09:30:00"), {
          recurrence: ["RRULE:FREQ=WEEKLY;BYDAY=MO"],
        }),
        version === 1
          ? googleEvent("0aa1allhands", "All hands", ny("2026-01-07T10:00:00"), ny("2026-01-07T11:00:00"))
          : googleEvent("0aa1allhands", "All hands", ny("2026-01-07T14:00:00"), ny("2026-01-07T15:00:00")),
        googleEvent("focus01", "Focus time", ny("2026-01-08T13:00:00"), ny("2026-01-08T15:00:00"), { transparency: "transparent" }),
      ],
    };
  }
  return {
    ...head,
    items: [
      googleEvent("offsite01", "Offsite", { date: "2026-01-09" }, { date: "2026-01-10" }),
      googleEvent("review01", "Design review", ny("2026-01-08T15:00:00"), ny("2026-01-08T16:00:00"), {
        recurrence: ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"],
      }),
      googleEvent("sync01", "Daily sync", ny("2026-01-05T08:00:00"), ny("2026-01-05T08:15:00"), {
        recurrence: ["RRULE:FREQ=DAILY;UNTIL=20260109T130000Z"],
      }),
      {
        kind: "calendar#event",
        etag: '"3400000000000099"',
        id: "sync01_20260107T130000Z",
        status: "cancelled",
        recurringEventId: "sync01",
        originalStartTime: ny("2026-01-07T08:00:00"),
      },
      { kind: "calendar#event", etag: '"3400000000000098"', id: "gone01", status: "cancelled" },
      ...(version === 1
        ? [
            googleEvent("ooo01", "Vacation", ny("2026-01-26T00:00:00"), ny("2026-01-31T00:00:00"), {
              eventType: "outOfOffice",
              transparency: "opaque",
              outOfOfficeProperties: { autoDeclineMode: "declineAllConflictingInvitations" },
            }),
          ]
        : []),
    ],
  };
}

function googleInstances(eventId: string) {
  const inst = (id: string, summary: string, s: string, e: string, originalStart: string) =>
    googleEvent(id, summary, ny(s), ny(e), { recurringEventId: eventId, originalStartTime: ny(originalStart) });
  const items =
    eventId === "review01"
      ? [
          inst("review01_20260108T200000Z", "Design review", "2026-01-08T15:00:00", "2026-01-08T16:00:00", "2026-01-08T15:00:00"),
          inst("review01_20260122T200000Z", "Design review", "2026-01-22T15:00:00", "2026-01-22T16:00:00", "2026-01-22T15:00:00"),
        ]
      : eventId === "sync01"
        ? ["05", "06", "08", "09"].map((d) =>
            inst(`sync01_202601${d}T130000Z`, "Daily sync", `2026-01-${d}T08:00:00`, `2026-01-${d}T08:15:00`, `2026-01-${d}T08:00:00`),
          )
        : [];
  return { kind: "calendar#events", etag: '"p33ofbh6ecqp8c0p"', summary: "ada@example.com", timeZone: "America/New_York", accessRole: "owner", items };
}

// ---- Microsoft Graph calendarView --------------------------------------------------------

function graphEvent(id: string, subject: string, start: string, end: string, extra: object = {}) {
  return {
    "@odata.etag": `W/"ZlnW4RIAV06KYYwlrfNZvQAAKGWwbw${id.length}=="`,
    id,
    createdDateTime: "2025-12-01T10:00:00.0000000Z",
    lastModifiedDateTime: "2025-12-20T10:00:00.0000000Z",
    subject,
    bodyPreview: "",
    importance: "normal",
    sensitivity: "normal",
    isAllDay: false,
    isCancelled: false,
    isOrganizer: true,
    showAs: "busy",
    type: "singleInstance",
    seriesMasterId: null,
    start: { dateTime: `${start}.0000000`, timeZone: "UTC" },
    end: { dateTime: `${end}.0000000`, timeZone: "UTC" },
    location: { displayName: "" },
    organizer: { emailAddress: { name: "Ada Lovelace", address: "ada@contoso.com" } },
    ...extra,
  };
}

function graphPage(base: string, skip: number, foreign: boolean) {
  const context = "https://graph.microsoft.com/v1.0/$metadata#users('ada%40contoso.com')/calendarView";
  if (skip === 0) {
    const next = `${foreign ? "https://elsewhere.example" : base}/v1.0/me/calendarView?startDateTime=2026-01-05T00%3A00%3A00.000Z&endDateTime=2026-02-01T00%3A00%3A00.000Z&%24top=3&%24skip=3`;
    return {
      "@odata.context": context,
      value: [
        graphEvent("AAMkAGI2TGuLAAA=", "Weekly 1:1", "2026-01-06T15:00:00", "2026-01-06T15:30:00", { type: "occurrence", seriesMasterId: "AAMkAGI2TAAA=" }),
        graphEvent("AAMkAGI2TGuMAAA=", "Weekly 1:1", "2026-01-13T15:00:00", "2026-01-13T15:30:00", { type: "occurrence", seriesMasterId: "AAMkAGI2TAAA=" }),
        graphEvent("AAMkAGI2TGuNAAA=", "Lunch", "2026-01-07T17:00:00", "2026-01-07T18:00:00", { showAs: "free" }),
      ],
      "@odata.nextLink": next,
    };
  }
  return {
    "@odata.context": context,
    value: [
      graphEvent("AAMkAGI2TGuOAAA=", "Customer visit", "2026-01-12T00:00:00", "2026-01-13T00:00:00", { isAllDay: true, showAs: "oof" }),
      graphEvent("AAMkAGI2TGuPAAA=", "Cancelled sync", "2026-01-14T14:00:00", "2026-01-14T15:00:00", { isCancelled: true }),
      graphEvent("AAMkAGI2TGuQAAA=", "Planning", "2026-01-14T19:00:00", "2026-01-14T20:30:00", { showAs: "tentative" }),
    ],
  };
}

// ---- CalDAV (iCloud) -------------------------------------------------------------------------

const NY_VTIMEZONE = `BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
DTSTART:20070311T020000
TZNAME:EDT
TZOFFSETTO:-0400
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
DTSTART:20071104T020000
TZNAME:EST
TZOFFSETTO:-0500
END:STANDARD
END:VTIMEZONE`;

export const BERLIN_VTIMEZONE = (tzid: string) => `BEGIN:VTIMEZONE
TZID:${tzid}
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
DTSTART:19810329T020000
TZNAME:CEST
TZOFFSETTO:+0200
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
DTSTART:19961027T030000
TZNAME:CET
TZOFFSETTO:+0100
END:STANDARD
END:VTIMEZONE`;

const ics = (...parts: string[]) =>
  ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Apple Inc.//macOS 15.2//EN", "CALSCALE:GREGORIAN", ...parts, "END:VCALENDAR", ""].join("\r\n");

export const APPLE_RESOURCES: Record<string, string> = {
  "7B6C1B7F-2C1E-4F6B-9D55-2B1B8E0B3A11.ics": ics(
    NY_VTIMEZONE,
    `BEGIN:VEVENT
CREATED:20251201T100000Z
DTEND;TZID=America/New_York:20260106T110000
DTSTAMP:20251201T100000Z
DTSTART;TZID=America/New_York:20260106T100000
LAST-MODIFIED:20251201T100000Z
RRULE:FREQ=WEEKLY;BYDAY=TU
SEQUENCE:0
SUMMARY:Therapy
UID:7B6C1B7F-2C1E-4F6B-9D55-2B1B8E0B3A11
END:VEVENT`,
  ),
  "berlin-sync-1.ics": ics(
    BERLIN_VTIMEZONE("Europe/Berlin"),
    `BEGIN:VEVENT
DTSTAMP:20251201T100000Z
DTSTART;TZID=Europe/Berlin:20260112T090000
DTEND;TZID=Europe/Berlin:20260112T093000
RRULE:FREQ=DAILY;COUNT=5
EXDATE;TZID=Europe/Berlin:20260113T090000
SUMMARY:Berlin sync
UID:berlin-sync-1
END:VEVENT`,
    `BEGIN:VEVENT
DTSTAMP:20251201T100000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260114T090000
DTSTART;TZID=Europe/Berlin:20260114T110000
DTEND;TZID=Europe/Berlin:20260114T113000
SUMMARY:Berlin sync (moved)
UID:berlin-sync-1
END:VEVENT`,
  ),
  "conference.ics": ics(`BEGIN:VEVENT
DTSTAMP:20251201T100000Z
DTSTART;VALUE=DATE:20260120
DTEND;VALUE=DATE:20260121
SUMMARY:Conference
UID:conference-2026
END:VEVENT`),
  "free.ics": ics(`BEGIN:VEVENT
DTSTAMP:20251201T100000Z
DTSTART:20260121T150000Z
DTEND:20260121T160000Z
SUMMARY:Gym (free)
TRANSP:TRANSPARENT
UID:free-1
END:VEVENT`),
};

const multistatus = (responses: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<multistatus xmlns="DAV:">${responses.join("")}</multistatus>`;
const propOk = (href: string, props: string) =>
  `<response><href>${href}</href><propstat><prop>${props}</prop><status>HTTP/1.1 200 OK</status></propstat></response>`;

function caldav(req: RecordedRequest): Response {
  const path = req.url.pathname;
  const xmlRes = (body: string) => new Response(body, { status: 207, headers: { "content-type": "text/xml; charset=utf-8" } });
  if (req.method === "PROPFIND" && path === "/.well-known/caldav") {
    return new Response(null, { status: 301, headers: { location: "/" } });
  }
  if (req.method === "PROPFIND" && path === "/") {
    return xmlRes(multistatus([propOk("/", "<current-user-principal><href>/123456789/principal/</href></current-user-principal>")]));
  }
  if (req.method === "PROPFIND" && path === "/123456789/principal/") {
    return xmlRes(
      multistatus([
        propOk(
          "/123456789/principal/",
          `<calendar-home-set xmlns="urn:ietf:params:xml:ns:caldav"><href xmlns="DAV:">/123456789/calendars/</href></calendar-home-set>`,
        ),
      ]),
    );
  }
  if (req.method === "PROPFIND" && path === "/123456789/calendars/") {
    const cal = (href: string, name: string, comps: string[]) =>
      propOk(
        href,
        `<resourcetype><collection/><calendar xmlns="urn:ietf:params:xml:ns:caldav"/></resourcetype><displayname>${name}</displayname>` +
          `<supported-calendar-component-set xmlns="urn:ietf:params:xml:ns:caldav">${comps.map((c) => `<comp name="${c}"/>`).join("")}</supported-calendar-component-set>`,
      );
    return xmlRes(
      multistatus([
        propOk("/123456789/calendars/", "<resourcetype><collection/></resourcetype>"),
        cal("/123456789/calendars/home/", "Home", ["VEVENT"]),
        cal("/123456789/calendars/tasks/", "Reminders", ["VTODO"]),
        propOk("/123456789/calendars/inbox/", `<resourcetype><collection/><schedule-inbox xmlns="urn:ietf:params:xml:ns:caldav"/></resourcetype>`),
      ]),
    );
  }
  if (req.method === "REPORT" && path === "/123456789/calendars/home/") {
    return xmlRes(
      multistatus(
        Object.entries(APPLE_RESOURCES).map(([name, data]) =>
          propOk(
            `/123456789/calendars/home/${name}`,
            `<getetag>"${name.length}-etag"</getetag><calendar-data xmlns="urn:ietf:params:xml:ns:caldav">${xmlEscape(data)}</calendar-data>`,
          ),
        ),
      ),
    );
  }
  return new Response("Not Found", { status: 404 });
}

// ---- the fake ----------------------------------------------------------------------------------

export function createCalendarFake(base: string, opts: FakeOptions = {}) {
  const requests: RecordedRequest[] = [];
  const version = opts.version ?? 1;
  async function handle(input: Request): Promise<Response> {
    const url = new URL(input.url);
    const rec: RecordedRequest = { method: input.method, url, headers: input.headers, body: input.body ? await input.text() : "" };
    requests.push(rec);
    if (opts.fail) return new Response(opts.fail.body ?? "", { status: opts.fail.status, headers: opts.fail.headers });
    const overridden = await opts.override?.(rec);
    if (overridden) return overridden;
    const path = url.pathname;
    if (path === "/calendar/v3/calendars/primary/events") return json(googleList(version, url.searchParams.get("pageToken")));
    const inst = /^\/calendar\/v3\/calendars\/primary\/events\/([^/]+)\/instances$/.exec(path);
    if (inst) return json(googleInstances(decodeURIComponent(inst[1])));
    if (path === "/v1.0/me/calendarView") return json(graphPage(base, Number(url.searchParams.get("$skip") ?? 0), !!opts.foreignNextLink));
    return caldav(rec);
  }
  /** a `fetch` that answers from this fake */
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => handle(new Request(input, init))) as typeof fetch;
  return { handle, fetch: fetchFn, requests };
}

/** Expected results of the scenarios, as [externalId, status, customStatus, startISO, endISO, repeat]. */
export const EXPECTED = {
  google: [
    ["5tq0kqtdvfq0ch2b5a1nqv0f3e", "meeting", "Team Standup", "2026-01-05T14:00:00.000Z", "2026-01-05T14:30:00.000Z", "weekly"],
    ["sync01_20260105T130000Z", "meeting", "Daily sync", "2026-01-05T13:00:00.000Z", "2026-01-05T13:15:00.000Z", "none"],
    ["sync01_20260106T130000Z", "meeting", "Daily sync", "2026-01-06T13:00:00.000Z", "2026-01-06T13:15:00.000Z", "none"],
    ["0aa1allhands", "meeting", "All hands", "2026-01-07T15:00:00.000Z", "2026-01-07T16:00:00.000Z", "none"],
    ["sync01_20260108T130000Z", "meeting", "Daily sync", "2026-01-08T13:00:00.000Z", "2026-01-08T13:15:00.000Z", "none"],
    ["review01_20260108T200000Z", "meeting", "Design review", "2026-01-08T20:00:00.000Z", "2026-01-08T21:00:00.000Z", "none"],
    ["sync01_20260109T130000Z", "meeting", "Daily sync", "2026-01-09T13:00:00.000Z", "2026-01-09T13:15:00.000Z", "none"],
    ["offsite01", "busy", "Offsite", "2026-01-09T05:00:00.000Z", "2026-01-10T05:00:00.000Z", "none"],
    ["review01_20260122T200000Z", "meeting", "Design review", "2026-01-22T20:00:00.000Z", "2026-01-22T21:00:00.000Z", "none"],
    ["ooo01", "away", "Vacation", "2026-01-26T05:00:00.000Z", "2026-01-31T05:00:00.000Z", "none"],
  ],
  outlook: [
    ["AAMkAGI2TGuLAAA=", "meeting", "Weekly 1:1", "2026-01-06T15:00:00.000Z", "2026-01-06T15:30:00.000Z", "none"],
    ["AAMkAGI2TGuOAAA=", "away", "Customer visit", "2026-01-12T05:00:00.000Z", "2026-01-13T05:00:00.000Z", "none"],
    ["AAMkAGI2TGuMAAA=", "meeting", "Weekly 1:1", "2026-01-13T15:00:00.000Z", "2026-01-13T15:30:00.000Z", "none"],
    ["AAMkAGI2TGuQAAA=", "meeting", "Planning", "2026-01-14T19:00:00.000Z", "2026-01-14T20:30:00.000Z", "none"],
  ],
  apple: [
    ["7B6C1B7F-2C1E-4F6B-9D55-2B1B8E0B3A11", "meeting", "Therapy", "2026-01-06T15:00:00.000Z", "2026-01-06T16:00:00.000Z", "weekly"],
    ["berlin-sync-1:2026-01-12T08:00:00.000Z", "meeting", "Berlin sync", "2026-01-12T08:00:00.000Z", "2026-01-12T08:30:00.000Z", "none"],
    ["berlin-sync-1:2026-01-14T08:00:00.000Z", "meeting", "Berlin sync (moved)", "2026-01-14T10:00:00.000Z", "2026-01-14T10:30:00.000Z", "none"],
    ["berlin-sync-1:2026-01-15T08:00:00.000Z", "meeting", "Berlin sync", "2026-01-15T08:00:00.000Z", "2026-01-15T08:30:00.000Z", "none"],
    ["berlin-sync-1:2026-01-16T08:00:00.000Z", "meeting", "Berlin sync", "2026-01-16T08:00:00.000Z", "2026-01-16T08:30:00.000Z", "none"],
    ["conference-2026", "busy", "Conference", "2026-01-20T05:00:00.000Z", "2026-01-21T05:00:00.000Z", "none"],
  ],
} as const;

import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createDb } from "../../src/db/client";
import { calendarLinks, statusSchedules, users } from "../../src/db/schema";
import { icsToEvents } from "../../src/domain/calendar/apple";
import { type CalendarType, mapRrule } from "../../src/domain/calendar/provider";
import { syncCalendar } from "../../src/domain/calendar/sync";
import { ApiError } from "../../src/lib/errors";
import { BERLIN_VTIMEZONE, createCalendarFake, EXPECTED, type FakeOptions, USER_ZONE, WINDOW } from "./calendar.fakes";
import { api, makeUser, type TestUser } from "./helpers";

const db = createDb(env.DB);
const BASE = "https://calendar-fake.test";

async function userRow(u: TestUser) {
  return (await db.select().from(users).where(eq(users.id, u._id)).get())!;
}
const stored = (u: TestUser, source: string) =>
  db.select().from(statusSchedules).where(and(eq(statusSchedules.userId, u._id), eq(statusSchedules.source, source))).all();

async function sync(u: TestUser, calendarType: CalendarType, fakeOpts: FakeOptions = {}, accessToken = "ya29.a0AfH6SMBx-test") {
  const fake = createCalendarFake(BASE, fakeOpts);
  const result = await syncCalendar(
    env,
    db,
    await userRow(u),
    { calendarType, accessToken, startDate: new Date(WINDOW.startDate), endDate: new Date(WINDOW.endDate) },
    { fetch: fake.fetch, baseUrl: BASE },
  );
  return { result, fake };
}

const shape = (rows: { externalId: string | null; status: string; customStatus: string; startTime: Date; endTime: Date; repeat: string }[]) =>
  rows
    .map((r) => [r.externalId, r.status, r.customStatus, r.startTime.toISOString(), r.endTime.toISOString(), r.repeat])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
const expected = (type: CalendarType) => [...EXPECTED[type]].map((x) => [...x]).sort((a, b) => a[0].localeCompare(b[0]));

async function expectApiError(p: Promise<unknown>, status: number, ...parts: string[]) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  const e = err as ApiError;
  expect(e.status).toBe(status);
  for (const part of parts) expect(e.message).toContain(part);
  return e;
}

describe("Google Calendar", () => {
  it("maps events to schedules: series kept as repeat when the rule maps, expanded otherwise; pages followed", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    const { result, fake } = await sync(u, "google");
    expect(shape(result.schedules)).toEqual(expected("google"));
    expect(shape(await stored(u, "google"))).toEqual(expected("google"));

    const [first, second] = fake.requests;
    expect(first.url.pathname).toBe("/calendar/v3/calendars/primary/events");
    expect(first.headers.get("authorization")).toBe("Bearer ya29.a0AfH6SMBx-test");
    expect(Object.fromEntries(first.url.searchParams)).toMatchObject({
      timeMin: WINDOW.startDate,
      timeMax: WINDOW.endDate,
      singleEvents: "false",
    });
    expect(second.url.searchParams.get("pageToken")).toMatch(/^CkkK/);
    // only the series that do not map were expanded through events.instances
    const expandedIds = fake.requests.filter((r) => r.url.pathname.endsWith("/instances")).map((r) => r.url.pathname.split("/")[6]);
    expect(expandedIds.sort()).toEqual(["review01", "sync01"]);
  });

  it("re-syncing updates in place: same ids, moved event updated, deleted event deactivated, nothing duplicated", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    const one = (await sync(u, "google")).result.schedules;
    const again = (await sync(u, "google")).result.schedules;
    expect(again.map((s) => s.id).sort()).toEqual(one.map((s) => s.id).sort());
    expect(await stored(u, "google")).toHaveLength(10);

    const { result } = await sync(u, "google", { version: 2 });
    expect(result.deactivated).toBe(1);
    const rows = await stored(u, "google");
    expect(rows).toHaveLength(10);
    const byExt = new Map(rows.map((r) => [r.externalId, r]));
    const allHands = byExt.get("0aa1allhands")!;
    expect(allHands.id).toBe(one.find((s) => s.externalId === "0aa1allhands")!.id);
    expect(allHands.startTime.toISOString()).toBe("2026-01-07T19:00:00.000Z");
    expect(byExt.get("ooo01")!.active).toBe(false);
    expect(rows.filter((r) => r.active)).toHaveLength(9);
    const link = await db.select().from(calendarLinks).where(and(eq(calendarLinks.userId, u._id), eq(calendarLinks.provider, "google"))).get();
    expect(link).toMatchObject({ eventCount: 9 });
  });

  it("maps provider failures: 401 -> 400 naming accessToken, 429 -> 429 with Retry-After, 5xx/network -> 502; nothing stored", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    const unauthorized = {
      status: 401,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" } }),
    };
    await expectApiError(sync(u, "google", { fail: unauthorized }), 400, "accessToken", "Google Calendar", "invalid authentication credentials");
    const limited = await expectApiError(
      sync(u, "google", { fail: { status: 429, headers: { "retry-after": "30" }, body: '{"error":{"code":429,"message":"Rate Limit Exceeded"}}' } }),
      429,
      "rate limiting",
    );
    expect(limited.headers).toEqual({ "Retry-After": "30" });
    await expectApiError(sync(u, "google", { fail: { status: 503, body: "Service Unavailable" } }), 502, "Google Calendar");
    const offline = syncCalendar(
      env,
      db,
      await userRow(u),
      { calendarType: "google", accessToken: "t", startDate: new Date(WINDOW.startDate), endDate: new Date(WINDOW.endDate) },
      { fetch: (async () => Promise.reject(new TypeError("Network connection lost."))) as typeof fetch, baseUrl: BASE },
    );
    await expectApiError(offline, 502, "could not reach Google Calendar");
    await expectApiError(sync(u, "google", { fail: { status: 200, body: "<html>captive portal</html>" } }), 502, "not JSON");
    expect(await stored(u, "google")).toEqual([]);
  });
});

describe("Microsoft Graph (outlook)", () => {
  it("reads the expanded calendarView across @odata.nextLink pages, in UTC", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    const { result, fake } = await sync(u, "outlook");
    expect(shape(result.schedules)).toEqual(expected("outlook"));
    expect(fake.requests).toHaveLength(2);
    const [first, second] = fake.requests;
    expect(first.url.pathname).toBe("/v1.0/me/calendarView");
    expect(first.url.searchParams.get("startDateTime")).toBe(WINDOW.startDate);
    expect(first.url.searchParams.get("endDateTime")).toBe(WINDOW.endDate);
    expect(first.headers.get("prefer")).toBe('outlook.timezone="UTC"');
    expect(first.headers.get("authorization")).toBe("Bearer ya29.a0AfH6SMBx-test");
    expect(second.url.searchParams.get("$skip")).toBe("3");
  });

  it("re-sync is idempotent; errors map like the other providers", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    const a = (await sync(u, "outlook")).result.schedules.map((s) => s.id).sort();
    const b = (await sync(u, "outlook")).result.schedules.map((s) => s.id).sort();
    expect(b).toEqual(a);
    expect(await stored(u, "outlook")).toHaveLength(4);
    await expectApiError(
      sync(u, "outlook", { fail: { status: 403, body: '{"error":{"code":"ErrorAccessDenied","message":"Access is denied. Check credentials and try again."}}' } }),
      400,
      "accessToken",
      "Access is denied",
    );
    const limited = await expectApiError(sync(u, "outlook", { fail: { status: 429, headers: { "Retry-After": "12" } } }), 429);
    expect(limited.headers).toEqual({ "Retry-After": "12" });
    await expectApiError(sync(u, "outlook", { fail: { status: 500 } }), 502);
    await expectApiError(sync(u, "outlook", { foreignNextLink: true }), 502, "outside");
  });
});

describe("CalDAV (apple)", () => {
  it("discovers the calendar, reads VEVENTs with ical.js: maps the weekly series, expands the Berlin one with EXDATE and an override", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    const { result, fake } = await sync(u, "apple", {}, "ada@icloud.com:abcd-efgh-ijkl-mnop");
    expect(shape(result.schedules)).toEqual(expected("apple"));
    const calls = fake.requests.map((r) => `${r.method} ${r.url.pathname}`);
    expect(calls).toEqual([
      "PROPFIND /.well-known/caldav",
      "PROPFIND /",
      "PROPFIND /123456789/principal/",
      "PROPFIND /123456789/calendars/",
      "REPORT /123456789/calendars/home/",
    ]);
    expect(fake.requests[0].headers.get("authorization")).toBe(`Basic ${btoa("ada@icloud.com:abcd-efgh-ijkl-mnop")}`);
    expect(fake.requests[3].headers.get("depth")).toBe("1");
    const report = fake.requests[4].body;
    expect(report).toContain("calendar-query");
    expect(report).toContain('<c:time-range start="20260105T000000Z" end="20260201T000000Z"/>');
  });

  it("re-sync is idempotent and a rejected password is a 400 naming accessToken", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    const a = (await sync(u, "apple", {}, "bearer-token")).result.schedules.map((s) => s.id).sort();
    const b = (await sync(u, "apple", {}, "bearer-token")).result.schedules.map((s) => s.id).sort();
    expect(b).toEqual(a);
    expect(await stored(u, "apple")).toHaveLength(6);
    await expectApiError(sync(u, "apple", { fail: { status: 401, body: "Unauthorized" } }), 400, "accessToken", "CalDAV");
  });

  it("expands across a DST change, with an IANA TZID or only the file's VTIMEZONE", () => {
    const event = (tzid: string) =>
      [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        BERLIN_VTIMEZONE(tzid),
        "BEGIN:VEVENT",
        "UID:dst-1",
        "DTSTAMP:20260101T000000Z",
        `DTSTART;TZID=${tzid}:20260327T090000`,
        `DTEND;TZID=${tzid}:20260327T100000`,
        "RRULE:FREQ=DAILY;COUNT=4",
        "SUMMARY:Early call",
        "END:VEVENT",
        "END:VCALENDAR",
      ].join("\r\n");
    const window = { start: Date.parse("2026-03-01T00:00:00Z"), end: Date.parse("2026-04-30T00:00:00Z") };
    for (const tzid of ["Europe/Berlin", "W. Europe Standard Time"]) {
      const got = icsToEvents(event(tzid), window, "UTC").map((e) => [new Date(e.start).toISOString(), new Date(e.end).toISOString()]);
      expect(got, tzid).toEqual([
        ["2026-03-27T08:00:00.000Z", "2026-03-27T09:00:00.000Z"],
        ["2026-03-28T08:00:00.000Z", "2026-03-28T09:00:00.000Z"],
        ["2026-03-29T07:00:00.000Z", "2026-03-29T08:00:00.000Z"], // CEST from 29 March
        ["2026-03-30T07:00:00.000Z", "2026-03-30T08:00:00.000Z"],
      ]);
    }
  });
});

describe("RRULE -> repeat", () => {
  const mon9 = Date.parse("2026-01-05T14:00:00Z"); // Monday 09:00 New York
  const ny = "America/New_York";
  it.each([
    ["RRULE:FREQ=DAILY", "daily"],
    ["RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "weekdays"],
    ["RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "weekdays"],
    ["RRULE:FREQ=WEEKLY;BYDAY=MO", "weekly"],
    ["RRULE:FREQ=WEEKLY", "weekly"],
    ["RRULE:FREQ=MONTHLY;BYMONTHDAY=5", "monthly"],
    ["RRULE:FREQ=WEEKLY;BYDAY=TU", null],
    ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", null],
    ["RRULE:FREQ=DAILY;COUNT=10", null],
    ["RRULE:FREQ=DAILY;UNTIL=20260301T000000Z", null],
    ["RRULE:FREQ=MONTHLY;BYDAY=1MO", null],
    ["RRULE:FREQ=YEARLY", null],
  ])("%s -> %s", (rule, repeat) => {
    expect(mapRrule(rule, mon9, ny, ny)).toBe(repeat);
  });
  it("a series in another zone than the user's is expanded, not mapped", () => {
    expect(mapRrule("RRULE:FREQ=DAILY", mon9, "Europe/Berlin", ny)).toBeNull();
  });
});

describe("POST /api/bulk/sync/calendar", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("validates the body: 400 naming calendarType, accessToken, dates and the window", async () => {
    const u = await makeUser();
    const ok = { calendarType: "google", accessToken: "tok", ...WINDOW };
    const cases: [unknown, string][] = [
      [{ ...ok, calendarType: "yahoo" }, "calendarType"],
      [{ ...ok, accessToken: "" }, "accessToken"],
      [{ ...ok, startDate: "yesterday" }, "startDate"],
      [{ ...ok, endDate: "2025-12-01T00:00:00.000Z" }, "endDate"],
      [{ ...ok, endDate: "2027-06-01T00:00:00.000Z" }, "endDate"],
    ];
    for (const [body, field] of cases) {
      const res = await api("POST", "/api/bulk/sync/calendar", { token: u.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message).toContain(field);
    }
    expect((await api("POST", "/api/bulk/sync/calendar", { body: ok })).status).toBe(401);
  });

  it("answers 201 {success, count, data} with documented schedule objects, and passes a provider 429 on with Retry-After", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    // the Worker reaches the provider with the global fetch: answer it from the fake (nothing leaves the machine)
    const fake = createCalendarFake("https://www.googleapis.com");
    vi.stubGlobal("fetch", fake.fetch);
    const res = await api("POST", "/api/bulk/sync/calendar", { token: u.token, body: { calendarType: "google", accessToken: "tok", ...WINDOW } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ success: true, count: 10 });
    expect(res.body.data[0]).toMatchObject({ user: u._id, userId: u.userId, active: true });
    const standup = res.body.data.find((s: any) => s.customStatus === "Team Standup");
    expect(standup).toMatchObject({ status: "meeting", startTime: "2026-01-05T14:00:00.000Z", endTime: "2026-01-05T14:30:00.000Z", repeat: "weekly" });
    expect(fake.requests[0].url.origin).toBe("https://www.googleapis.com");

    vi.stubGlobal("fetch", createCalendarFake("https://graph.microsoft.com", { fail: { status: 429, headers: { "Retry-After": "7" } } }).fetch);
    const limited = await api("POST", "/api/bulk/sync/calendar", { token: u.token, body: { calendarType: "outlook", accessToken: "tok", ...WINDOW } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(limited.body).toMatchObject({ success: false, statusCode: 429 });
  });
});

describe("a provider's bad answer loses nothing", () => {
  const active = async (u: TestUser, source: string) => (await stored(u, source)).filter((r) => r.active).length;
  /** The fake's normal JSON answer to `req`, edited by `edit`. */
  const edited = async (req: { url: URL; method: string }, edit: (body: any) => unknown) => {
    const normal = await createCalendarFake(BASE).handle(new Request(req.url, { method: req.method }));
    return new Response(JSON.stringify(edit(await normal.json())), { status: 200, headers: { "content-type": "application/json" } });
  };

  it("CalDAV: a 207 with truncated XML is a 502 and no schedule is deactivated", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    await sync(u, "apple", {}, "bearer-token");
    expect(await active(u, "apple")).toBe(6);
    const truncated = (req: { method: string }) =>
      req.method === "REPORT"
        ? new Response('<multistatus xmlns="DAV:"><response><href>', { status: 207, headers: { "content-type": "text/xml" } })
        : undefined;
    await expectApiError(sync(u, "apple", { override: truncated }, "bearer-token"), 502, "CalDAV", "well-formed");
    expect(await active(u, "apple")).toBe(6);
  });

  it("Graph: a page whose events all fail the schema is a 502, not an empty calendar", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    await sync(u, "outlook");
    expect(await active(u, "outlook")).toBe(4);
    const garbled = (req: { url: URL; method: string }) =>
      req.url.searchParams.get("$skip") === "3" ? edited(req, (b) => ({ ...b, value: b.value.map((e: any) => ({ ...e, start: "soon" })) })) : undefined;
    await expectApiError(sync(u, "outlook", { override: garbled }), 502, "Microsoft Graph", "none of which could be read");
    expect(await active(u, "outlook")).toBe(4);
  });

  it("Google: one unreadable item keeps the rest but deactivates nothing (the listing is incomplete)", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    await sync(u, "google");
    expect(await active(u, "google")).toBe(10);
    // the second page: its first event unreadable, the others gone
    const partial = (req: { url: URL; method: string }) =>
      req.url.pathname === "/calendar/v3/calendars/primary/events" && req.url.searchParams.get("pageToken")
        ? edited(req, (b) => ({ ...b, items: [{ ...b.items[0], id: 42 }, b.items[1]] }))
        : undefined;
    const { result } = await sync(u, "google", { override: partial });
    expect(result).toMatchObject({ deactivated: 0, complete: false });
    expect(await active(u, "google")).toBe(10);
    // a complete listing still deactivates what is gone
    expect((await sync(u, "google", { version: 2 })).result).toMatchObject({ deactivated: 1, complete: true });
  });

  it("a provider's 503 with Retry-After passes the delay on", async () => {
    const u = await makeUser({ timezone: USER_ZONE });
    const down = await expectApiError(
      sync(u, "google", { fail: { status: 503, headers: { "retry-after": "120" }, body: "Service Unavailable" } }),
      503,
      "Google Calendar",
      "retry after 120",
    );
    expect(down.headers).toEqual({ "Retry-After": "120" });
    vi.stubGlobal("fetch", createCalendarFake("https://graph.microsoft.com", { fail: { status: 503, headers: { "Retry-After": "45" } } }).fetch);
    const res = await api("POST", "/api/bulk/sync/calendar", { token: u.token, body: { calendarType: "outlook", accessToken: "tok", ...WINDOW } });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("45");
    expect(res.body).toMatchObject({ success: false, statusCode: 503, error: "Service Unavailable" });
  });
});

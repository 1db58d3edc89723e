/**
 * 000 "Status Management", "Status History" (with analytics) and "Status
 * Templates" against `wrangler dev`, sent as the document shows them.
 * CONTRACT.md additions checked: both id forms, owner-only history,
 * analytics and templates (403), status privacy (blocked / statusVisibility
 * -> 403 `Access denied`), pagination `{page, limit, total, pages}`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { http } from "./client";
import { expectError, ISO, OBJECT_ID, raw, registerAs } from "./seed-000-helpers";

type U = Awaited<ReturnType<typeof registerAs>>;

const STATUSES = [
  "available", "busy", "away", "dnd", "at_work", "at_home", "at_school", "at_college", "at_hospital",
  "meeting", "driving", "commuting", "working_out", "eating", "sleeping", "studying", "custom",
];

const putStatus = (u: U, body: unknown) => http("PUT", "/api/status-management", { token: u.token, body });

describe("Status Management APIs", () => {
  let owner: U;
  let viewer: U;
  beforeAll(async () => {
    owner = await registerAs("Status Owner");
    viewer = await registerAs("Status Viewer");
  });

  it("GET /api/status-management: a new user is available", async () => {
    const res = await http("GET", "/api/status-management", { token: viewer.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      data: expect.objectContaining({ userId: viewer.userId, status: "available", customStatus: "", statusUntil: null }),
    });
  });

  it("PUT with the documented body sets busy for 60 minutes; GET and GET /:userId (either form) read it back", async () => {
    const before = Date.now();
    const res = await putStatus(owner, { status: "busy", customStatus: "In a meeting", duration: 60 });
    const after = Date.now();
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toMatchObject({ userId: owner.userId, status: "busy", customStatus: "In a meeting" });
    expect(res.body.data.statusUntil).toMatch(ISO);
    const until = Date.parse(res.body.data.statusUntil);
    // duration is in minutes: statusUntil = the moment of the request + 60 min
    expect(until).toBeGreaterThanOrEqual(before + 60 * 60_000 - 1000);
    expect(until).toBeLessThanOrEqual(after + 60 * 60_000 + 1000);

    const own = await http("GET", "/api/status-management", { token: owner.token });
    expect(own.body.data).toMatchObject({ userId: owner.userId, status: "busy", customStatus: "In a meeting", statusUntil: res.body.data.statusUntil });
    for (const ref of [owner.userId, owner._id]) {
      const other = await http("GET", `/api/status-management/${ref}`, { token: viewer.token });
      expect(other.status).toBe(200);
      expect(other.body).toEqual({ success: true, data: own.body.data });
    }
  });

  it("accepts each of the 17 documented values; without duration there is no statusUntil", async () => {
    const u = await registerAs("All Statuses");
    for (const status of STATUSES) {
      const body = status === "custom" ? { status, customStatus: "Out for a walk" } : { status };
      const res = await putStatus(u, body);
      expect(res.status, status).toBe(200);
      expect(res.body.data, status).toMatchObject({ status, statusUntil: null });
    }
    const now = await http("GET", `/api/status-management/${u.userId}`, { token: u.token });
    expect(now.body.data).toMatchObject({ status: "custom", customStatus: "Out for a walk", statusUntil: null });
  });

  it("400 naming the field: unknown or missing status, custom without customStatus, bad durations, wrong body types; nothing changes", async () => {
    const u = await registerAs("Bad Status Input");
    const cases: [unknown, string | RegExp][] = [
      [{ status: "napping" }, /^status: must be one of available, busy/],
      [{ status: "BUSY" }, "status"],
      [{}, "status: is required"],
      [{ status: 3 }, "status"],
      [{ status: "custom" }, "customStatus"],
      [{ status: "custom", customStatus: "" }, "customStatus"],
      [{ status: "busy", duration: "60" }, "duration"],
      [{ status: "busy", duration: -1 }, "duration"],
      [{ status: "busy", duration: 0 }, "duration"],
      [{ status: "busy", customStatus: 7 }, "customStatus"],
      [[{ status: "busy" }], /body/],
    ];
    for (const [body, mentions] of cases) expectError(await putStatus(u, body), 400, mentions);
    expectError(await raw("PUT", "/api/status-management", { token: u.token, body: "{\"status\":", contentType: "application/json" }), 400, /JSON/i);
    const cur = await http("GET", "/api/status-management", { token: u.token });
    expect(cur.body.data).toMatchObject({ status: "available", customStatus: "", statusUntil: null });
    const history = await http("GET", `/api/users/${u.userId}/history`, { token: u.token });
    expect(history.body.pagination.total).toBe(0);
  });

  it("GET /api/status-management/:userId: 404 unknown user (either form), 400 malformed id, 401 without a token", async () => {
    expectError(await http("GET", "/api/status-management/a1b2c3d4-e5f6-4890-abcd-1234567890ab", { token: viewer.token }), 404, /not found/i);
    expectError(await http("GET", "/api/status-management/60d21b4667d0d8992e610c85", { token: viewer.token }), 404, /not found/i);
    expectError(await http("GET", "/api/status-management/user123", { token: viewer.token }), 400, "userId");
    expectError(await http("GET", `/api/status-management/${owner.userId}`), 401);
    expectError(await http("GET", "/api/status-management"), 401);
    expectError(await http("PUT", "/api/status-management", { body: { status: "busy" } }), 401);
  });

  it("privacy: 403 Access denied for someone the owner blocked, or outside the owner's statusVisibility", async () => {
    const o = await registerAs("Private Owner");
    const blocked = await registerAs("Blocked One");
    const contact = await registerAs("Trusted Contact");
    const stranger = await registerAs("Stranger");
    const read = (who: U) => http("GET", `/api/status-management/${o.userId}`, { token: who.token });

    expect((await http("PUT", `/api/conversations/${blocked._id}/metadata`, { token: o.token, body: { isBlocked: true } })).status).toBe(200);
    expectError(await read(blocked), 403, "Access denied");
    expect((await read(stranger)).status).toBe(200);

    expect((await http("POST", "/api/contacts", { token: o.token, body: { userId: contact.userId } })).status).toBe(201);
    expect((await http("PUT", "/api/users/profile", { token: o.token, body: { statusVisibility: "contacts" } })).status).toBe(200);
    expect((await read(contact)).status).toBe(200);
    expectError(await read(stranger), 403, "Access denied");

    expect((await http("PUT", "/api/users/profile", { token: o.token, body: { statusVisibility: "nobody" } })).status).toBe(200);
    expectError(await read(contact), 403, "Access denied");
    expect((await http("GET", `/api/status-management/${o.userId}`, { token: o.token })).status).toBe(200);
    expectError(await http("PUT", "/api/users/profile", { token: o.token, body: { statusVisibility: "friends-only" } }), 400, "statusVisibility");
  });
});

describe("Status History APIs", () => {
  it("every status change closes the open entry and opens a new one; GET pages newest first with the documented fields", async () => {
    const u = await registerAs("History Keeper");
    await putStatus(u, { status: "busy", customStatus: "In a meeting" });
    await putStatus(u, { status: "away" });
    const res = await http("GET", `/api/users/${u.userId}/history`, { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.pagination).toEqual({ page: 1, limit: 10, total: 3, pages: 1 });
    const [open, busy, first] = res.body.data;
    expect(open).toMatchObject({ userId: u.userId, status: "away", customStatus: "", endTime: null });
    expect(busy).toMatchObject({ userId: u.userId, status: "busy", customStatus: "In a meeting", endTime: open.startTime });
    expect(typeof busy.duration).toBe("number");
    expect(first).toMatchObject({ status: "available", endTime: busy.startTime });
    for (const e of res.body.data) {
      expect(e._id).toMatch(OBJECT_ID);
      expect(e.startTime).toMatch(ISO);
    }
  });

  it("POST /api/status/history with the documented body: 201 bare entry with user, userId and duration 60", async () => {
    const u = await registerAs("Manual History");
    const res = await http("POST", "/api/status/history", {
      token: u.token,
      body: { status: "busy", customStatus: "In a meeting", startTime: "2023-01-01T00:00:00.000Z", endTime: "2023-01-01T01:00:00.000Z" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual(
      expect.objectContaining({
        user: u._id,
        userId: u.userId,
        status: "busy",
        customStatus: "In a meeting",
        startTime: "2023-01-01T00:00:00.000Z",
        endTime: "2023-01-01T01:00:00.000Z",
        duration: 60,
      }),
    );
    expect(res.body._id).toMatch(OBJECT_ID);
    expect(res.body.success).toBeUndefined();
  });

  it("page, limit, startDate and endDate select entries; pagination counts them", async () => {
    const u = await registerAs("Paged History");
    for (let h = 0; h < 5; h++) {
      const res = await http("POST", "/api/status/history", {
        token: u.token,
        body: { status: "meeting", startTime: `2023-03-01T0${h}:00:00.000Z`, endTime: `2023-03-01T0${h}:30:00.000Z` },
      });
      expect(res.status).toBe(201);
    }
    const q = "startDate=2023-03-01T00:00:00.000Z&endDate=2023-03-01T23:59:59.999Z";
    const p1 = await http("GET", `/api/users/${u._id}/history?page=1&limit=2&${q}`, { token: u.token });
    expect(p1.status).toBe(200);
    expect(p1.body.pagination).toEqual({ page: 1, limit: 2, total: 5, pages: 3 });
    expect(p1.body.data.map((e: any) => e.startTime)).toEqual(["2023-03-01T04:00:00.000Z", "2023-03-01T03:00:00.000Z"]);
    const p3 = await http("GET", `/api/users/${u._id}/history?page=3&limit=2&${q}`, { token: u.token });
    expect(p3.body.data.map((e: any) => e.startTime)).toEqual(["2023-03-01T00:00:00.000Z"]);
    const window = await http("GET", `/api/users/${u.userId}/history?startDate=2023-03-01T01:10:00.000Z&endDate=2023-03-01T02:10:00.000Z`, { token: u.token });
    expect(window.body.data.map((e: any) => e.startTime)).toEqual(["2023-03-01T02:00:00.000Z", "2023-03-01T01:00:00.000Z"]);
    expect(window.body.pagination.total).toBe(2);
    const past = await http("GET", `/api/users/${u.userId}/history?page=9&${q}`, { token: u.token });
    expect(past.body.data).toEqual([]);
  });

  it("DELETE /api/status/history/:id: 200 with the documented message, then 404; 403 for someone else's; 400 malformed id", async () => {
    const u = await registerAs("History Deleter");
    const other = await registerAs("History Intruder");
    const made = await http("POST", "/api/status/history", {
      token: u.token,
      body: { status: "busy", startTime: "2023-01-01T00:00:00.000Z", endTime: "2023-01-01T01:00:00.000Z" },
    });
    const id = made.body._id;
    expectError(await http("DELETE", `/api/status/history/${id}`, { token: other.token }), 403);
    const del = await http("DELETE", `/api/status/history/${id}`, { token: u.token });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true, message: "Status history entry deleted" });
    expectError(await http("DELETE", `/api/status/history/${id}`, { token: u.token }), 404, /not found/i);
    expectError(await http("DELETE", "/api/status/history/not-an-id", { token: u.token }), 400, "id");
    const list = await http("GET", `/api/users/${u.userId}/history`, { token: u.token });
    expect(list.body.data.map((e: any) => e._id)).not.toContain(id);
  });

  it("POST /api/status/history: 400 naming the field for missing/invalid times or status", async () => {
    const u = await registerAs("History Validation");
    const good = { status: "busy", startTime: "2023-01-01T00:00:00.000Z", endTime: "2023-01-01T01:00:00.000Z" };
    const cases: [unknown, string][] = [
      [{ ...good, startTime: undefined }, "startTime"],
      [{ ...good, endTime: "yesterday" }, "endTime"],
      [{ ...good, endTime: "2022-12-31T23:00:00.000Z" }, "endTime"],
      [{ ...good, status: "lunch" }, "status"],
      [{ ...good, status: "custom" }, "customStatus"],
    ];
    for (const [body, field] of cases) expectError(await http("POST", "/api/status/history", { token: u.token, body }), 400, field);
    expect((await http("GET", `/api/users/${u.userId}/history`, { token: u.token })).body.pagination.total).toBe(0);
  });

  it("history is the owner's alone: 403 for others, 404 unknown user, 400 bad query values", async () => {
    const u = await registerAs("Private History");
    const other = await registerAs("Curious Other");
    expectError(await http("GET", `/api/users/${u.userId}/history`, { token: other.token }), 403);
    expectError(await http("GET", "/api/users/a1b2c3d4-e5f6-4890-abcd-1234567890ab/history", { token: u.token }), 404);
    expectError(await http("GET", `/api/users/${u.userId}/history?page=0`, { token: u.token }), 400, "page");
    expectError(await http("GET", `/api/users/${u.userId}/history?limit=abc`, { token: u.token }), 400, "limit");
    expectError(await http("GET", `/api/users/${u.userId}/history?startDate=soon`, { token: u.token }), 400, "startDate");
  });
});

describe("GET /api/users/:userId/analytics", () => {
  it("the document's own numbers: 600 available, 480 busy, 360 away in one day -> durations, percentages 42/33/25, suggestions per part of day", async () => {
    const u = await registerAs("Analytics Person");
    const day = [
      { status: "available", startTime: "2023-01-01T00:00:00.000Z", endTime: "2023-01-01T10:00:00.000Z" },
      { status: "busy", startTime: "2023-01-01T10:00:00.000Z", endTime: "2023-01-01T18:00:00.000Z" },
      { status: "away", startTime: "2023-01-01T18:00:00.000Z", endTime: "2023-01-02T00:00:00.000Z" },
    ];
    for (const body of day) expect((await http("POST", "/api/status/history", { token: u.token, body })).status).toBe(201);
    const res = await http("GET", `/api/users/${u.userId}/analytics?startDate=2023-01-01T00:00:00.000Z&endDate=2023-01-02T00:00:00.000Z`, { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toEqual({
      totalEntries: 3,
      totalDuration: 1440,
      statusDurations: { busy: 480, available: 600, away: 360 },
      statusPercentages: { busy: 33, available: 42, away: 25 },
      // one entry each: the longest wins
      mostFrequentStatus: "available",
      // the user's time zone is UTC: 06-12 mostly available, 12-18 busy, 18-24 away
      suggestions: { morning: "available", afternoon: "busy", evening: "away" },
    });

    // a window clips the time: 09:00-11:00 is 60 available + 60 busy
    const clipped = await http("GET", `/api/users/${u._id}/analytics?startDate=2023-01-01T09:00:00.000Z&endDate=2023-01-01T11:00:00.000Z`, { token: u.token });
    expect(clipped.body.data).toMatchObject({ totalEntries: 2, totalDuration: 120, statusDurations: { available: 60, busy: 60 }, statusPercentages: { available: 50, busy: 50 } });
  });

  it("403 for another user's analytics, 404 unknown, 400 for a bad date", async () => {
    const u = await registerAs("Analytics Owner");
    const other = await registerAs("Analytics Snoop");
    expectError(await http("GET", `/api/users/${u.userId}/analytics`, { token: other.token }), 403);
    expectError(await http("GET", "/api/users/60d21b4667d0d8992e610c85/analytics", { token: u.token }), 404);
    expectError(await http("GET", `/api/users/${u.userId}/analytics?endDate=31/01/2023`, { token: u.token }), 400, "endDate");
  });
});

describe("Status Templates APIs", () => {
  it("create (201 bare), list (paged), update (200 bare), delete (200 message) with the documented bodies", async () => {
    const u = await registerAs("Template Maker");
    const created = await http("POST", "/api/status/templates", {
      token: u.token,
      body: { name: "Meeting", status: "busy", customStatus: "In a meeting", duration: 60 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ user: u._id, userId: u.userId, name: "Meeting", status: "busy", customStatus: "In a meeting", duration: 60 });
    expect(created.body._id).toMatch(OBJECT_ID);
    const id = created.body._id;

    const list = await http("GET", `/api/users/${u.userId}/templates`, { token: u.token });
    expect(list.status).toBe(200);
    expect(list.body.success).toBe(true);
    expect(list.body.data).toEqual([expect.objectContaining({ _id: id, userId: u.userId, name: "Meeting", status: "busy", customStatus: "In a meeting", duration: 60 })]);
    expect(list.body.pagination).toEqual({ page: 1, limit: 10, total: 1, pages: 1 });

    const updated = await http("PUT", `/api/status/templates/${id}`, {
      token: u.token,
      body: { name: "Long Meeting", status: "busy", customStatus: "In an important meeting", duration: 120 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ _id: id, user: u._id, userId: u.userId, name: "Long Meeting", status: "busy", customStatus: "In an important meeting", duration: 120 });

    // fields left out are kept
    const renamed = await http("PUT", `/api/status/templates/${id}`, { token: u.token, body: { name: "Longer Meeting" } });
    expect(renamed.body).toMatchObject({ name: "Longer Meeting", status: "busy", customStatus: "In an important meeting", duration: 120 });

    const del = await http("DELETE", `/api/status/templates/${id}`, { token: u.token });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true, message: "Status template deleted" });
    expectError(await http("DELETE", `/api/status/templates/${id}`, { token: u.token }), 404, /not found/i);
    expectError(await http("PUT", `/api/status/templates/${id}`, { token: u.token, body: { name: "Ghost" } }), 404, /not found/i);
    expect((await http("GET", `/api/users/${u.userId}/templates`, { token: u.token })).body.data).toEqual([]);
  });

  it("pagination: page and limit over several templates", async () => {
    const u = await registerAs("Many Templates");
    for (const name of ["One", "Two", "Three"]) {
      expect((await http("POST", "/api/status/templates", { token: u.token, body: { name, status: "away" } })).status).toBe(201);
    }
    const p1 = await http("GET", `/api/users/${u._id}/templates?page=1&limit=2`, { token: u.token });
    expect(p1.body.pagination).toEqual({ page: 1, limit: 2, total: 3, pages: 2 });
    expect(p1.body.data).toHaveLength(2);
    const p2 = await http("GET", `/api/users/${u._id}/templates?page=2&limit=2`, { token: u.token });
    expect(p2.body.data).toHaveLength(1);
    const names = [...p1.body.data, ...p2.body.data].map((t: any) => t.name).sort();
    expect(names).toEqual(["One", "Three", "Two"]);
  });

  it("someone else's templates: 403 to list, update or delete; bad input: 400 naming the field", async () => {
    const u = await registerAs("Template Owner");
    const other = await registerAs("Template Intruder");
    const t = await http("POST", "/api/status/templates", { token: u.token, body: { name: "Lunch", status: "eating", duration: 45 } });
    expectError(await http("GET", `/api/users/${u.userId}/templates`, { token: other.token }), 403);
    expectError(await http("PUT", `/api/status/templates/${t.body._id}`, { token: other.token, body: { name: "Mine now" } }), 403);
    expectError(await http("DELETE", `/api/status/templates/${t.body._id}`, { token: other.token }), 403);
    expectError(await http("PUT", "/api/status/templates/xyz", { token: u.token, body: { name: "x" } }), 400, "id");

    const cases: [unknown, string][] = [
      [{ status: "busy" }, "name"],
      [{ name: "X", status: "snoozing" }, "status"],
      [{ name: "X", status: "custom" }, "customStatus"],
      [{ name: "X", status: "busy", duration: "an hour" }, "duration"],
      [{ name: "X", status: "busy", duration: -10 }, "duration"],
    ];
    for (const [body, field] of cases) expectError(await http("POST", "/api/status/templates", { token: u.token, body }), 400, field);
    expectError(await http("PUT", `/api/status/templates/${t.body._id}`, { token: u.token, body: { status: "snoozing" } }), 400, "status");
    const still = await http("GET", `/api/users/${u.userId}/templates`, { token: u.token });
    expect(still.body.data).toEqual([expect.objectContaining({ name: "Lunch", status: "eating", duration: 45 })]);
  });
});

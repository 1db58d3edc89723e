/**
 * 000 "Status Schedules" and "Bulk Operations" against `wrangler dev`, sent
 * as the document shows them. Calendar sync is checked for input validation
 * only here (the providers are driven by a local fake in
 * test/e2e/calendar-sync.test.ts); suggestions from a real, known history.
 */
import { describe, expect, it } from "vitest";
import { http } from "./client";
import { expectError, ISO, OBJECT_ID, raw, registerAs } from "./seed-000-helpers";

type U = Awaited<ReturnType<typeof registerAs>>;

// the document's examples, verbatim
const createExample = {
  status: "busy",
  customStatus: "In a meeting",
  startTime: "2023-01-01T09:00:00.000Z",
  endTime: "2023-01-01T10:00:00.000Z",
  repeat: "weekly",
};
const updateExample = {
  status: "busy",
  customStatus: "In a team meeting",
  startTime: "2023-01-01T09:30:00.000Z",
  endTime: "2023-01-01T10:30:00.000Z",
  repeat: "weekly",
  active: true,
};
const bulkTemplatesExample = [
  { name: "Meeting", status: "busy", customStatus: "In a meeting", duration: 60 },
  { name: "Lunch", status: "eating", customStatus: "Having lunch", duration: 45 },
];
const bulkSchedulesExample = [
  { status: "busy", customStatus: "Team meeting", startTime: "2023-01-01T09:00:00.000Z", endTime: "2023-01-01T10:00:00.000Z", repeat: "weekly" },
  { status: "eating", customStatus: "Lunch break", startTime: "2023-01-01T12:00:00.000Z", endTime: "2023-01-01T13:00:00.000Z", repeat: "weekdays" },
];
const syncExample = {
  calendarType: "google",
  accessToken: "ya29.a0AfH6SMBx...",
  startDate: "2023-01-01T00:00:00.000Z",
  endDate: "2023-01-31T23:59:59.999Z",
};

const schedulesOf = async (u: U, active = "true") =>
  (await http("GET", `/api/users/${u.userId}/schedules?limit=100&active=${active}`, { token: u.token })).body;

describe("Status Schedules APIs", () => {
  it("create, list, update, upcoming and delete with the documented bodies and answers", async () => {
    const u = await registerAs("Schedule Keeper");
    const created = await http("POST", `/api/users/${u.userId}/schedules`, { token: u.token, body: createExample });
    expect(created.status).toBe(201);
    expect(created.body.success).toBe(true);
    expect(created.body.data).toMatchObject({ ...createExample, userId: u.userId, active: true });
    expect(created.body.data._id).toMatch(OBJECT_ID);
    const id = created.body.data._id;

    const list = await http("GET", `/api/users/${u.userId}/schedules`, { token: u.token });
    expect(list.status).toBe(200);
    expect(list.body.success).toBe(true);
    expect(list.body.data).toEqual([expect.objectContaining({ _id: id, ...createExample, userId: u.userId, active: true })]);
    expect(list.body.pagination).toEqual({ page: 1, limit: 10, total: 1, pages: 1 });

    const updated = await http("PUT", `/api/users/${u.userId}/schedules/${id}`, { token: u.token, body: updateExample });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ success: true, data: expect.objectContaining({ _id: id, userId: u.userId, ...updateExample }) });

    // upcoming: the next real occurrence of the weekly series (a Sunday, 09:30-10:30 UTC; the user's zone is UTC)
    const upcoming = await http("GET", "/api/status/schedules/upcoming", { token: u.token });
    expect(upcoming.status).toBe(200);
    expect(upcoming.body.success).toBe(true);
    expect(upcoming.body.data).toHaveLength(1);
    const next = upcoming.body.data[0];
    expect(next).toMatchObject({ _id: id, user: u._id, userId: u.userId, status: "busy", customStatus: "In a team meeting", repeat: "weekly", active: true });
    expect(next.startTime).toMatch(/T09:30:00\.000Z$/);
    expect(new Date(next.startTime).getUTCDay()).toBe(0);
    expect(Date.parse(next.endTime) - Date.parse(next.startTime)).toBe(3_600_000);
    expect(Date.parse(next.endTime)).toBeGreaterThan(Date.now());
    expect(Date.parse(next.startTime)).toBeLessThan(Date.now() + 7 * 86_400_000);

    const del = await http("DELETE", `/api/users/${u.userId}/schedules/${id}`, { token: u.token });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true, message: "Status schedule deleted" });
    expectError(await http("DELETE", `/api/users/${u.userId}/schedules/${id}`, { token: u.token }), 404, /not found/i);
    expectError(await http("PUT", `/api/users/${u.userId}/schedules/${id}`, { token: u.token, body: updateExample }), 404, /not found/i);
    expect((await http("GET", "/api/status/schedules/upcoming", { token: u.token })).body).toEqual({ success: true, data: [] });
  });

  it("replaying the examples on one user works: the create example, the update example and the bulk example all succeed", async () => {
    const u = await registerAs("Example Replayer");
    const a = await http("POST", `/api/users/${u._id}/schedules`, { token: u.token, body: createExample });
    const b = await http("POST", `/api/users/${u._id}/schedules`, { token: u.token, body: createExample });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect((await http("PUT", `/api/users/${u._id}/schedules/${b.body.data._id}`, { token: u.token, body: updateExample })).status).toBe(200);
    const bulk = await http("POST", "/api/bulk/schedules/bulk", { token: u.token, body: bulkSchedulesExample });
    expect(bulk.status).toBe(201);
    expect((await schedulesOf(u)).pagination.total).toBe(4);
  });

  it("every documented repeat value; `active` filters the list (default true)", async () => {
    const u = await registerAs("Repeat Tester");
    for (const repeat of ["none", "daily", "weekdays", "weekly", "monthly"]) {
      const res = await http("POST", `/api/users/${u.userId}/schedules`, {
        token: u.token,
        body: { status: "studying", startTime: "2030-01-07T18:00:00.000Z", endTime: "2030-01-07T19:00:00.000Z", repeat },
      });
      expect(res.status, repeat).toBe(201);
      expect(res.body.data.repeat).toBe(repeat);
    }
    const off = await http("POST", `/api/users/${u.userId}/schedules`, {
      token: u.token,
      body: { ...createExample, active: false },
    });
    expect(off.status).toBe(201);
    expect(off.body.data.active).toBe(false);
    const active = await schedulesOf(u);
    expect(active.data).toHaveLength(5);
    expect(active.data.every((s: any) => s.active === true)).toBe(true);
    const inactive = await schedulesOf(u, "false");
    expect(inactive.data.map((s: any) => s._id)).toEqual([off.body.data._id]);
    const p2 = await http("GET", `/api/users/${u.userId}/schedules?page=2&limit=2`, { token: u.token });
    expect(p2.body.pagination).toEqual({ page: 2, limit: 2, total: 5, pages: 3 });
    expect(p2.body.data).toHaveLength(2);
  });

  it("owner only (403), unknown user or schedule (404), malformed ids and bad fields (400 naming them)", async () => {
    const u = await registerAs("Schedule Owner");
    const other = await registerAs("Schedule Intruder");
    const mine = await http("POST", `/api/users/${u.userId}/schedules`, { token: u.token, body: createExample });
    const id = mine.body.data._id;

    expectError(await http("GET", `/api/users/${u.userId}/schedules`, { token: other.token }), 403);
    expectError(await http("POST", `/api/users/${u.userId}/schedules`, { token: other.token, body: createExample }), 403);
    expectError(await http("PUT", `/api/users/${u._id}/schedules/${id}`, { token: other.token, body: updateExample }), 403);
    expectError(await http("DELETE", `/api/users/${u._id}/schedules/${id}`, { token: other.token }), 403);
    // another user's schedule through your own path is simply not found
    expectError(await http("DELETE", `/api/users/${other._id}/schedules/${id}`, { token: other.token }), 404);
    expectError(await http("GET", "/api/users/a1b2c3d4-e5f6-4890-abcd-1234567890ab/schedules", { token: u.token }), 404);
    expectError(await http("PUT", `/api/users/${u.userId}/schedules/60d21b4667d0d8992e610c85`, { token: u.token, body: updateExample }), 404);
    expectError(await http("PUT", `/api/users/${u.userId}/schedules/12345`, { token: u.token, body: updateExample }), 400, "id");
    expectError(await http("GET", "/api/users/someone/schedules", { token: u.token }), 400, "userId");
    expectError(await http("GET", `/api/users/${u.userId}/schedules?active=maybe`, { token: u.token }), 400, "active");

    const cases: [unknown, string][] = [
      [{ ...createExample, repeat: "yearly" }, "repeat"],
      [{ ...createExample, status: "partying" }, "status"],
      [{ ...createExample, status: "custom", customStatus: undefined }, "customStatus"],
      [{ ...createExample, startTime: undefined }, "startTime"],
      [{ ...createExample, endTime: "later" }, "endTime"],
      [{ ...createExample, endTime: "2023-01-01T08:00:00.000Z" }, "endTime"],
      [{ ...createExample, active: "yes" }, "active"],
    ];
    for (const [body, field] of cases) expectError(await http("POST", `/api/users/${u.userId}/schedules`, { token: u.token, body }), 400, field);
    expectError(await http("PUT", `/api/users/${u.userId}/schedules/${id}`, { token: u.token, body: { endTime: "2023-01-01T08:00:00.000Z" } }), 400, "endTime");
    expectError(await raw("POST", `/api/users/${u.userId}/schedules`, { token: u.token, body: "{\"status\":\"busy\"", contentType: "application/json" }), 400, /JSON/i);
    const list = await schedulesOf(u);
    expect(list.data).toEqual([expect.objectContaining({ _id: id, ...createExample })]);
    expectError(await http("GET", "/api/status/schedules/upcoming"), 401);
  });
});

describe("Bulk Operations APIs", () => {
  it("POST /api/bulk/templates/bulk with the documented array: 201 {success, count, data}", async () => {
    const u = await registerAs("Bulk Templates");
    const res = await http("POST", "/api/bulk/templates/bulk", { token: u.token, body: bulkTemplatesExample });
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    expect(res.body.count).toBe(2);
    res.body.data.forEach((t: any, i: number) => {
      expect(t).toMatchObject({ ...bulkTemplatesExample[i], user: u._id, userId: u.userId });
      expect(t._id).toMatch(OBJECT_ID);
    });
    const list = await http("GET", `/api/users/${u.userId}/templates`, { token: u.token });
    expect(list.body.pagination.total).toBe(2);
  });

  it("POST /api/bulk/schedules/bulk with the documented array: 201 {success, count, data}", async () => {
    const u = await registerAs("Bulk Schedules");
    const res = await http("POST", "/api/bulk/schedules/bulk", { token: u.token, body: bulkSchedulesExample });
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    expect(res.body.count).toBe(2);
    res.body.data.forEach((s: any, i: number) => {
      expect(s).toMatchObject({ ...bulkSchedulesExample[i], user: u._id, userId: u.userId, active: true });
      expect(s._id).toMatch(OBJECT_ID);
    });
    expect((await schedulesOf(u)).pagination.total).toBe(2);
  });

  it("bad batches: not an array, empty, an invalid item (index and field named), too many; nothing is stored", async () => {
    const u = await registerAs("Bulk Validation");
    expectError(await http("POST", "/api/bulk/templates/bulk", { token: u.token, body: bulkTemplatesExample[0] }), 400, /array/);
    expectError(await http("POST", "/api/bulk/templates/bulk", { token: u.token, body: [] }), 400, /at least one/);
    expectError(await http("POST", "/api/bulk/templates/bulk", { token: u.token, body: [bulkTemplatesExample[0], { name: "Lunch", status: "lunching" }] }), 400, /\[1\]\.status/);
    expectError(await http("POST", "/api/bulk/templates/bulk", { token: u.token, body: [{ status: "busy" }] }), 400, /\[0\]\.name/);
    expectError(await http("POST", "/api/bulk/schedules/bulk", { token: u.token, body: [bulkSchedulesExample[0], { ...bulkSchedulesExample[1], repeat: "hourly" }] }), 400, /\[1\]\.repeat/);
    expectError(await http("POST", "/api/bulk/schedules/bulk", { token: u.token, body: [{ ...bulkSchedulesExample[0], endTime: "2023-01-01T08:00:00.000Z" }] }), 400, /\[0\]\.endTime/);
    const many = Array.from({ length: 101 }, (_, i) => ({ name: `T${i}`, status: "busy" }));
    expectError(await http("POST", "/api/bulk/templates/bulk", { token: u.token, body: many }), 413, /100/);
    expectError(await raw("POST", "/api/bulk/templates/bulk", { token: u.token, body: "[{\"name\":", contentType: "application/json" }), 400, /JSON/i);
    expect((await http("GET", `/api/users/${u.userId}/templates`, { token: u.token })).body.pagination.total).toBe(0);
    expect((await schedulesOf(u)).pagination.total).toBe(0);
    expectError(await http("POST", "/api/bulk/templates/bulk", { body: bulkTemplatesExample }), 401);
  });

  it("POST /api/bulk/sync/calendar validates its body (400 naming the field) before calling any provider", async () => {
    const u = await registerAs("Calendar Validation");
    const cases: [unknown, string][] = [
      [{ ...syncExample, calendarType: "yahoo" }, "calendarType"],
      [{ ...syncExample, calendarType: undefined }, "calendarType"],
      [{ ...syncExample, accessToken: undefined }, "accessToken"],
      [{ ...syncExample, accessToken: "" }, "accessToken"],
      [{ ...syncExample, startDate: "January" }, "startDate"],
      [{ ...syncExample, endDate: undefined }, "endDate"],
      [{ ...syncExample, endDate: "2022-12-31T00:00:00.000Z" }, "endDate"],
    ];
    for (const [body, field] of cases) expectError(await http("POST", "/api/bulk/sync/calendar", { token: u.token, body }), 400, field);
    expectError(await http("POST", "/api/bulk/sync/calendar", { body: syncExample }), 401);
    expect((await schedulesOf(u)).pagination.total).toBe(0);
  });
});

describe("GET /api/bulk/suggestions", () => {
  it("an empty list without history; a weekday standup seen on many days becomes a suggestion with the documented fields", async () => {
    const u = await registerAs("Suggestion Seeker");
    const empty = await http("GET", "/api/bulk/suggestions", { token: u.token });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ success: true, data: [] });

    // "Daily Standup" 09:00-09:30 UTC (the user's zone) on each of the last 15 weekdays before today
    const day = new Date();
    day.setUTCHours(0, 0, 0, 0);
    let added = 0;
    while (added < 15) {
      day.setUTCDate(day.getUTCDate() - 1);
      const dow = day.getUTCDay();
      if (dow === 0 || dow === 6) continue;
      const start = new Date(day.getTime() + 9 * 3_600_000);
      const res = await http("POST", "/api/status/history", {
        token: u.token,
        body: { status: "meeting", customStatus: "Daily Standup", startTime: start.toISOString(), endTime: new Date(start.getTime() + 30 * 60_000).toISOString() },
      });
      expect(res.status).toBe(201);
      added++;
    }
    const res = await http("GET", "/api/bulk/suggestions", { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    const standup = res.body.data.find((s: any) => s.customStatus === "Daily Standup");
    expect(standup).toMatchObject({ status: "meeting", customStatus: "Daily Standup", startTime: "09:00", endTime: "09:30", repeat: "weekdays" });
    expect(typeof standup.name).toBe("string");
    expect(standup.name.length).toBeGreaterThan(0);
    expect(typeof standup.confidence).toBe("number");
    expect(standup.confidence).toBeGreaterThan(0.5);
    expect(standup.confidence).toBeLessThanOrEqual(1);
    expectError(await http("GET", "/api/bulk/suggestions"), 401);
  });
});

describe("timestamps are ISO 8601 strings", () => {
  it("in every schedule object", async () => {
    const u = await registerAs("Iso Checker");
    const res = await http("POST", `/api/users/${u.userId}/schedules`, { token: u.token, body: createExample });
    for (const k of ["startTime", "endTime"]) expect(res.body.data[k]).toMatch(ISO);
  });
});

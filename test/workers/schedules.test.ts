import { describe, expect, it } from "vitest";
import { api, makeUser } from "./helpers";

const H = 3_600_000;
const D = 24 * H;
const iso = (ms: number) => new Date(ms).toISOString();
/** now rounded down to the minute, so computed times compare exactly */
const nowMin = () => Math.floor(Date.now() / 60_000) * 60_000;

const meeting = {
  status: "busy",
  customStatus: "In a meeting",
  startTime: "2023-01-02T09:00:00.000Z",
  endTime: "2023-01-02T10:00:00.000Z",
  repeat: "weekly",
};

describe("schedule CRUD", () => {
  it("creates a schedule (201, documented object) through either id form and lists it", async () => {
    const u = await makeUser();
    const res = await api("POST", `/api/users/${u.userId}/schedules`, { token: u.token, body: meeting });
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toMatchObject({ ...meeting, user: u._id, userId: u.userId, active: true });
    expect(res.body.data._id).toMatch(/^[0-9a-f]{24}$/);

    const second = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "eating", startTime: "2023-01-02T12:00:00.000Z", endTime: "2023-01-02T13:00:00.000Z", repeat: "weekdays" },
    });
    expect(second.status).toBe(201);
    expect(second.body.data).toMatchObject({ status: "eating", customStatus: "", repeat: "weekdays" });

    const list = await api("GET", `/api/users/${u.userId}/schedules`, { token: u.token });
    expect(list.status).toBe(200);
    expect(list.body.data.map((s: any) => s._id)).toEqual([res.body.data._id, second.body.data._id]);
    expect(list.body.pagination).toEqual({ page: 1, limit: 10, total: 2, pages: 1 });

    const paged = await api("GET", `/api/users/${u._id}/schedules?page=2&limit=1`, { token: u.token });
    expect(paged.body.data.map((s: any) => s._id)).toEqual([second.body.data._id]);
    expect(paged.body.pagination).toEqual({ page: 2, limit: 1, total: 2, pages: 2 });
  });

  it("repeat defaults to none, and active=false lists only inactive schedules", async () => {
    const u = await makeUser();
    const a = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "away", startTime: "2030-01-01T09:00:00Z", endTime: "2030-01-01T10:00:00Z" },
    });
    expect(a.body.data.repeat).toBe("none");
    const b = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "away", startTime: "2030-01-02T09:00:00Z", endTime: "2030-01-02T10:00:00Z", active: false },
    });
    expect(b.body.data.active).toBe(false);
    const active = await api("GET", `/api/users/${u._id}/schedules`, { token: u.token });
    expect(active.body.data.map((s: any) => s._id)).toEqual([a.body.data._id]);
    const inactive = await api("GET", `/api/users/${u._id}/schedules?active=false`, { token: u.token });
    expect(inactive.body.data.map((s: any) => s._id)).toEqual([b.body.data._id]);
    const bad = await api("GET", `/api/users/${u._id}/schedules?active=maybe`, { token: u.token });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("active");
  });

  it("is owner-only: 403 for another user, 404 for an unknown user, 400 for a malformed id", async () => {
    const owner = await makeUser();
    const other = await makeUser();
    const created = await api("POST", `/api/users/${owner._id}/schedules`, { token: owner.token, body: meeting });
    const id = created.body.data._id;
    expect((await api("GET", `/api/users/${owner._id}/schedules`, { token: other.token })).status).toBe(403);
    expect((await api("POST", `/api/users/${owner.userId}/schedules`, { token: other.token, body: meeting })).status).toBe(403);
    expect((await api("PUT", `/api/users/${owner._id}/schedules/${id}`, { token: other.token, body: { status: "away" } })).status).toBe(403);
    expect((await api("DELETE", `/api/users/${owner._id}/schedules/${id}`, { token: other.token })).status).toBe(403);
    // another user's schedule id under your own user: not found (and untouched)
    expect((await api("PUT", `/api/users/${other._id}/schedules/${id}`, { token: other.token, body: { status: "away" } })).status).toBe(404);
    expect((await api("DELETE", `/api/users/${other._id}/schedules/${id}`, { token: other.token })).status).toBe(404);
    const unknown = await api("GET", `/api/users/${crypto.randomUUID()}/schedules`, { token: owner.token });
    expect(unknown.status).toBe(404);
    const bad = await api("GET", `/api/users/nope/schedules`, { token: owner.token });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("userId");
    expect((await api("GET", `/api/users/${owner._id}/schedules`)).status).toBe(401);
    const still = await api("GET", `/api/users/${owner._id}/schedules`, { token: owner.token });
    expect(still.body.data[0]).toMatchObject({ status: "busy", customStatus: "In a meeting" });
  });

  it("rejects bad input with a 400 naming the field, storing nothing", async () => {
    const u = await makeUser();
    const cases: [unknown, string][] = [
      [{ ...meeting, status: "sleepy" }, "status"],
      [{ ...meeting, status: "custom", customStatus: "" }, "customStatus"],
      [{ ...meeting, endTime: "2023-01-02T08:00:00.000Z" }, "endTime"],
      [{ ...meeting, endTime: meeting.startTime }, "endTime"],
      [{ ...meeting, repeat: "yearly" }, "repeat"],
      [{ ...meeting, startTime: "next tuesday" }, "startTime"],
      [{ ...meeting, repeat: "daily", endTime: "2023-01-03T10:00:00.000Z" }, "endTime"],
      [{ ...meeting, active: "yes" }, "active"],
      [{ status: "busy" }, "startTime"],
      ["not json", "body"],
    ];
    for (const [body, field] of cases) {
      const res = await api("POST", `/api/users/${u._id}/schedules`, { token: u.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ success: false, statusCode: 400 });
      expect(res.body.message, JSON.stringify(body)).toContain(field);
    }
    const list = await api("GET", `/api/users/${u._id}/schedules`, { token: u.token });
    expect(list.body.data).toEqual([]);
  });

  it("updates a schedule (200) with a partial body and re-validates the merged result", async () => {
    const u = await makeUser();
    const id = (await api("POST", `/api/users/${u._id}/schedules`, { token: u.token, body: meeting })).body.data._id;
    const full = {
      status: "busy",
      customStatus: "In a team meeting",
      startTime: "2023-01-02T09:30:00.000Z",
      endTime: "2023-01-02T10:30:00.000Z",
      repeat: "weekly",
      active: true,
    };
    const res = await api("PUT", `/api/users/${u.userId}/schedules/${id}`, { token: u.token, body: full });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, data: { _id: id, userId: u.userId, ...full } });

    const partial = await api("PUT", `/api/users/${u._id}/schedules/${id}`, { token: u.token, body: { repeat: "daily" } });
    expect(partial.status).toBe(200);
    expect(partial.body.data).toMatchObject({ repeat: "daily", customStatus: "In a team meeting", startTime: full.startTime });

    const bad = await api("PUT", `/api/users/${u._id}/schedules/${id}`, {
      token: u.token,
      body: { endTime: "2023-01-02T09:00:00.000Z" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("endTime");
    const custom = await api("PUT", `/api/users/${u._id}/schedules/${id}`, { token: u.token, body: { status: "custom", customStatus: "  " } });
    expect(custom.status).toBe(400);
    expect(custom.body.message).toContain("customStatus");

    const badId = await api("PUT", `/api/users/${u._id}/schedules/xyz`, { token: u.token, body: { repeat: "daily" } });
    expect(badId.status).toBe(400);
    expect(badId.body.message).toContain("id");
    const missing = await api("PUT", `/api/users/${u._id}/schedules/${"0".repeat(24)}`, { token: u.token, body: { repeat: "daily" } });
    expect(missing.status).toBe(404);

    const after = await api("GET", `/api/users/${u._id}/schedules`, { token: u.token });
    expect(after.body.data[0]).toMatchObject({ repeat: "daily", endTime: full.endTime });
  });

  it("deletes a schedule with the documented message", async () => {
    const u = await makeUser();
    const id = (await api("POST", `/api/users/${u._id}/schedules`, { token: u.token, body: meeting })).body.data._id;
    const res = await api("DELETE", `/api/users/${u._id}/schedules/${id}`, { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: "Status schedule deleted" });
    expect((await api("GET", `/api/users/${u._id}/schedules`, { token: u.token })).body.data).toEqual([]);
    expect((await api("DELETE", `/api/users/${u._id}/schedules/${id}`, { token: u.token })).status).toBe(404);
  });
});

describe("overlapping schedules", () => {
  it("are accepted (000 documents no conflict): create, activate and move onto another all succeed and both are listed", async () => {
    const u = await makeUser();
    const base = nowMin() + D;
    const weekly = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "meeting", startTime: iso(base), endTime: iso(base + H), repeat: "weekly" },
    });
    expect(weekly.status).toBe(201);

    // the same slot again (a client replaying the documented example twice)
    const same = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "meeting", startTime: iso(base), endTime: iso(base + H), repeat: "weekly" },
    });
    expect(same.status).toBe(201);
    expect(same.body.data._id).not.toBe(weekly.body.data._id);

    // a daily series starting half an hour into the meeting
    const clash = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "driving", startTime: iso(base - 2 * D + H / 2), endTime: iso(base - 2 * D + H), repeat: "daily" },
    });
    expect(clash.status).toBe(201);

    const inactive = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "driving", startTime: iso(base), endTime: iso(base + H), repeat: "daily", active: false },
    });
    expect(inactive.status).toBe(201);
    const activate = await api("PUT", `/api/users/${u._id}/schedules/${inactive.body.data._id}`, { token: u.token, body: { active: true } });
    expect(activate.status).toBe(200);
    expect(activate.body.data.active).toBe(true);

    const list = await api("GET", `/api/users/${u._id}/schedules?limit=50`, { token: u.token });
    expect(list.body.pagination.total).toBe(4);

    // upcoming shows every occurrence, overlapping ones included, soonest first
    const upcoming = await api("GET", "/api/status/schedules/upcoming?limit=100&days=2", { token: u.token });
    expect(upcoming.status).toBe(200);
    const atBase = upcoming.body.data.filter((o: any) => o.startTime === iso(base)).map((o: any) => o._id).sort();
    expect(atBase).toEqual([weekly.body.data._id, same.body.data._id, inactive.body.data._id].sort());
  });

  it("a series may still not overlap itself: a daily schedule longer than a day is a 400 naming endTime", async () => {
    const u = await makeUser();
    const base = nowMin() + D;
    const res = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "away", startTime: iso(base), endTime: iso(base + D + H), repeat: "daily" },
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("endTime");
  });
});

describe("GET /api/status/schedules/upcoming", () => {
  it("lists the next real occurrences soonest first, each with that occurrence's times", async () => {
    const u = await makeUser();
    const now = nowMin();
    const weekly = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "meeting", customStatus: "Planning", startTime: iso(now + 2 * D - 3 * H), endTime: iso(now + 2 * D - 2 * H), repeat: "weekly" },
    });
    const daily = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "eating", startTime: iso(now - 10 * D + H), endTime: iso(now - 10 * D + H + 30 * 60_000), repeat: "daily" },
    });
    const past = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "away", startTime: iso(now - 5 * D), endTime: iso(now - 5 * D + H) },
    });
    expect([weekly.status, daily.status, past.status]).toEqual([201, 201, 201]);

    const res = await api("GET", "/api/status/schedules/upcoming?limit=4", { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    const got = res.body.data.map((o: any) => [o._id, o.startTime, o.endTime]);
    expect(got).toEqual([
      [daily.body.data._id, iso(now + H), iso(now + H + 30 * 60_000)],
      [daily.body.data._id, iso(now + D + H), iso(now + D + H + 30 * 60_000)],
      [weekly.body.data._id, iso(now + 2 * D - 3 * H), iso(now + 2 * D - 2 * H)],
      [daily.body.data._id, iso(now + 2 * D + H), iso(now + 2 * D + H + 30 * 60_000)],
    ]);
    expect(res.body.data[2]).toMatchObject({ user: u._id, userId: u.userId, status: "meeting", customStatus: "Planning", repeat: "weekly", active: true });

    // default: 10 entries within 7 days; days narrows the horizon
    const def = await api("GET", "/api/status/schedules/upcoming", { token: u.token });
    expect(def.body.data).toHaveLength(8); // 7 daily + 1 weekly
    const oneDay = await api("GET", "/api/status/schedules/upcoming?days=1", { token: u.token });
    expect(oneDay.body.data.map((o: any) => o._id)).toEqual([daily.body.data._id]);
    const bad = await api("GET", "/api/status/schedules/upcoming?limit=0", { token: u.token });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("limit");
  });

  it("evaluates occurrences in the user's time zone", async () => {
    const u = await makeUser({ timezone: "America/New_York" });
    // 09:00 New York every day, first on 2026-03-06 (EST, 14:00Z)
    const created = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "at_work", startTime: "2026-03-06T14:00:00.000Z", endTime: "2026-03-06T22:00:00.000Z", repeat: "daily" },
    });
    expect(created.status).toBe(201);
    const res = await api("GET", "/api/status/schedules/upcoming?limit=3", { token: u.token });
    const now = Date.now();
    for (const o of res.body.data) {
      const local = new Intl.DateTimeFormat("en-GB", { timeZone: "America/New_York", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(
        new Date(o.startTime),
      );
      expect(local).toBe("09:00");
      expect(Date.parse(o.endTime)).toBeGreaterThan(now);
    }
    expect(res.body.data).toHaveLength(3);
  });
});

describe("OpenAPI", () => {
  it("documents the schedule, bulk, sync and suggestion routes", async () => {
    const spec = await api("GET", "/openapi.json");
    expect(spec.status).toBe(200);
    const paths = spec.body.paths;
    expect(Object.keys(paths["/api/users/{userId}/schedules"]).sort()).toEqual(["get", "post"]);
    expect(Object.keys(paths["/api/users/{userId}/schedules/{id}"]).sort()).toEqual(["delete", "put"]);
    expect(paths["/api/status/schedules/upcoming"].get).toBeDefined();
    expect(paths["/api/bulk/templates/bulk"].post).toBeDefined();
    expect(paths["/api/bulk/schedules/bulk"].post).toBeDefined();
    expect(paths["/api/bulk/sync/calendar"].post).toBeDefined();
    expect(paths["/api/bulk/suggestions"].get).toBeDefined();
  });
});

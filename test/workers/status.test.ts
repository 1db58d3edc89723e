import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { contacts, conversationMetadata, friendships, statusHistory, users } from "../../src/db/schema";
import { runCron } from "../../src/jobs/cron";
import { STATUS_VALUES } from "../../src/lib/schemas";
import { api, countingApp, makeUser, type TestUser } from "./helpers";
import { objectId, uuid } from "../../src/lib/ids";
import { hubStub } from "./objects";

const db = createDb(env.DB);
const hubOf = (u: TestUser) => hubStub(u._id);
const history = (u: TestUser) =>
  db.select().from(statusHistory).where(eq(statusHistory.userId, u._id)).orderBy(statusHistory.startTime, statusHistory.id).all();
const openEntries = (u: TestUser) =>
  db.select().from(statusHistory).where(and(eq(statusHistory.userId, u._id), isNull(statusHistory.endTime))).all();
const putStatus = (u: TestUser, body: unknown) => api("PUT", "/api/status-management", { token: u.token, body });
/**
 * Time passing without sleeping: the open entry began `lasted + ago` ms ago
 * and the status expired `ago` ms ago.
 */
async function expireNow(u: TestUser, ago = 60_000, lasted = 30 * 60_000) {
  const until = new Date(Date.now() - ago);
  await db
    .update(statusHistory)
    .set({ startTime: new Date(until.getTime() - lasted) })
    .where(and(eq(statusHistory.userId, u._id), isNull(statusHistory.endTime)));
  await db.update(users).set({ statusUntil: until }).where(eq(users.id, u._id));
  return until;
}

describe("GET/PUT /api/status-management", () => {
  it("a new user is available with the documented fields", async () => {
    const u = await makeUser();
    const res = await api("GET", "/api/status-management", { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      data: { _id: u._id, userId: u.userId, status: "available", customStatus: "", statusUntil: null },
    });
  });

  it("sets a status with duration -> statusUntil, and reads it back", async () => {
    const u = await makeUser();
    const before = Date.now();
    const res = await putStatus(u, { status: "busy", customStatus: "In a meeting", duration: 60 });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toMatchObject({ userId: u.userId, status: "busy", customStatus: "In a meeting" });
    const until = Date.parse(res.body.data.statusUntil);
    expect(until).toBeGreaterThanOrEqual(before + 60 * 60_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 60 * 60_000);
    const again = await api("GET", "/api/status-management", { token: u.token });
    expect(again.body.data).toMatchObject({ status: "busy", customStatus: "In a meeting", statusUntil: res.body.data.statusUntil });
  });

  it("accepts every one of the 17 documented values", async () => {
    expect(STATUS_VALUES).toHaveLength(17);
    const u = await makeUser();
    for (const status of STATUS_VALUES) {
      const res = await putStatus(u, { status, customStatus: status === "custom" ? "Gone fishing" : undefined });
      expect(res.status, status).toBe(200);
      expect(res.body.data.status).toBe(status);
    }
    // 17 changes: the first one also records the time since registration, so 18 entries, one open
    expect(await history(u)).toHaveLength(18);
    expect(await openEntries(u)).toHaveLength(1);
  });

  it("rejects unknown statuses, custom without customStatus and bad durations, naming the field", async () => {
    const u = await makeUser();
    const cases: [unknown, string][] = [
      [{ status: "napping" }, "status"],
      [{}, "status"],
      [{ status: "custom" }, "customStatus"],
      [{ status: "custom", customStatus: "   " }, "customStatus"],
      [{ status: "busy", duration: 0 }, "duration"],
      [{ status: "busy", duration: -5 }, "duration"],
      [{ status: "busy", duration: 366 * 24 * 60 + 1 }, "duration"],
      [{ status: "busy", duration: "60" }, "duration"],
      [{ status: "busy", customStatus: "x".repeat(201) }, "customStatus"],
      [{ status: "busy", statusUntil: "2001-01-01T00:00:00Z" }, "statusUntil"],
      [{ status: "busy", statusUntil: "not a date" }, "statusUntil"],
      [{ status: "busy", duration: 5, statusUntil: new Date(Date.now() + 3600_000).toISOString() }, "duration"],
    ];
    for (const [body, field] of cases) {
      const res = await putStatus(u, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ success: false, statusCode: 400, error: "Bad Request" });
      expect(res.body.message, JSON.stringify(body)).toContain(field);
    }
    // a missing status says so; a wrong one lists the 17 values
    expect((await putStatus(u, {})).body.message).toBe("status: is required");
    const wrong = await putStatus(u, { status: "napping" });
    expect(wrong.body.message).toMatch(/^status: must be one of available, busy, away, dnd, .*, custom$/);
    // nothing was changed or recorded
    const cur = await api("GET", "/api/status-management", { token: u.token });
    expect(cur.body.data.status).toBe("available");
    expect(await history(u)).toHaveLength(0);
  });

  it("accepts fractional minutes and an absolute statusUntil", async () => {
    const u = await makeUser();
    const res = await putStatus(u, { status: "away", duration: 0.05 });
    expect(res.status).toBe(200);
    const ms = Date.parse(res.body.data.statusUntil) - Date.now();
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(3000);
    const at = new Date(Date.now() + 2 * 3600_000).toISOString();
    const abs = await putStatus(u, { status: "driving", statusUntil: at });
    expect(abs.status).toBe(200);
    expect(abs.body.data.statusUntil).toBe(at);
  });

  it("needs a token", async () => {
    expect((await api("GET", "/api/status-management")).status).toBe(401);
    expect((await api("PUT", "/api/status-management", { body: { status: "busy" } })).status).toBe(401);
  });
});

describe("history bookkeeping on every change", () => {
  it("closes the open entry with endTime and whole-minute duration and opens a new one", async () => {
    const u = await makeUser();
    await putStatus(u, { status: "busy", customStatus: "Standup" });
    let rows = await history(u);
    expect(rows).toHaveLength(2);
    // the time since registration, in the status being left
    expect(rows[0]).toMatchObject({ status: "available", customStatus: "" });
    expect(rows[0].endTime).not.toBeNull();
    expect(rows[1]).toMatchObject({ status: "busy", customStatus: "Standup", endTime: null, duration: null });

    // pretend the busy entry started 90.6 minutes ago
    const busyId = rows[1].id;
    const start = new Date(Date.now() - 90.6 * 60_000);
    await db.update(statusHistory).set({ startTime: start }).where(eq(statusHistory.id, busyId));
    await putStatus(u, { status: "eating" });
    rows = await history(u);
    expect(rows).toHaveLength(3);
    const closed = rows.find((r) => r.id === busyId)!;
    expect(closed.endTime!.getTime()).toBeGreaterThan(start.getTime());
    expect(closed.duration).toBe(91);
    expect(rows[2]).toMatchObject({ status: "eating", endTime: null });
    expect(rows[2].startTime.getTime()).toBe(closed.endTime!.getTime());
    expect(await openEntries(u)).toHaveLength(1);
  });

  it("concurrent changes never leave two open entries", async () => {
    const u = await makeUser();
    const results = await Promise.all(
      (["busy", "away", "dnd", "meeting", "eating", "studying"] as const).map((status) => putStatus(u, { status })),
    );
    for (const r of results) expect(r.status).toBe(200);
    expect(await openEntries(u)).toHaveLength(1);
    const cur = await api("GET", "/api/status-management", { token: u.token });
    expect((await openEntries(u))[0].status).toBe(cur.body.data.status);
  });
});

describe("GET /api/status-management/:userId and who may see a status", () => {
  it("anyone signed in sees a status by default, by either id form; unknown -> 404, malformed -> 400", async () => {
    const owner = await makeUser();
    const viewer = await makeUser();
    await putStatus(owner, { status: "at_work" });
    for (const ref of [owner._id, owner.userId, owner.userId.toUpperCase()]) {
      const res = await api("GET", `/api/status-management/${ref}`, { token: viewer.token });
      expect(res.status, ref).toBe(200);
      expect(res.body.data).toMatchObject({ _id: owner._id, userId: owner.userId, status: "at_work", customStatus: "", statusUntil: null });
    }
    expect((await api("GET", `/api/status-management/${"0".repeat(24)}`, { token: viewer.token })).status).toBe(404);
    expect((await api("GET", `/api/status-management/${crypto.randomUUID()}`, { token: viewer.token })).status).toBe(404);
    const bad = await api("GET", "/api/status-management/user123", { token: viewer.token });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("userId");
  });

  it("someone the owner blocked gets 403 Access denied; others still see it", async () => {
    const owner = await makeUser();
    const blocked = await makeUser();
    const other = await makeUser();
    await db.insert(conversationMetadata).values({ id: crypto.randomUUID().replace(/-/g, "").slice(0, 24), userId: owner._id, otherUserId: blocked._id, isBlocked: true });
    const res = await api("GET", `/api/status-management/${owner._id}`, { token: blocked.token });
    expect(res.status).toBe(403);
    expect(res.body.message).toBe("Access denied");
    expect((await api("GET", `/api/status-management/${owner._id}`, { token: other.token })).status).toBe(200);
    // blocking is one-way: the owner still sees the blocked user's status
    expect((await api("GET", `/api/status-management/${blocked._id}`, { token: owner.token })).status).toBe(200);
  });

  it("statusVisibility contacts: only the owner's contacts and friends; nobody: only the owner", async () => {
    const owner = await makeUser();
    const contact = await makeUser();
    const friend = await makeUser();
    const stranger = await makeUser();
    const watcherOnly = await makeUser(); // has the owner as a contact, but not the other way round
    await db.insert(contacts).values({ ownerId: owner._id, contactId: contact._id });
    await db.insert(contacts).values({ ownerId: watcherOnly._id, contactId: owner._id });
    await db.insert(friendships).values([
      { userId: owner._id, friendId: friend._id },
      { userId: friend._id, friendId: owner._id },
    ]);
    const vis = await api("PUT", "/api/users/profile", { token: owner.token, body: { statusVisibility: "contacts" } });
    expect(vis.status).toBe(200);
    const see = async (u: TestUser) => (await api("GET", `/api/status-management/${owner.userId}`, { token: u.token })).status;
    expect(await see(contact)).toBe(200);
    expect(await see(friend)).toBe(200);
    expect(await see(stranger)).toBe(403);
    expect(await see(watcherOnly)).toBe(403);
    expect(await see(owner)).toBe(200);

    await api("PUT", "/api/users/profile", { token: owner.token, body: { statusVisibility: "nobody" } });
    expect(await see(contact)).toBe(403);
    expect(await see(friend)).toBe(403);
    expect(await see(owner)).toBe(200);
  });
});

describe("status history routes", () => {
  it("GET /api/users/:userId/history pages newest first with the documented pagination", async () => {
    const u = await makeUser();
    const base = Date.UTC(2024, 0, 1);
    const rows = Array.from({ length: 25 }, (_, i) => ({
      id: (i + 1).toString(16).padStart(24, "a"),
      userId: u._id,
      status: "busy",
      customStatus: `#${i}`,
      startTime: new Date(base + i * 3600_000),
      endTime: new Date(base + i * 3600_000 + 30 * 60_000),
      duration: 30,
    }));
    for (const r of rows) await db.insert(statusHistory).values(r);

    const p1 = await api("GET", `/api/users/${u.userId}/history`, { token: u.token });
    expect(p1.status).toBe(200);
    expect(p1.body.pagination).toEqual({ page: 1, limit: 10, total: 25, pages: 3 });
    expect(p1.body.data).toHaveLength(10);
    expect(p1.body.data[0]).toEqual({
      _id: rows[24].id,
      user: u._id,
      userId: u.userId,
      status: "busy",
      customStatus: "#24",
      startTime: rows[24].startTime.toISOString(),
      endTime: rows[24].endTime.toISOString(),
      duration: 30,
    });
    const p3 = await api("GET", `/api/users/${u._id}/history?page=3&limit=10`, { token: u.token });
    expect(p3.body.data.map((d: any) => d.customStatus)).toEqual(["#4", "#3", "#2", "#1", "#0"]);
    const past = await api("GET", `/api/users/${u._id}/history?page=4`, { token: u.token });
    expect(past.status).toBe(200);
    expect(past.body.data).toEqual([]);
    expect(past.body.pagination).toEqual({ page: 4, limit: 10, total: 25, pages: 3 });
    const one = await api("GET", `/api/users/${u._id}/history?limit=1`, { token: u.token });
    expect(one.body.pagination).toEqual({ page: 1, limit: 1, total: 25, pages: 25 });

    // window: entries overlapping [05:10, 07:00] -> #5 (05:00-05:30), #6, #7
    const w = await api(
      "GET",
      `/api/users/${u._id}/history?startDate=${new Date(base + 5 * 3600_000 + 10 * 60_000).toISOString()}&endDate=${new Date(base + 7 * 3600_000).toISOString()}`,
      { token: u.token },
    );
    expect(w.body.data.map((d: any) => d.customStatus)).toEqual(["#7", "#6", "#5"]);
    expect(w.body.pagination.total).toBe(3);

    for (const q of ["page=0", "limit=0", "limit=101", "page=abc", "startDate=yesterday", `startDate=2024-02-01&endDate=2024-01-01`]) {
      const bad = await api("GET", `/api/users/${u._id}/history?${q}`, { token: u.token });
      expect(bad.status, q).toBe(400);
      expect(bad.body.message, q).toMatch(/page|limit|startDate|endDate/);
    }
  });

  it("history is the owner's alone: 403 for others, 404 for unknown users", async () => {
    const u = await makeUser();
    const other = await makeUser();
    const res = await api("GET", `/api/users/${u._id}/history`, { token: other.token });
    expect(res.status).toBe(403);
    expect((await api("GET", `/api/users/${"f".repeat(24)}/history`, { token: other.token })).status).toBe(404);
  });

  it("POST /api/status/history creates a closed entry with computed duration (201, bare object)", async () => {
    const u = await makeUser();
    const res = await api("POST", "/api/status/history", {
      token: u.token,
      body: { status: "busy", customStatus: "In a meeting", startTime: "2023-01-01T00:00:00.000Z", endTime: "2023-01-01T01:00:00.000Z" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      _id: expect.stringMatching(/^[0-9a-f]{24}$/),
      user: u._id,
      userId: u.userId,
      status: "busy",
      customStatus: "In a meeting",
      startTime: "2023-01-01T00:00:00.000Z",
      endTime: "2023-01-01T01:00:00.000Z",
      duration: 60,
    });
    const list = await api("GET", `/api/users/${u._id}/history`, { token: u.token });
    expect(list.body.data.map((d: any) => d._id)).toContain(res.body._id);
    // the current status is untouched
    expect((await api("GET", "/api/status-management", { token: u.token })).body.data.status).toBe("available");
  });

  it("POST /api/status/history validates", async () => {
    const u = await makeUser();
    const cases: [unknown, string][] = [
      [{ status: "busy", startTime: "2023-01-01T01:00:00Z", endTime: "2023-01-01T00:00:00Z" }, "endTime"],
      [{ status: "busy", startTime: "2023-01-01T01:00:00Z", endTime: "2023-01-01T01:00:00Z" }, "endTime"],
      [{ status: "busy", startTime: "2023-01-01T01:00:00Z" }, "endTime"],
      [{ status: "busy", startTime: "nope", endTime: "2023-01-01T01:00:00Z" }, "startTime"],
      [{ status: "custom", startTime: "2023-01-01T00:00:00Z", endTime: "2023-01-01T01:00:00Z" }, "customStatus"],
      [{ status: "bogus", startTime: "2023-01-01T00:00:00Z", endTime: "2023-01-01T01:00:00Z" }, "status"],
    ];
    for (const [body, field] of cases) {
      const res = await api("POST", "/api/status/history", { token: u.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message).toContain(field);
    }
    expect(await history(u)).toHaveLength(0);
  });

  it("DELETE /api/status/history/:id: owner only, 404 unknown, 409 for the open entry", async () => {
    const u = await makeUser();
    const other = await makeUser();
    const made = await api("POST", "/api/status/history", {
      token: u.token,
      body: { status: "sleeping", startTime: "2023-01-01T00:00:00Z", endTime: "2023-01-01T08:00:00Z" },
    });
    const id = made.body._id;
    const denied = await api("DELETE", `/api/status/history/${id}`, { token: other.token });
    expect(denied.status).toBe(403);
    expect((await api("DELETE", `/api/status/history/${"0".repeat(24)}`, { token: u.token })).status).toBe(404);
    expect((await api("DELETE", "/api/status/history/xyz", { token: u.token })).status).toBe(400);
    const ok = await api("DELETE", `/api/status/history/${id}`, { token: u.token });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ success: true, message: "Status history entry deleted" });
    expect((await api("DELETE", `/api/status/history/${id}`, { token: u.token })).status).toBe(404);

    await putStatus(u, { status: "busy" });
    const [open] = await openEntries(u);
    const conflict = await api("DELETE", `/api/status/history/${open.id}`, { token: u.token });
    expect(conflict.status).toBe(409);
    expect(await openEntries(u)).toHaveLength(1);
  });
});

describe("expiry: the user's Durable Object alarm", () => {
  it("arms an alarm at statusUntil and reverts to available when it runs", async () => {
    const u = await makeUser();
    const res = await putStatus(u, { status: "busy", customStatus: "Call", duration: 30 });
    const until = Date.parse(res.body.data.statusUntil);
    const hub = hubOf(u);
    expect(await runInDurableObject(hub, (_i, state) => state.storage.getAlarm())).toBe(until);

    // time passes: the status is now due
    const due = await expireNow(u);
    expect(await runDurableObjectAlarm(hub)).toBe(true);

    const cur = await api("GET", "/api/status-management", { token: u.token });
    expect(cur.body.data).toMatchObject({ status: "available", customStatus: "", statusUntil: null });
    const row = await db.select().from(users).where(eq(users.id, u._id)).get();
    expect(row).toMatchObject({ status: "available", statusSource: "expiry", statusUntil: null });
    const rows = await history(u);
    const busy = rows.find((r) => r.status === "busy")!;
    expect(busy.endTime!.getTime()).toBe(due.getTime()); // closed at the moment it expired
    expect(busy.duration).toBe(30);
    const open = await openEntries(u);
    expect(open).toHaveLength(1);
    const last = open[0];
    expect(last).toMatchObject({ status: "available", customStatus: "" });
    expect(last.startTime.getTime()).toBe(due.getTime());
    // nothing left to wake up for
    expect(await runInDurableObject(hub, (_i, state) => state.storage.getAlarm())).toBeNull();
    expect(await runDurableObjectAlarm(hub)).toBe(false);
  });

  it("an alarm that runs before the expiry changes nothing and stays armed", async () => {
    const u = await makeUser();
    const res = await putStatus(u, { status: "meeting", duration: 10 });
    const hub = hubOf(u);
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    const cur = await api("GET", "/api/status-management", { token: u.token });
    expect(cur.body.data.status).toBe("meeting");
    expect(await runInDurableObject(hub, (_i, state) => state.storage.getAlarm())).toBe(Date.parse(res.body.data.statusUntil));
  });

  it("a status without duration deletes the alarm", async () => {
    const u = await makeUser();
    await putStatus(u, { status: "busy", duration: 5 });
    const hub = hubOf(u);
    expect(await runInDurableObject(hub, (_i, state) => state.storage.getAlarm())).not.toBeNull();
    await putStatus(u, { status: "at_home" });
    expect(await runInDurableObject(hub, (_i, state) => state.storage.getAlarm())).toBeNull();
  });

  it("an expired status reads as available even before the timer ran", async () => {
    const u = await makeUser();
    const viewer = await makeUser();
    await putStatus(u, { status: "busy", duration: 5 });
    await expireNow(u);
    expect((await api("GET", "/api/status-management", { token: u.token })).body.data.status).toBe("available");
    expect((await api("GET", `/api/status-management/${u._id}`, { token: viewer.token })).body.data).toMatchObject({
      status: "available",
      statusUntil: null,
    });
  });
});

describe("cron safety net", () => {
  it("reverts statuses whose alarm was missed, once: a second cron run or a late alarm does nothing", async () => {
    const a = await makeUser();
    const b = await makeUser();
    const c = await makeUser();
    await putStatus(a, { status: "busy", duration: 5 });
    await putStatus(b, { status: "custom", customStatus: "Out", duration: 5 });
    await putStatus(c, { status: "driving", duration: 60 }); // not due
    await expireNow(a);
    await expireNow(b);
    const countsBefore = [(await history(a)).length, (await history(b)).length, (await history(c)).length];

    await runCron(env, Date.now());
    for (const u of [a, b]) {
      const row = await db.select().from(users).where(eq(users.id, u._id)).get();
      expect(row).toMatchObject({ status: "available", statusUntil: null, statusSource: "expiry" });
    }
    expect((await db.select().from(users).where(eq(users.id, c._id)).get())!.status).toBe("driving");
    const countsAfter = [(await history(a)).length, (await history(b)).length, (await history(c)).length];
    expect(countsAfter).toEqual([countsBefore[0] + 1, countsBefore[1] + 1, countsBefore[2]]);

    await runCron(env, Date.now());
    await runDurableObjectAlarm(hubOf(a));
    await runDurableObjectAlarm(hubOf(b));
    expect([(await history(a)).length, (await history(b)).length]).toEqual([countsAfter[0], countsAfter[1]]);
    expect(await openEntries(a)).toHaveLength(1);
    expect(await openEntries(b)).toHaveLength(1);
  });

  it("an alarm after a new status was set does not revert the new one", async () => {
    const u = await makeUser();
    await putStatus(u, { status: "busy", duration: 5 });
    await expireNow(u);
    await putStatus(u, { status: "studying", duration: 120 });
    await runCron(env, Date.now());
    await runDurableObjectAlarm(hubOf(u));
    expect((await api("GET", "/api/status-management", { token: u.token })).body.data.status).toBe("studying");
  });
});

describe("OpenAPI", () => {
  it("documents every 000 status and contacts route", async () => {
    const spec = await api("GET", "/openapi.json");
    expect(spec.status).toBe(200);
    const paths = spec.body.paths;
    const expected: [string, string][] = [
      ["/api/status-management", "get"],
      ["/api/status-management", "put"],
      ["/api/status-management/{userId}", "get"],
      ["/api/users/{userId}/history", "get"],
      ["/api/status/history", "post"],
      ["/api/status/history/{id}", "delete"],
      ["/api/users/{userId}/analytics", "get"],
      ["/api/users/{userId}/templates", "get"],
      ["/api/status/templates", "post"],
      ["/api/status/templates/{id}", "put"],
      ["/api/status/templates/{id}", "delete"],
      ["/api/status/templates/{id}/apply", "post"],
      ["/api/contacts", "get"],
      ["/api/contacts", "post"],
      ["/api/contacts/{id}", "delete"],
      ["/api/contacts/with-status", "get"],
      ["/api/contacts/{id}/status", "get"],
      ["/api/contacts/phone/{phoneNumber}/status", "get"],
      ["/api/contacts/filter", "post"],
      ["/api/contacts/status-list", "post"],
    ];
    for (const [path, method] of expected) expect(paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });
});

describe("POST /api/status/history", () => {
  it("an entry longer than one year is a 400 naming endTime (analytics would walk it part of day by part of day)", async () => {
    const u = await makeUser();
    const long = await api("POST", "/api/status/history", {
      token: u.token,
      body: { status: "busy", startTime: "0001-01-01T00:00:00Z", endTime: "9999-01-01T00:00:00Z" },
    });
    expect(long.status).toBe(400);
    expect(long.body.message).toMatch(/^endTime: .*one year/);
    const year = await api("POST", "/api/status/history", {
      token: u.token,
      body: { status: "busy", startTime: "2023-01-01T00:00:00Z", endTime: "2024-01-01T00:00:00Z" },
    });
    expect(year.status).toBe(201);
    expect(year.body.duration).toBe(365 * 24 * 60);
    const analytics = await api("GET", `/api/users/${u._id}/analytics?startDate=2023-01-01T00:00:00Z&endDate=2024-01-01T00:00:00Z`, { token: u.token });
    expect(analytics.status).toBe(200);
    expect(analytics.body.data.statusDurations.busy).toBe(365 * 24 * 60);
  });
});

describe("D1 round trips per request", () => {
  it("another user's status, by id or by phone, is one query after auth", async () => {
    const [u, other] = [await makeUser(), await makeUser()];
    const call = countingApp();
    const byId = await call("GET", `/api/status-management/${other.userId}`, u.token);
    expect(byId).toMatchObject({ status: 200, roundTrips: 2 });
    expect(byId.body.data).toMatchObject({ _id: other._id, status: "available" });
    const byPhone = await call("GET", `/api/contacts/phone/${encodeURIComponent(other.phoneNumber)}/status`, u.token);
    expect(byPhone).toMatchObject({ status: 200, roundTrips: 2 });
    expect(byPhone.body.data).toMatchObject({ _id: other._id, status: "available" });

    await createDb(env.DB).insert(conversationMetadata).values({ id: objectId(), userId: other._id, otherUserId: u._id, isBlocked: true });
    expect((await call("GET", `/api/status-management/${other._id}`, u.token)).status).toBe(403);
    expect((await call("GET", `/api/contacts/phone/${encodeURIComponent(other.phoneNumber)}/status`, u.token)).status).toBe(403);
    expect((await call("GET", `/api/status-management/${uuid()}`, u.token)).status).toBe(404);
  });
});

describe("status changes do not read the user's whole history", () => {
  it("closing the open entry uses an index on open entries (EXPLAIN QUERY PLAN)", async () => {
    const plan = await env.DB.prepare(
      "EXPLAIN QUERY PLAN UPDATE status_history SET end_time = ?2, duration = 0 WHERE user_id = ?1 AND end_time IS NULL",
    )
      .bind("6b04bdf985d19f0e27022644", Date.now())
      .all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join(" | ")).toMatch(/USING INDEX history_open_idx/);
  });

  it("a status change with 300 past entries closes only the open one", async () => {
    const u = await makeUser();
    const d = createDb(env.DB);
    const { statusHistory } = await import("../../src/db/schema");
    const base = Date.parse("2024-01-01T00:00:00Z");
    const rows = Array.from({ length: 300 }, (_, i) => ({
      id: objectId(),
      userId: u._id,
      status: "busy",
      startTime: new Date(base + i * 3_600_000),
      endTime: new Date(base + i * 3_600_000 + 1_800_000),
      duration: 30,
    }));
    await d.batch(rows.map((r) => d.insert(statusHistory).values(r)) as [any, ...any[]]);
    for (const status of ["meeting", "away"]) {
      expect((await api("PUT", "/api/status-management", { token: u.token, body: { status } })).status).toBe(200);
    }
    const history = await api("GET", `/api/users/${u._id}/history?limit=2`, { token: u.token });
    expect(history.body.data.map((h: any) => [h.status, h.endTime === null])).toEqual([
      ["away", true],
      ["meeting", false],
    ]);
    expect(history.body.pagination.total).toBe(302);
  });
});

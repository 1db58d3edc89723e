import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { statusSchedules, statusTemplates } from "../../src/db/schema";
import { api, makeUser, type TestUser } from "./helpers";

const db = createDb(env.DB);
const storedTemplates = (u: TestUser) => db.select().from(statusTemplates).where(eq(statusTemplates.userId, u._id)).all();
const storedSchedules = (u: TestUser) => db.select().from(statusSchedules).where(eq(statusSchedules.userId, u._id)).all();

const templates = [
  { name: "Meeting", status: "busy", customStatus: "In a meeting", duration: 60 },
  { name: "Lunch", status: "eating", customStatus: "Having lunch", duration: 45 },
];
const schedules = [
  { status: "busy", customStatus: "Team meeting", startTime: "2023-01-02T09:00:00.000Z", endTime: "2023-01-02T10:00:00.000Z", repeat: "weekly" },
  { status: "eating", customStatus: "Lunch break", startTime: "2023-01-02T12:00:00.000Z", endTime: "2023-01-02T13:00:00.000Z", repeat: "weekdays" },
];

describe("POST /api/bulk/templates/bulk", () => {
  it("creates every template (201 {success, count, data}) with the documented fields", async () => {
    const u = await makeUser();
    const res = await api("POST", "/api/bulk/templates/bulk", { token: u.token, body: templates });
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    expect(res.body.count).toBe(2);
    expect(res.body.data).toHaveLength(2);
    res.body.data.forEach((t: any, i: number) => {
      expect(t).toMatchObject({ ...templates[i], user: u._id, userId: u.userId });
      expect(t._id).toMatch(/^[0-9a-f]{24}$/);
    });
    expect(new Set(res.body.data.map((t: any) => t._id)).size).toBe(2);
    // they are real templates of the user
    const list = await api("GET", `/api/users/${u._id}/templates?limit=50`, { token: u.token });
    expect(list.status).toBe(200);
    expect(list.body.data.map((t: any) => t.name).sort()).toEqual(["Lunch", "Meeting"]);
  });

  it("one invalid item: 400 naming its index and field, and nothing is stored", async () => {
    const u = await makeUser();
    const cases: [unknown[], string][] = [
      [[templates[0], { ...templates[1], status: "hungry" }], "[1].status"],
      [[templates[0], templates[1], { name: "X", status: "custom" }], "[2].customStatus"],
      [[{ ...templates[0], duration: -5 }], "[0].duration"],
      [[templates[0], { status: "busy" }], "[1].name"],
      [[templates[0], "Lunch"], "[1]"],
    ];
    for (const [body, where] of cases) {
      const res = await api("POST", "/api/bulk/templates/bulk", { token: u.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ success: false, statusCode: 400 });
      expect(res.body.message).toContain(where);
    }
    expect(await storedTemplates(u)).toEqual([]);
  });

  it("rejects a body that is not a non-empty array, and more than 100 items with 413", async () => {
    const u = await makeUser();
    const notArray = await api("POST", "/api/bulk/templates/bulk", { token: u.token, body: templates[0] });
    expect(notArray.status).toBe(400);
    expect(notArray.body.message).toContain("body");
    const empty = await api("POST", "/api/bulk/templates/bulk", { token: u.token, body: [] });
    expect(empty.status).toBe(400);
    const many = Array.from({ length: 101 }, (_, i) => ({ name: `T${i}`, status: "busy" }));
    const tooMany = await api("POST", "/api/bulk/templates/bulk", { token: u.token, body: many });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body).toMatchObject({ success: false, statusCode: 413 });
    expect(tooMany.body.message).toContain("100");
    expect(await storedTemplates(u)).toEqual([]);
    // exactly 100 is accepted, in one batch
    const max = await api("POST", "/api/bulk/templates/bulk", { token: u.token, body: many.slice(0, 100) });
    expect(max.status).toBe(201);
    expect(max.body.count).toBe(100);
    expect(await storedTemplates(u)).toHaveLength(100);
  });

  it("needs a token", async () => {
    expect((await api("POST", "/api/bulk/templates/bulk", { body: templates })).status).toBe(401);
  });
});

describe("POST /api/bulk/schedules/bulk", () => {
  it("creates every schedule with the documented fields", async () => {
    const u = await makeUser();
    const res = await api("POST", "/api/bulk/schedules/bulk", { token: u.token, body: schedules });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ success: true, count: 2 });
    res.body.data.forEach((s: any, i: number) => expect(s).toMatchObject({ ...schedules[i], user: u._id, userId: u.userId, active: true }));
    const list = await api("GET", `/api/users/${u._id}/schedules`, { token: u.token });
    expect(list.body.data).toHaveLength(2);
  });

  it("one invalid item: 400 naming its index and field, nothing stored", async () => {
    const u = await makeUser();
    const cases: [unknown[], string][] = [
      [[schedules[0], { ...schedules[1], endTime: "2023-01-02T11:00:00.000Z" }], "[1].endTime"],
      [[schedules[0], { ...schedules[1], repeat: "hourly" }], "[1].repeat"],
      [[{ ...schedules[0], status: "custom", customStatus: "" }, schedules[1]], "[0].customStatus"],
      [[schedules[0], { ...schedules[1], startTime: "soon" }], "[1].startTime"],
    ];
    for (const [body, where] of cases) {
      const res = await api("POST", "/api/bulk/schedules/bulk", { token: u.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message).toContain(where);
    }
    expect(await storedSchedules(u)).toEqual([]);
  });

  it("items overlapping each other or existing schedules are accepted (000 documents no conflict)", async () => {
    const u = await makeUser();
    const single = await api("POST", `/api/users/${u._id}/schedules`, { token: u.token, body: schedules[0] });
    expect(single.status).toBe(201);
    // the documented batch again, plus a copy of its first item: everything overlaps something
    const res = await api("POST", "/api/bulk/schedules/bulk", { token: u.token, body: [schedules[0], schedules[1], schedules[0]] });
    expect(res.status).toBe(201);
    expect(res.body.count).toBe(3);
    expect(await storedSchedules(u)).toHaveLength(4);
  });

  it("more than 100 items: 413, nothing stored", async () => {
    const u = await makeUser();
    const many = Array.from({ length: 101 }, (_, i) => ({
      status: "busy",
      startTime: new Date(Date.UTC(2030, 0, 1) + i * 3_600_000).toISOString(),
      endTime: new Date(Date.UTC(2030, 0, 1) + i * 3_600_000 + 1_800_000).toISOString(),
    }));
    const res = await api("POST", "/api/bulk/schedules/bulk", { token: u.token, body: many });
    expect(res.status).toBe(413);
    expect(await storedSchedules(u)).toEqual([]);
  });
});

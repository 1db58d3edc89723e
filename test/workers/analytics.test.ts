import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { statusHistory } from "../../src/db/schema";
import { apportion, computeAnalytics, splitByDayPart } from "../../src/domain/analytics";
import { objectId } from "../../src/lib/ids";
import { api, makeUser, type TestUser } from "./helpers";

const db = createDb(env.DB);
const H = 3600_000;
const utc = (s: string) => new Date(`${s}Z`);

async function insertHistory(u: TestUser, entries: [status: string, start: Date, end: Date | null][]) {
  for (const [status, startTime, endTime] of entries) {
    await db.insert(statusHistory).values({
      id: objectId(),
      userId: u._id,
      status,
      startTime,
      endTime,
      duration: endTime ? Math.round((endTime.getTime() - startTime.getTime()) / 60_000) : null,
    });
  }
}

const analytics = (u: TestUser, q = "") => api("GET", `/api/users/${u._id}/analytics${q}`, { token: u.token });
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

/**
 * A known history for a user in New York (UTC-5 in January):
 *   busy       13:00-16:00Z  = 08:00-11:00 local (morning 3 h)
 *   available  16:00-21:00Z  = 11:00-16:00 local (morning 1 h, afternoon 4 h)
 *   away       23:00-03:00Z  = 18:00-22:00 local (evening 4 h)
 *   busy       next day 13:00-14:00Z = 08:00-09:00 local (morning 1 h)
 */
const KNOWN: [string, Date, Date][] = [
  ["busy", utc("2024-01-10T13:00:00"), utc("2024-01-10T16:00:00")],
  ["available", utc("2024-01-10T16:00:00"), utc("2024-01-10T21:00:00")],
  ["away", utc("2024-01-10T23:00:00"), utc("2024-01-11T03:00:00")],
  ["busy", utc("2024-01-11T13:00:00"), utc("2024-01-11T14:00:00")],
];

describe("GET /api/users/:userId/analytics on a known history", () => {
  it("durations, percentages summing to 100, most frequent status and local-time suggestions", async () => {
    const u = await makeUser({ timezone: "America/New_York" });
    await insertHistory(u, KNOWN);
    const res = await analytics(u);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toEqual({
      totalEntries: 4,
      totalDuration: 780,
      statusDurations: { available: 300, busy: 240, away: 240 },
      // 38.46 / 30.77 / 30.77 -> largest remainder
      statusPercentages: { available: 38, busy: 31, away: 31 },
      mostFrequentStatus: "busy",
      suggestions: { morning: "busy", afternoon: "available", evening: "away" },
    });
    expect(sum(res.body.data.statusPercentages)).toBe(100);
  });

  it("the same history read in UTC gives other suggestions (the time zone matters)", async () => {
    const u = await makeUser({ timezone: "UTC" });
    await insertHistory(u, KNOWN);
    const res = await analytics(u);
    // UTC: busy 13-16 and 13-14 (afternoon), available 16-18 afternoon + 18-21 evening, away 23-24 evening
    expect(res.body.data.suggestions).toEqual({ morning: null, afternoon: "busy", evening: "available" });
  });

  it("clips entries to startDate/endDate", async () => {
    const u = await makeUser({ timezone: "America/New_York" });
    await insertHistory(u, KNOWN);
    const res = await analytics(u, "?startDate=2024-01-10T14:00:00.000Z&endDate=2024-01-10T20:00:00.000Z");
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      totalEntries: 2,
      totalDuration: 360,
      statusDurations: { available: 240, busy: 120 },
      statusPercentages: { available: 67, busy: 33 },
    });
    // 14:00-16:00Z busy = 09-11 local; 16-20Z available = 11-15 local
    expect(res.body.data.suggestions).toEqual({ morning: "busy", afternoon: "available", evening: null });
  });

  it("counts the open entry up to now", async () => {
    const u = await makeUser();
    const start = new Date(Date.now() - 90 * 60_000);
    await insertHistory(u, [
      ["busy", new Date(start.getTime() - 30 * 60_000), start],
      ["meeting", start, null],
    ]);
    const res = await analytics(u);
    expect(res.body.data.totalEntries).toBe(2);
    expect(res.body.data.statusDurations.busy).toBe(30);
    expect(res.body.data.statusDurations.meeting).toBe(90);
    expect(res.body.data.totalDuration).toBe(120);
    expect(res.body.data.statusPercentages).toEqual({ meeting: 75, busy: 25 });
    // a window that ends before the open entry began leaves it out
    const before = await analytics(u, `?endDate=${new Date(start.getTime() - 60_000).toISOString()}`);
    expect(before.body.data).toMatchObject({ totalEntries: 1, totalDuration: 29, statusDurations: { busy: 29 } });
  });

  it("three equal thirds still sum to exactly 100", async () => {
    const u = await makeUser();
    const t0 = utc("2024-02-01T10:00:00").getTime();
    await insertHistory(u, [
      ["busy", new Date(t0), new Date(t0 + 20 * 60_000)],
      ["away", new Date(t0 + 20 * 60_000), new Date(t0 + 40 * 60_000)],
      ["dnd", new Date(t0 + 40 * 60_000), new Date(t0 + 60 * 60_000)],
    ]);
    const res = await analytics(u);
    expect(sum(res.body.data.statusPercentages)).toBe(100);
    expect(Object.values(res.body.data.statusPercentages).sort()).toEqual([33, 33, 34]);
    expect(res.body.data.totalDuration).toBe(60);
  });

  it("no history: zeros, empty maps, null suggestions", async () => {
    const u = await makeUser();
    const res = await analytics(u);
    expect(res.body.data).toEqual({
      totalEntries: 0,
      totalDuration: 0,
      statusDurations: {},
      statusPercentages: {},
      mostFrequentStatus: null,
      suggestions: { morning: null, afternoon: null, evening: null },
    });
  });

  it("is computed from history written by real status changes", async () => {
    const u = await makeUser();
    await api("PUT", "/api/status-management", { token: u.token, body: { status: "busy" } });
    // the busy entry began an hour ago (time passing, without sleeping)
    await db
      .update(statusHistory)
      .set({ startTime: new Date(Date.now() - H) })
      .where(and(eq(statusHistory.userId, u._id), eq(statusHistory.status, "busy")));
    await api("PUT", "/api/status-management", { token: u.token, body: { status: "away" } });
    const res = await analytics(u);
    // registration->busy (available), busy (closed by the change), away (open)
    expect(res.body.data.totalEntries).toBe(3);
    expect(res.body.data.statusDurations.busy).toBe(60);
    expect(res.body.data.totalDuration).toBe(60);
    expect(res.body.data.statusPercentages.busy).toBe(100);
  });

  it("owner only; validates the window", async () => {
    const u = await makeUser();
    const other = await makeUser();
    expect((await api("GET", `/api/users/${u._id}/analytics`, { token: other.token })).status).toBe(403);
    expect((await api("GET", `/api/users/${"9".repeat(24)}/analytics`, { token: u.token })).status).toBe(404);
    const bad = await analytics(u, "?startDate=soon");
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("startDate");
    const reversed = await analytics(u, "?startDate=2024-02-01T00:00:00Z&endDate=2024-01-01T00:00:00Z");
    expect(reversed.status).toBe(400);
    expect(reversed.body.message).toContain("endDate");
  });
});

describe("analytics arithmetic (pure)", () => {
  it("apportion: integers summing to the total, largest remainder", () => {
    expect(apportion(new Map([["a", 1], ["b", 1], ["c", 1]]), 100)).toEqual({ a: 34, b: 33, c: 33 });
    expect(apportion(new Map([["x", 2], ["y", 1]]), 100)).toEqual({ x: 67, y: 33 });
    expect(apportion(new Map([["x", 5]]), 100)).toEqual({ x: 100 });
    expect(apportion(new Map(), 100)).toEqual({});
    const weights = new Map(Array.from({ length: 7 }, (_, i) => [`s${i}`, (i + 1) * 1234.5] as [string, number]));
    expect(sum(apportion(weights, 100))).toBe(100);
    expect(sum(apportion(weights, 7))).toBe(7);
  });

  it("splits by local part of day across a DST change (New York, 2024-03-10 spring forward)", () => {
    const parts: Record<string, number> = {};
    // 00:00 EST (05:00Z) to 13:00 EDT (17:00Z): 12 real hours
    splitByDayPart(utc("2024-03-10T05:00:00").getTime(), utc("2024-03-10T17:00:00").getTime(), "America/New_York", (p, ms) => {
      parts[p] = (parts[p] ?? 0) + ms;
    });
    expect(parts).toEqual({ morning: 6 * H, afternoon: 1 * H });
  });

  it("mostFrequentStatus counts entries; ties go to the status with more time", () => {
    const a = computeAnalytics(
      [
        { status: "busy", startTime: utc("2024-01-01T10:00:00"), endTime: utc("2024-01-01T10:10:00") },
        { status: "away", startTime: utc("2024-01-01T11:00:00"), endTime: utc("2024-01-01T13:00:00") },
        { status: "busy", startTime: utc("2024-01-01T14:00:00"), endTime: utc("2024-01-01T14:10:00") },
      ],
      { now: Date.now(), timezone: "UTC" },
    );
    expect(a.mostFrequentStatus).toBe("busy");
    const b = computeAnalytics(
      [
        { status: "busy", startTime: utc("2024-01-01T10:00:00"), endTime: utc("2024-01-01T10:10:00") },
        { status: "away", startTime: utc("2024-01-01T11:00:00"), endTime: utc("2024-01-01T13:00:00") },
      ],
      { now: Date.now(), timezone: "UTC" },
    );
    expect(b.mostFrequentStatus).toBe("away");
  });
});

import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { Temporal } from "temporal-polyfill";
import { createDb } from "../../src/db/client";
import { statusHistory, users } from "../../src/db/schema";
import { suggestStatuses } from "../../src/domain/suggestions";
import { objectId } from "../../src/lib/ids";
import { api, makeUser, type TestUser } from "./helpers";

const db = createDb(env.DB);
const TZ = "America/New_York";

/** Adds a closed history entry at a local wall-clock time in New York. */
async function entry(u: TestUser, date: Temporal.PlainDate, hhmm: string, minutes: number, status: string, customStatus = "") {
  const start = date.toPlainDateTime(Temporal.PlainTime.from(hhmm)).toZonedDateTime(TZ).epochMilliseconds;
  await db.insert(statusHistory).values({
    id: objectId(start),
    userId: u._id,
    status,
    customStatus,
    startTime: new Date(start),
    endTime: new Date(start + minutes * 60_000),
    duration: minutes,
  });
}

const days = (from: string, to: string) => {
  const out: Temporal.PlainDate[] = [];
  for (let d = Temporal.PlainDate.from(from); Temporal.PlainDate.compare(d, Temporal.PlainDate.from(to)) <= 0; d = d.add({ days: 1 })) out.push(d);
  return out;
};

describe("suggestions mined from history", () => {
  it("finds the known patterns with repeat and confidence from their regularity, in the user's zone across DST", async () => {
    const u = await makeUser({ timezone: TZ });
    // observed span: Mon 26 Oct .. Fri 20 Nov 2026 (26 days, 20 weekdays, 3 Saturdays); US DST ends 1 Nov
    const span = days("2026-10-26", "2026-11-20");
    const skipped = new Set(["2026-11-04", "2026-11-12"]);
    for (const [i, d] of span.entries()) {
      if (d.dayOfWeek <= 5 && !skipped.has(d.toString())) {
        // stand-up at about 09:00 for about 30 minutes (a little jitter)
        await entry(u, d, i % 2 ? "08:58" : "09:03", i % 3 ? 30 : 29, "meeting", "Daily Standup");
        await entry(u, d, "09:35", 150, "at_work");
      }
      if (d.dayOfWeek === 6) await entry(u, d, "10:00", 60, "working_out");
      if (i % 2 === 0) await entry(u, d, "12:30", 45, "eating", "Lunch");
      // the default status is never suggested
      await entry(u, d, "20:00", 120, "available");
    }
    await entry(u, Temporal.PlainDate.from("2026-11-03"), "15:00", 40, "driving"); // once: noise
    await entry(u, Temporal.PlainDate.from("2026-11-05"), "15:00", 40, "driving");

    const user = (await db.select().from(users).where(eq(users.id, u._id)).get())!;
    const now = Temporal.ZonedDateTime.from("2026-11-20T18:00[America/New_York]").epochMilliseconds;
    const got = await suggestStatuses(db, user, now);
    const brief = got.map((s) => [s.status, s.customStatus, s.startTime, s.endTime, s.repeat, s.confidence]);
    expect(brief).toEqual([
      ["working_out", "", "10:00", "11:00", "weekly", 1],
      ["meeting", "Daily Standup", "09:00", "09:30", "weekdays", 0.9], // 18 of 20 weekdays
      ["at_work", "", "09:30", "12:00", "weekdays", 0.9],
      ["eating", "Lunch", "12:30", "13:15", "daily", 0.5], // 13 of 26 days
    ]);
    expect(got[1]).toMatchObject({ name: "Morning Meeting", occurrences: 18, eligibleDays: 20 });
    for (const s of got) {
      expect(s.confidence).toBeGreaterThanOrEqual(0);
      expect(s.confidence).toBeLessThanOrEqual(1);
    }
  });

  it("is empty for a user without enough history", async () => {
    const u = await makeUser({ timezone: TZ });
    const none = await api("GET", "/api/bulk/suggestions", { token: u.token });
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ success: true, data: [] });
    // the same thing on two days only is not a pattern yet
    const today = Temporal.Now.plainDateISO(TZ);
    await entry(u, today.subtract({ days: 2 }), "09:00", 30, "meeting", "Sync");
    await entry(u, today.subtract({ days: 1 }), "09:00", 30, "meeting", "Sync");
    const thin = await api("GET", "/api/bulk/suggestions", { token: u.token });
    expect(thin.body.data).toEqual([]);
  });

  it("serves the documented fields over HTTP once a pattern exists", async () => {
    const u = await makeUser({ timezone: TZ });
    const today = Temporal.Now.plainDateISO(TZ);
    for (const back of [1, 2, 3, 4]) await entry(u, today.subtract({ days: back }), "14:00", 60, "studying");
    const res = await api("GET", "/api/bulk/suggestions", { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
    const s = res.body.data[0];
    expect(s).toMatchObject({ name: "Afternoon Studying", status: "studying", customStatus: "", startTime: "14:00", endTime: "15:00" });
    expect(["daily", "weekdays", "weekly"]).toContain(s.repeat);
    expect(s.confidence).toBeGreaterThan(0);
    expect(s.confidence).toBeLessThanOrEqual(1);
    expect((await api("GET", "/api/bulk/suggestions")).status).toBe(401);
  });
});

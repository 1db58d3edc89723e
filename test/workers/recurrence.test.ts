import { describe, expect, it } from "vitest";
import {
  latestOccurrenceStartingBy,
  nextOccurrenceStartingAfter,
  occurrencesBetween,
  occurrenceStartingAt,
  type RecurrenceRule,
} from "../../src/domain/recurrence";
import { api, makeUser } from "./helpers";

const t = (s: string) => Date.parse(s);
const isoList = (occ: { start: number; end: number }[]) =>
  occ.map((o) => [new Date(o.start).toISOString(), new Date(o.end).toISOString()]);
const rule = (start: string, end: string, repeat: string): RecurrenceRule => ({ startTime: t(start), endTime: t(end), repeat });

describe("recurrence across daylight-saving changes", () => {
  it("daily 09:00-10:00 New York keeps local time over the March 2026 spring-forward", () => {
    // Fri 2026-03-06 09:00 EST = 14:00Z; DST starts Sun 2026-03-08
    const r = rule("2026-03-06T14:00:00Z", "2026-03-06T15:00:00Z", "daily");
    const occ = occurrencesBetween(r, "America/New_York", t("2026-03-06T00:00:00Z"), t("2026-03-10T00:00:00Z"));
    expect(isoList(occ)).toEqual([
      ["2026-03-06T14:00:00.000Z", "2026-03-06T15:00:00.000Z"],
      ["2026-03-07T14:00:00.000Z", "2026-03-07T15:00:00.000Z"],
      ["2026-03-08T13:00:00.000Z", "2026-03-08T14:00:00.000Z"],
      ["2026-03-09T13:00:00.000Z", "2026-03-09T14:00:00.000Z"],
    ]);
  });

  it("daily New York keeps local time over the November 2026 fall-back", () => {
    // Sat 2026-10-31 09:00 EDT = 13:00Z; standard time from Sun 2026-11-01
    const r = rule("2026-10-31T13:00:00Z", "2026-10-31T13:30:00Z", "daily");
    const occ = occurrencesBetween(r, "America/New_York", t("2026-10-31T00:00:00Z"), t("2026-11-03T00:00:00Z"));
    expect(isoList(occ)).toEqual([
      ["2026-10-31T13:00:00.000Z", "2026-10-31T13:30:00.000Z"],
      ["2026-11-01T14:00:00.000Z", "2026-11-01T14:30:00.000Z"],
      ["2026-11-02T14:00:00.000Z", "2026-11-02T14:30:00.000Z"],
    ]);
  });

  it("weekly Sunday 10:00 Berlin over the 2026-03-29 European change", () => {
    const r = rule("2026-03-22T09:00:00Z", "2026-03-22T10:00:00Z", "weekly"); // 10:00 CET
    const occ = occurrencesBetween(r, "Europe/Berlin", t("2026-03-01T00:00:00Z"), t("2026-04-06T00:00:00Z"));
    expect(isoList(occ)).toEqual([
      ["2026-03-22T09:00:00.000Z", "2026-03-22T10:00:00.000Z"],
      ["2026-03-29T08:00:00.000Z", "2026-03-29T09:00:00.000Z"], // 10:00 CEST
      ["2026-04-05T08:00:00.000Z", "2026-04-05T09:00:00.000Z"],
    ]);
  });

  it("a start inside the spring-forward gap moves forward by the gap; an ambiguous one takes the earlier instant", () => {
    // 02:30 New York does not exist on 2026-03-08 -> 03:30 EDT = 07:30Z
    const gap = rule("2026-03-07T07:30:00Z", "2026-03-07T08:00:00Z", "daily"); // 02:30 EST
    expect(isoList(occurrencesBetween(gap, "America/New_York", t("2026-03-08T00:00:00Z"), t("2026-03-08T23:00:00Z")))).toEqual([
      ["2026-03-08T07:30:00.000Z", "2026-03-08T08:00:00.000Z"],
    ]);
    // 01:30 happens twice on 2026-11-01: the first (EDT, 05:30Z) is used
    const amb = rule("2026-10-31T05:30:00Z", "2026-10-31T05:45:00Z", "daily"); // 01:30 EDT
    expect(isoList(occurrencesBetween(amb, "America/New_York", t("2026-11-01T00:00:00Z"), t("2026-11-01T23:00:00Z")))).toEqual([
      ["2026-11-01T05:30:00.000Z", "2026-11-01T05:45:00.000Z"],
    ]);
  });

  it("an overnight occurrence keeps its local end, so its exact length changes on the transition night", () => {
    // 22:00-06:00 New York; the night of 2026-03-07 -> 08 is one hour shorter
    const r = rule("2026-03-06T03:00:00Z", "2026-03-06T11:00:00Z", "daily"); // Thu 22:00 EST -> Fri 06:00 EST
    const occ = occurrencesBetween(r, "America/New_York", t("2026-03-07T12:00:00Z"), t("2026-03-08T12:00:00Z"));
    expect(isoList(occ)).toEqual([["2026-03-08T03:00:00.000Z", "2026-03-08T10:00:00.000Z"]]);
  });
});

describe("recurrence at month ends and weekday rules", () => {
  it("monthly on the 31st falls on the last day of shorter months and never drifts", () => {
    const r = rule("2026-01-31T10:00:00Z", "2026-01-31T11:00:00Z", "monthly");
    const starts = occurrencesBetween(r, "UTC", t("2026-01-01T00:00:00Z"), t("2026-06-01T00:00:00Z")).map((o) =>
      new Date(o.start).toISOString().slice(0, 10),
    );
    expect(starts).toEqual(["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]);
    const leap = occurrencesBetween(r, "UTC", t("2028-02-01T00:00:00Z"), t("2028-03-01T00:00:00Z"));
    expect(new Date(leap[0].start).toISOString()).toBe("2028-02-29T10:00:00.000Z");
  });

  it("monthly is evaluated on the local date, not the UTC date", () => {
    // 31 Jan 2026 23:30 in New York is 1 Feb 04:30Z; the series stays on the local 31st / month end
    const r = rule("2026-02-01T04:30:00Z", "2026-02-01T05:00:00Z", "monthly");
    const occ = occurrencesBetween(r, "America/New_York", t("2026-02-02T00:00:00Z"), t("2026-04-02T00:00:00Z"));
    expect(isoList(occ).map((x) => x[0])).toEqual([
      "2026-03-01T04:30:00.000Z", // Sat 28 Feb 23:30 EST
      "2026-04-01T03:30:00.000Z", // Tue 31 Mar 23:30 EDT
    ]);
  });

  it("weekdays skips Saturday and Sunday; a weekend first date starts on Monday", () => {
    const fri = rule("2026-01-02T12:00:00Z", "2026-01-02T13:00:00Z", "weekdays"); // Friday
    const days = occurrencesBetween(fri, "UTC", t("2026-01-01T00:00:00Z"), t("2026-01-10T00:00:00Z")).map((o) =>
      new Date(o.start).toISOString().slice(0, 10),
    );
    expect(days).toEqual(["2026-01-02", "2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"]);
    const sat = rule("2026-01-03T12:00:00Z", "2026-01-03T13:00:00Z", "weekdays");
    const first = occurrencesBetween(sat, "UTC", t("2026-01-01T00:00:00Z"), t("2026-01-10T00:00:00Z"))[0];
    expect(new Date(first.start).toISOString()).toBe("2026-01-05T12:00:00.000Z");
  });

  it("weekdays uses the local weekday: Friday 20:00 in Los Angeles is Saturday in UTC", () => {
    const r = rule("2026-01-03T04:00:00Z", "2026-01-03T05:00:00Z", "weekdays"); // Fri 2 Jan 20:00 PST
    const occ = occurrencesBetween(r, "America/Los_Angeles", t("2026-01-03T00:00:00Z"), t("2026-01-07T00:00:00Z"));
    expect(isoList(occ).map((x) => x[0])).toEqual(["2026-01-03T04:00:00.000Z", "2026-01-06T04:00:00.000Z"]); // Fri, Mon
  });

  it("none has exactly one occurrence", () => {
    const r = rule("2026-05-01T09:00:00Z", "2026-05-01T10:00:00Z", "none");
    expect(occurrencesBetween(r, "UTC", t("2026-01-01T00:00:00Z"), t("2027-01-01T00:00:00Z"))).toHaveLength(1);
    expect(nextOccurrenceStartingAfter(r, "UTC", t("2026-05-01T09:00:00Z"))).toBeNull();
    expect(latestOccurrenceStartingBy(r, "UTC", t("2026-04-30T00:00:00Z"))).toBeNull();
  });

  it("overlapping windows include an occurrence already in progress", () => {
    const r = rule("2026-01-05T09:00:00Z", "2026-01-05T17:00:00Z", "daily");
    const occ = occurrencesBetween(r, "UTC", t("2026-01-06T12:00:00Z"), t("2026-01-06T13:00:00Z"));
    expect(isoList(occ)).toEqual([["2026-01-06T09:00:00.000Z", "2026-01-06T17:00:00.000Z"]]);
  });
});

describe("lookups far from the first occurrence agree with a step-by-step walk", () => {
  const cases: [string, RecurrenceRule][] = [
    ["daily", rule("2026-01-01T14:00:00Z", "2026-01-01T15:00:00Z", "daily")],
    ["weekdays", rule("2026-01-01T14:00:00Z", "2026-01-01T15:00:00Z", "weekdays")],
    ["weekly", rule("2026-01-01T14:00:00Z", "2026-01-01T15:00:00Z", "weekly")],
    ["monthly", rule("2026-01-31T14:00:00Z", "2026-01-31T15:00:00Z", "monthly")],
  ];
  for (const [name, r] of cases) {
    it(`${name}: latest/next around a point years later`, () => {
      const tz = "America/New_York";
      const probe = t("2030-11-03T14:30:00Z");
      // brute force from the start
      const all = occurrencesBetween(r, tz, t("2026-01-01T00:00:00Z"), t("2031-01-01T00:00:00Z"), 5000);
      const before = all.filter((o) => o.start <= probe).at(-1)!;
      const after = all.find((o) => o.start > probe)!;
      expect(latestOccurrenceStartingBy(r, tz, probe)?.start).toBe(before.start);
      expect(nextOccurrenceStartingAfter(r, tz, probe)?.start).toBe(after.start);
      expect(occurrenceStartingAt(r, tz, after.start)?.end).toBe(after.end);
      expect(occurrenceStartingAt(r, tz, after.start + 60_000)).toBeNull();
      // every local start stays at 09:00 New York (14:00Z in winter, 13:00Z in summer)
      for (const o of all) expect(["13:00", "14:00"]).toContain(new Date(o.start).toISOString().slice(11, 16));
    });
  }
});

describe("schedules whose series began long ago", () => {
  const now = Date.parse("2026-03-10T12:00:00Z");
  const rule = (start: string, repeat: string) => ({ startTime: Date.parse(start), endTime: Date.parse(start) + 3_600_000, repeat });

  it("a daily series from the year 1000 still has its next occurrences (the walk used to give up after 20,000 candidates)", () => {
    const daily = rule("1000-01-01T09:00:00Z", "daily");
    expect(nextOccurrenceStartingAfter(daily, "UTC", now)?.start).toBe(Date.parse("2026-03-11T09:00:00Z"));
    expect(latestOccurrenceStartingBy(daily, "UTC", now)?.start).toBe(Date.parse("2026-03-10T09:00:00Z"));
    expect(occurrencesBetween(daily, "UTC", now, now + 7 * 86_400_000, 10).map((o) => new Date(o.start).toISOString())).toEqual(
      [11, 12, 13, 14, 15, 16, 17].map((d) => `2026-03-${d}T09:00:00.000Z`),
    );
  });

  it("weekly, weekdays and monthly series from 1900 land on the right dates (in New York, across DST)", () => {
    const tz = "America/New_York";
    // 1900-01-01 was a Monday; 09:00 EST
    expect(new Date(nextOccurrenceStartingAfter(rule("1900-01-01T14:00:00Z", "weekly"), tz, now)!.start).toISOString()).toBe("2026-03-16T13:00:00.000Z");
    expect(new Date(nextOccurrenceStartingAfter(rule("1900-01-06T14:00:00Z", "weekdays"), tz, now)!.start).toISOString()).toBe("2026-03-10T13:00:00.000Z");
    expect(new Date(nextOccurrenceStartingAfter(rule("1900-01-31T14:00:00Z", "monthly"), tz, now)!.start).toISOString()).toBe("2026-03-31T13:00:00.000Z");
  });

  it("GET /api/status/schedules/upcoming lists them", async () => {
    const u = await makeUser();
    const created = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "busy", startTime: "1000-01-01T09:00:00Z", endTime: "1000-01-01T10:00:00Z", repeat: "daily" },
    });
    expect(created.status).toBe(201);
    const upcoming = await api("GET", "/api/status/schedules/upcoming?limit=3", { token: u.token });
    expect(upcoming.status).toBe(200);
    expect(upcoming.body.data).toHaveLength(3);
    for (const o of upcoming.body.data) expect(o.startTime).toMatch(/T09:00:00\.000Z$/);
  });
});

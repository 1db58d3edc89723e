/**
 * Schedules acting on time: the user's UserHub alarm applies a schedule's
 * start and end; the cron catches up what an alarm missed, never twice.
 * Short real windows (a couple of seconds) stand in for "time passes".
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq, isNull, lte } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { statusHistory, statusSchedules, users } from "../../src/db/schema";
import { applyDueScheduleEvents, nextScheduleEventAt, scheduleSource } from "../../src/domain/schedule-runner";
import { setStatus } from "../../src/domain/status";
import { runCron } from "../../src/jobs/cron";
import { objectId } from "../../src/lib/ids";
import { api, makeUser, type TestUser } from "./helpers";
import { hubStub } from "./objects";

const db = createDb(env.DB);
const hubOf = (u: TestUser) => hubStub(u._id);
const alarmOf = (u: TestUser) => runInDurableObject(hubOf(u), (_i, state) => state.storage.getAlarm());
const row = (u: TestUser) => db.select().from(users).where(eq(users.id, u._id)).get();
const history = (u: TestUser) =>
  db.select().from(statusHistory).where(eq(statusHistory.userId, u._id)).orderBy(statusHistory.startTime, statusHistory.id).all();
const openEntries = (u: TestUser) =>
  db.select().from(statusHistory).where(and(eq(statusHistory.userId, u._id), isNull(statusHistory.endTime))).all();
const iso = (ms: number) => new Date(ms).toISOString();
/**
 * Runs the user's alarm on purpose. An alarm armed for "now" also fires by
 * itself at once; moving it out of the way first makes this run the one
 * that applies (or a no-op if the real one already did: same outcome).
 */
async function fireAlarm(u: TestUser) {
  await runInDurableObject(hubOf(u), (_i, state) => state.storage.setAlarm(Date.now() + 3_600_000));
  return runDurableObjectAlarm(hubOf(u));
}
const sleepUntil = async (t: number) => {
  while (Date.now() <= t) await new Promise((r) => setTimeout(r, Math.max(10, t - Date.now() + 20)));
};

async function createSchedule(u: TestUser, body: Record<string, unknown>) {
  const res = await api("POST", `/api/users/${u._id}/schedules`, { token: u.token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data as { _id: string };
}

/** Stores a schedule without arming the user's timer (as if its alarm was lost), for tests that drive the runner. */
async function insertSchedule(u: TestUser, f: { status: string; customStatus?: string; startTime: number; endTime: number; repeat?: string }) {
  const id = objectId();
  await db.insert(statusSchedules).values({
    id,
    userId: u._id,
    status: f.status,
    customStatus: f.customStatus ?? "",
    startTime: new Date(f.startTime),
    endTime: new Date(f.endTime),
    repeat: f.repeat ?? "none",
  });
  return { _id: id };
}

describe("the user's alarm applies schedule starts and ends", () => {
  it("arms the alarm for a future start, sets the status at the start and restores the previous one at the end", async () => {
    const u = await makeUser();
    await setStatus(env, db, u._id, { status: "studying", customStatus: "Thesis" });

    // a future schedule: the alarm points at its start
    const future = Date.now() + 3_600_000;
    await createSchedule(u, { status: "away", startTime: iso(future), endTime: iso(future + 60_000) });
    expect(await alarmOf(u)).toBe(future);

    // one in progress (started a minute ago, ends in ~2 s): due now
    const end = Date.now() + 2000;
    const s = await createSchedule(u, { status: "meeting", customStatus: "Standup", startTime: iso(Date.now() - 60_000), endTime: iso(end) });
    // the timer wakes up for it right away
    expect(await nextScheduleEventAt(env, u._id, Date.now())).toBeLessThanOrEqual(Date.now());
    expect(await fireAlarm(u)).toBe(true);

    const during = await api("GET", `/api/users/${u._id}/data`, { token: u.token });
    expect(during.body.data).toMatchObject({ status: "meeting", customStatus: "Standup", statusUntil: iso(end) });
    expect((await row(u))!.statusSource).toMatch(new RegExp(`^schedule:${s._id}:\\d+$`));
    // next wake-up: the end of this occurrence
    expect(await alarmOf(u)).toBe(end);

    await sleepUntil(end);
    expect(await fireAlarm(u)).toBe(true);
    const after = await api("GET", `/api/users/${u._id}/data`, { token: u.token });
    expect(after.body.data).toMatchObject({ status: "studying", customStatus: "Thesis", statusUntil: null });
    // the meeting is in the history, closed at its end; one open entry
    const meeting = (await history(u)).find((h) => h.status === "meeting")!;
    expect(meeting.endTime!.getTime()).toBe(end);
    expect(await openEntries(u)).toHaveLength(1);
    // the next wake-up is the future schedule again
    expect(await alarmOf(u)).toBe(future);
    const sched = await db.select().from(statusSchedules).where(eq(statusSchedules.id, s._id)).get();
    expect(sched!.lastStartApplied).toBe(sched!.startTime.getTime());
    expect(sched!.lastEndApplied).toBe(sched!.startTime.getTime());
  });

  it("does not restore when the user changed the status meanwhile", async () => {
    const u = await makeUser();
    await setStatus(env, db, u._id, { status: "at_home" });
    const end = Date.now() + 1500;
    await createSchedule(u, { status: "busy", startTime: iso(Date.now() - 1000), endTime: iso(end) });
    await fireAlarm(u);
    expect((await row(u))!.status).toBe("busy");
    const put = await api("PUT", "/api/status-management", { token: u.token, body: { status: "driving" } });
    expect(put.status).toBe(200);
    await sleepUntil(end);
    await fireAlarm(u);
    expect(await row(u)).toMatchObject({ status: "driving", statusSource: "user" });
  });

  it("a user-set status with a duration that is still running comes back with its expiry", async () => {
    const u = await makeUser();
    const put = await api("PUT", "/api/status-management", { token: u.token, body: { status: "working_out", duration: 60 } });
    const until = put.body.data.statusUntil;
    const end = Date.now() + 1500;
    await createSchedule(u, { status: "eating", startTime: iso(Date.now() - 1000), endTime: iso(end) });
    await fireAlarm(u);
    expect((await row(u))!.status).toBe("eating");
    await sleepUntil(end);
    await fireAlarm(u);
    const data = (await api("GET", `/api/users/${u._id}/data`, { token: u.token })).body.data;
    expect(data).toMatchObject({ status: "working_out", statusUntil: until });
  });

  it("overlapping (calendar) schedules nest: the later start wins and the interrupted one comes back", async () => {
    const u = await makeUser();
    const now = Date.now();
    const aEnd = now + 3000;
    const bEnd = now + 1500;
    const base = { userId: u._id, repeat: "none", active: true, source: "google", createdAt: new Date(), updatedAt: new Date() };
    await db.insert(statusSchedules).values([
      { ...base, id: objectId(), status: "meeting", customStatus: "Review", startTime: new Date(now - 60_000), endTime: new Date(aEnd), externalId: `a-${now}` },
      { ...base, id: objectId(), status: "custom", customStatus: "Call", startTime: new Date(now - 30_000), endTime: new Date(bEnd), externalId: `b-${now}` },
    ]);
    expect(await applyDueScheduleEvents(env, u._id, Date.now())).toBe(2);
    expect(await row(u)).toMatchObject({ status: "custom", customStatus: "Call" });
    await sleepUntil(bEnd);
    await applyDueScheduleEvents(env, u._id, Date.now());
    const mid = await row(u);
    expect(mid).toMatchObject({ status: "meeting", customStatus: "Review" });
    expect(mid!.statusUntil!.getTime()).toBe(aEnd);
    await sleepUntil(aEnd);
    await applyDueScheduleEvents(env, u._id, Date.now());
    expect(await row(u)).toMatchObject({ status: "available", customStatus: "", statusUntil: null });
  });
});

describe("restore stack hygiene", () => {
  it("a stack left behind by a status set by hand is not restored later", async () => {
    const u = await makeUser();
    await setStatus(env, db, u._id, { status: "at_home" });
    // occurrence A runs; the user then sets a short status by hand (A's saved status stays behind)
    await insertSchedule(u, { status: "meeting", startTime: Date.now() - 60_000, endTime: Date.now() + 3_600_000 });
    expect(await applyDueScheduleEvents(env, u._id, Date.now())).toBe(1);
    const put = await api("PUT", "/api/status-management", { token: u.token, body: { status: "driving", duration: 0.05 } });
    expect(put.status).toBe(200);
    // occurrence B starts while driving; driving expires during B
    const bEnd = Date.now() + 3500;
    await insertSchedule(u, { status: "eating", startTime: Date.now() - 1000, endTime: bEnd });
    expect(await applyDueScheduleEvents(env, u._id, Date.now())).toBe(1);
    expect((await row(u))!.status).toBe("eating");
    await sleepUntil(bEnd);
    await fireAlarm(u);
    await applyDueScheduleEvents(env, u._id, Date.now());
    // driving had expired, and nothing older is resurrected (not A's saved at_home)
    expect(await row(u)).toMatchObject({ status: "available", statusUntil: null });
  });
});

describe("catching up", () => {
  it("applies only the latest occurrence whose window is still open, and skips closed ones", async () => {
    const u = await makeUser();
    const now = Date.now();
    // a daily schedule that began ten days ago; today's occurrence is open (started 30 min ago)
    const open = await insertSchedule(u, {
      status: "at_work",
      startTime: now - 10 * 86_400_000 - 1_800_000,
      endTime: now - 10 * 86_400_000 + 1_800_000,
      repeat: "daily",
    });
    // another daily one whose today's window already closed
    await insertSchedule(u, {
      status: "eating",
      startTime: now - 10 * 86_400_000 - 4 * 3_600_000,
      endTime: now - 10 * 86_400_000 - 3 * 3_600_000,
      repeat: "daily",
    });
    const before = (await history(u)).length;
    expect(await applyDueScheduleEvents(env, u._id, Date.now())).toBe(1);
    const r = await row(u);
    expect(r!.status).toBe("at_work");
    expect(r!.statusSource).toBe(scheduleSource(open._id, now - 1_800_000));
    expect(r!.statusUntil!.getTime()).toBe(now + 1_800_000);
    // one history entry for the applied start (plus the registration entry on a first change)
    expect((await history(u)).filter((h) => h.status === "eating")).toHaveLength(0);
    expect((await history(u)).filter((h) => h.status === "at_work")).toHaveLength(1);
    expect((await history(u)).length).toBeGreaterThan(before);
  });

  it("the cron applies a start the alarm missed, once: cron again, a late alarm and concurrent runs do nothing", async () => {
    const u = await makeUser();
    const other = await makeUser();
    // stored with its wake time recorded, but the user's object never got to arm for it (as if the alarm was lost)
    const s = await insertSchedule(u, { status: "dnd", customStatus: "Focus", startTime: Date.now() - 5000, endTime: Date.now() + 3_600_000 });
    await db.update(users).set({ nextWakeAt: new Date(Date.now() - 5000) }).where(eq(users.id, u._id));
    expect(await alarmOf(u)).toBeNull();
    await createSchedule(other, { status: "away", startTime: iso(Date.now() + 3_600_000), endTime: iso(Date.now() + 7_200_000) });

    await runCron(env, Date.now());
    expect(await row(u)).toMatchObject({ status: "dnd", customStatus: "Focus" });
    expect((await row(other))!.status).toBe("available");
    const count = (await history(u)).length;

    await runCron(env, Date.now());
    await runDurableObjectAlarm(hubOf(u));
    const results = await Promise.all([1, 2, 3].map(() => applyDueScheduleEvents(env, u._id, Date.now())));
    expect(results).toEqual([0, 0, 0]);
    expect((await history(u)).length).toBe(count);
    expect(await openEntries(u)).toHaveLength(1);
    const sched = await db.select().from(statusSchedules).where(eq(statusSchedules.id, s._id)).get();
    expect(sched!.lastStartApplied).toBe(sched!.startTime.getTime());
  });

  it("a cron run reads only the users whose wake time has passed, and moves their wake time on", async () => {
    const due = await makeUser();
    const later = await Promise.all([1, 2, 3].map(() => makeUser()));
    const idle = await makeUser();
    // the later ones are armed through the API: their wake time is their schedule's start
    for (const u of later) {
      await createSchedule(u, { status: "away", startTime: iso(Date.now() + 3_600_000), endTime: iso(Date.now() + 7_200_000) });
      expect((await row(u))!.nextWakeAt!.getTime()).toBeGreaterThan(Date.now());
    }
    expect((await row(idle))!.nextWakeAt).toBeNull();
    // the due one: a start whose alarm was lost
    await insertSchedule(due, { status: "meeting", startTime: Date.now() - 5000, endTime: Date.now() + 3_600_000 });
    await db.update(users).set({ nextWakeAt: new Date(Date.now() - 5000) }).where(eq(users.id, due._id));

    const report = await runCron(env, Date.now());
    expect(report.visited).toContain(due._id);
    for (const u of [...later, idle]) expect(report.visited).not.toContain(u._id);
    const overdue = await db.select({ id: users.id }).from(users).where(lte(users.nextWakeAt, new Date())).all();
    expect(overdue.map((r) => r.id)).not.toContain(due._id);
    expect((await row(due))!.status).toBe("meeting");
    // re-armed: its next wake time is the occurrence's end, and its alarm is set again
    expect((await row(due))!.nextWakeAt!.getTime()).toBe((await row(due))!.statusUntil!.getTime());
    expect(await alarmOf(due)).not.toBeNull();

    // nothing is due any more: the next run reads none of them
    const again = await runCron(env, Date.now());
    for (const u of [due, ...later, idle]) expect(again.visited).not.toContain(u._id);
  });

  it("two runners racing on a due start apply it exactly once", async () => {
    const u = await makeUser();
    await insertSchedule(u, { status: "commuting", startTime: Date.now() - 1000, endTime: Date.now() + 600_000 });
    const before = (await history(u)).length;
    const results = await Promise.all([1, 2, 3, 4].map(() => applyDueScheduleEvents(env, u._id, Date.now())));
    expect(results.reduce((a, b) => a + b, 0)).toBe(1);
    const entries = (await history(u)).filter((h) => h.status === "commuting");
    expect(entries).toHaveLength(1);
    expect((await history(u)).length).toBeLessThanOrEqual(before + 2);
    expect(await openEntries(u)).toHaveLength(1);
  });
});

describe("nextScheduleEventAt", () => {
  it("is the next occurrence start, in the user's time zone; null without schedules", async () => {
    const u = await makeUser({ timezone: "Europe/Berlin" });
    expect(await nextScheduleEventAt(env, u._id, Date.now())).toBeNull();
    // weekly, Sundays 10:00 Berlin, first on 2026-03-22 (CET)
    await createSchedule(u, { status: "sleeping", startTime: "2026-03-22T09:00:00.000Z", endTime: "2026-03-22T10:00:00.000Z", repeat: "weekly" });
    // asked on the Saturday before the change, the next start is 10:00 CEST on 2026-03-29
    expect(await nextScheduleEventAt(env, u._id, Date.parse("2026-03-28T12:00:00Z"))).toBe(Date.parse("2026-03-29T08:00:00Z"));
  });
});

describe("changing the profile time zone", () => {
  it("re-arms the user's timer: a schedule's next start moves with its local wall-clock time", async () => {
    const u = await makeUser({ timezone: "America/New_York" });
    const hub = hubStub(u._id);
    const alarm = () => runInDurableObject(hub, (_i, state) => state.storage.getAlarm());
    // daily, one hour starting six hours of the clock away from now (so no occurrence is in progress
    // while the test runs, whatever the time of day, in New York summer or winter time alike)
    const hour = String((new Date().getUTCHours() + 6) % 24).padStart(2, "0");
    const created = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "meeting", startTime: `2025-07-01T${hour}:00:00Z`, endTime: `2025-07-01T${hour}:59:00Z`, repeat: "daily" },
    });
    expect(created.status).toBe(201);
    const next = (await api("GET", "/api/status/schedules/upcoming?limit=1", { token: u.token })).body.data[0];
    const before = await alarm();
    expect(before).toBe(Date.parse(next.startTime));

    const moved = await api("PUT", "/api/users/profile", { token: u.token, body: { timezone: "Asia/Tokyo" } });
    expect(moved.status).toBe(200);
    const nextTokyo = (await api("GET", "/api/status/schedules/upcoming?limit=1", { token: u.token })).body.data[0];
    // Tokyo has no DST: every occurrence starts at the first one's UTC hour (in New York, winter moved it by one)
    expect(nextTokyo.startTime).toMatch(new RegExp(`T${hour}:00:00\\.000Z$`));
    expect(await alarm()).toBe(Date.parse(nextTokyo.startTime));
  });
});

/**
 * Regression tests from the review of the REST and domain code: each block
 * names the defect it guards against.
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { Hono } from "hono";
import { inArray } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { createDb } from "../../src/db/client";
import { conversationMetadata, friendships, users } from "../../src/db/schema";
import { latestOccurrenceStartingBy, nextOccurrenceStartingAfter, occurrencesBetween } from "../../src/domain/recurrence";
import { blockersAmong } from "../../src/domain/relations";
import { createUser, findUsersByRefs, updateProfile } from "../../src/domain/users";
import { ApiError, onError } from "../../src/lib/errors";
import { objectId, uuid } from "../../src/lib/ids";
import { api, BASE, makeUser } from "./helpers";

const db = () => createDb(env.DB);

/** `n` plain user rows, inserted in one batch (no token needed). */
async function insertUsers(n: number, isOnline = false) {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: objectId(),
    userId: uuid(),
    name: `Bulk ${String(i).padStart(3, "0")}`,
    username: `bulk-${crypto.randomUUID().slice(0, 13)}`,
    isOnline,
  }));
  const d = db();
  await d.batch(rows.map((r) => d.insert(users).values(r)) as [any, ...any[]]);
  return rows;
}

describe("lists longer than D1's 100 bound parameters", () => {
  it("GET /api/friends with 120 friends answers all of them, presence hidden only where the friend blocked the caller", async () => {
    const me = await makeUser();
    const friends = await insertUsers(120, true);
    const d = db();
    await d.batch(
      friends.map((f) =>
        d.insert(friendships).values([
          { userId: me._id, friendId: f.id },
          { userId: f.id, friendId: me._id },
        ]),
      ) as [any, ...any[]],
    );
    await d.insert(conversationMetadata).values({ id: objectId(), userId: friends[7].id, otherUserId: me._id, isBlocked: true });

    const r = await api("GET", "/api/friends", { token: me.token });
    expect(r.status).toBe(200);
    expect(r.body.friends).toHaveLength(120);
    const blocker = r.body.friends.find((f: any) => f._id === friends[7].id);
    expect(blocker).toMatchObject({ isOnline: false, lastSeen: null });
    expect(r.body.friends.filter((f: any) => f.isOnline === true)).toHaveLength(119);
  });

  it("findUsersByRefs resolves 150 refs of both id forms", async () => {
    const rows = await insertUsers(150);
    const refs = rows.map((r, i) => (i % 2 ? r.id : r.userId.toUpperCase()));
    const found = await findUsersByRefs(db(), refs);
    expect(found.map((u) => u.id).sort()).toEqual(rows.map((r) => r.id).sort());
  });

  it("blockersAmong checks 150 candidates", async () => {
    const me = await makeUser();
    const rows = await insertUsers(150);
    await db().insert(conversationMetadata).values({ id: objectId(), userId: rows[140].id, otherUserId: me._id, isBlocked: true });
    const blockers = await blockersAmong(db(), me._id, rows.map((r) => r.id));
    expect([...blockers]).toEqual([rows[140].id]);
  });

  it("POST /api/contacts/status-list with 200 ids (half UUIDs) lists every one in request order", async () => {
    const me = await makeUser();
    const rows = await insertUsers(200);
    const refs = rows.map((r, i) => (i % 2 ? r.userId : r.id));
    const r = await api("POST", "/api/contacts/status-list", { token: me.token, body: { contactIds: refs } });
    expect(r.status).toBe(200);
    expect(r.body.data.map((u: any) => u._id)).toEqual(rows.map((x) => x.id));
  });
});

describe("raw text uploads keep their bytes and type", () => {
  async function upload(token: string, body: Uint8Array | string) {
    const res = await exports.default.fetch(
      new Request(`${BASE}/api/uploads`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" }, body }),
    );
    return { status: res.status, body: (await res.json()) as any };
  }
  async function download(token: string, url: string) {
    const res = await exports.default.fetch(new Request(`${BASE}${new URL(url).pathname}`, { headers: { authorization: `Bearer ${token}` } }));
    return new Uint8Array(await res.arrayBuffer());
  }

  it("a text/plain file that starts with '{' is stored as text/plain (was refused as application/json)", async () => {
    const u = await makeUser();
    const r = await upload(u.token, '{"not": "a request"}');
    expect(r.status).toBe(201);
    expect(r.body.data).toMatchObject({ contentType: "text/plain", size: 20 });
    expect(new TextDecoder().decode(await download(u.token, r.body.data.url))).toBe('{"not": "a request"}');
  });

  it("a text/plain file that is not UTF-8 is stored byte for byte", async () => {
    const u = await makeUser();
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café\n" in ISO-8859-1
    const r = await upload(u.token, latin1);
    expect(r.status).toBe(201);
    expect(r.body.data.size).toBe(5);
    expect(await download(u.token, r.body.data.url)).toEqual(latin1);
  });
});

describe("PUT /api/users/profile", () => {
  it("null clears the profile image under any of its names", async () => {
    const u = await makeUser();
    for (const field of ["profileImage", "photoURL", "profile_image"]) {
      const set = await api("PUT", "/api/users/profile", { token: u.token, body: { [field]: "https://img.example/a.png" } });
      expect(set.status).toBe(200);
      expect(set.body.profileImage).toBe("https://img.example/a.png");
      const cleared = await api("PUT", "/api/users/profile", { token: u.token, body: { [field]: null } });
      expect(cleared.status).toBe(200);
      expect(cleared.body).toMatchObject({ profileImage: null, photoURL: null, profile_image: null });
    }
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

describe("concurrent writes that race a unique index", () => {
  it("registrations whose emails share a local part all succeed with distinct derived usernames", async () => {
    const local = `sam${crypto.randomUUID().slice(0, 6)}`;
    const made = await Promise.all([1, 2, 3].map((i) => createUser(db(), { name: "Sam", email: `${local}@d${i}.example.com` })));
    expect(new Set(made.map((u) => u.username))).toEqual(new Set([local, `${local}2`, `${local}3`]));
  });

  it("a derived username continues past the highest numbered handle", async () => {
    const local = `kim${crypto.randomUUID().slice(0, 6)}`;
    await createUser(db(), { name: "Kim", email: `${local}@a.example.com` });
    await createUser(db(), { name: "Kim", email: `x${local}@a.example.com`, username: `${local}7` });
    await createUser(db(), { name: "Kim", email: `y${local}@a.example.com`, username: `${local}7b` });
    const next = await createUser(db(), { name: "Kim", email: `${local}@b.example.com` });
    expect(next.username).toBe(`${local}8`);
  });

  it("two profiles taking the same email at once: one 200, one 400 naming email (was a 500)", async () => {
    const tag = crypto.randomUUID().slice(0, 6);
    const [a, b] = await Promise.all([createUser(db(), { name: "A", email: `a${tag}@x.example.com` }), createUser(db(), { name: "B", email: `b${tag}@x.example.com` })]);
    const results = await Promise.allSettled([a, b].map((u) => updateProfile(db(), u, { email: `same${tag}@x.example.com` })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(failed.reason).toBeInstanceOf(ApiError);
    expect(failed.reason).toMatchObject({ status: 400, message: "email: already in use by another account" });
  });

  it("registering an email that a concurrent registration took is a 400, not a 500", async () => {
    const email = `dup${crypto.randomUUID().slice(0, 6)}@x.example.com`;
    const results = await Promise.allSettled([1, 2].map(() => createUser(db(), { name: "Dup", email })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ status: 400, message: "User already exists with this email" });
  });
});

/**
 * The REST app over a D1 binding that counts the statements it runs (a batch
 * counts once: it is one round trip).
 */
function countingApp() {
  const counter = { roundTrips: 0 };
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => wrap(target.bind(...args));
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "all" || prop === "run" || prop === "raw" || prop === "first") {
          return (...args: unknown[]) => {
            counter.roundTrips++;
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
    real.set(proxy, stmt);
    return proxy;
  };
  const DB = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query));
      if (prop === "batch")
        return (stmts: D1PreparedStatement[]) => {
          counter.roundTrips++;
          return target.batch(stmts.map((s) => real.get(s) ?? s));
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const app = createApp();
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    counter.roundTrips = 0;
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await app.fetch(
      new Request(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
      { ...env, DB },
      { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
    );
    return { status: res.status, body: (await res.json()) as any, roundTrips: counter.roundTrips };
  };
  return call;
}

describe("D1 round trips per request", () => {
  it("the caller's own row is read once, by the auth middleware", async () => {
    const u = await makeUser();
    const call = countingApp();
    const me = await call("GET", "/api/users/me", u.token);
    expect(me).toMatchObject({ status: 200, roundTrips: 1 });
    expect(me.body._id).toBe(u._id);
    const status = await call("GET", "/api/status-management", u.token);
    expect(status).toMatchObject({ status: 200, roundTrips: 1 });
    expect(status.body.data.userId).toBe(u.userId);
    const data = await call("GET", `/api/users/${u.userId}/data`, u.token);
    expect(data).toMatchObject({ status: 200, roundTrips: 1 });
    expect(data.body.data._id).toBe(u._id);
    // owner-only list: auth + one batch (page and count)
    const history = await call("GET", `/api/users/${u._id}/history`, u.token);
    expect(history).toMatchObject({ status: 200, roundTrips: 2 });
  });

  it("another user's status, by id or by phone, is one query after auth", async () => {
    const [u, other] = [await makeUser(), await makeUser()];
    const call = countingApp();
    const byId = await call("GET", `/api/status-management/${other.userId}`, u.token);
    expect(byId).toMatchObject({ status: 200, roundTrips: 2 });
    expect(byId.body.data).toMatchObject({ _id: other._id, status: "available" });
    const byPhone = await call("GET", `/api/contacts/phone/${encodeURIComponent(other.phoneNumber)}/status`, u.token);
    expect(byPhone).toMatchObject({ status: 200, roundTrips: 2 });
    expect(byPhone.body.data).toMatchObject({ _id: other._id, status: "available" });

    await db().insert(conversationMetadata).values({ id: objectId(), userId: other._id, otherUserId: u._id, isBlocked: true });
    expect((await call("GET", `/api/status-management/${other._id}`, u.token)).status).toBe(403);
    expect((await call("GET", `/api/contacts/phone/${encodeURIComponent(other.phoneNumber)}/status`, u.token)).status).toBe(403);
    expect((await call("GET", `/api/status-management/${uuid()}`, u.token)).status).toBe(404);
  });

  it("POST /api/contacts/filter with 200 numbers (the most per request) is one batch after auth, and finds the registered ones in list order", async () => {
    const me = await makeUser();
    const [a, b] = [await makeUser(), await makeUser()];
    const numbers = Array.from({ length: 198 }, (_, i) => `+1 (303) 555-${String(i).padStart(4, "0")}`);
    numbers.splice(50, 0, b.phoneNumber);
    numbers.splice(150, 0, a.phoneNumber);
    const call = countingApp();
    const r = await call("POST", "/api/contacts/filter", me.token, { phoneNumbers: numbers });
    expect(r).toMatchObject({ status: 200, roundTrips: 2 });
    expect(r.body.users.map((u: any) => u._id)).toEqual([b._id, a._id]);
    const list = await call("POST", "/api/contacts/status-list", me.token, { contactIds: [a.userId, b._id, ...Array.from({ length: 200 }, () => objectId())] });
    expect(list.status).toBe(200);
    expect(list.body.data.map((u: any) => u._id)).toEqual([a._id, b._id]);
  });

  it("POST /api/friends/requests: auth, target, one batch of checks, insert", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const call = countingApp();
    const sent = await call("POST", "/api/friends/requests", a.token, { userId: b.userId });
    expect(sent).toMatchObject({ status: 201, roundTrips: 4 });
    expect(sent.body).toMatchObject({ status: "pending", from: { _id: a._id, name: a.name }, to: { _id: b._id, name: b.name } });
    expect((await call("POST", "/api/friends/requests", a.token, { userId: b._id })).status).toBe(409);
    const back = await call("POST", "/api/friends/requests", b.token, { userId: a._id });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ status: "accepted", from: { _id: a._id }, to: { _id: b._id } });
    const again = await call("POST", "/api/friends/requests", a.token, { userId: b._id });
    expect(again).toMatchObject({ status: 409, body: { message: "Already friends" } });
    const c = await makeUser();
    await db().insert(conversationMetadata).values({ id: objectId(), userId: c._id, otherUserId: a._id, isBlocked: true });
    expect(await call("POST", "/api/friends/requests", a.token, { userId: c._id })).toMatchObject({ status: 403, body: { message: "Access denied" } });
  });

  it("owner-only routes still answer 403 for another user and 404 for nobody", async () => {
    const [u, other] = [await makeUser(), await makeUser()];
    const call = countingApp();
    for (const path of ["data", "profile", "history", "analytics", "templates", "schedules"]) {
      const theirs = await call("GET", `/api/users/${other.userId}/${path}`, u.token);
      expect(theirs.status).toBe(403);
      expect(theirs.body.message).toMatch(/^Not authorized to access this user's/);
      const nobody = await call("GET", `/api/users/${objectId()}/${path}`, u.token);
      expect(nobody.status).toBe(404);
    }
  });
});

describe("unexpected errors", () => {
  it("a failed query is logged without its bound values, and answered as a plain 500", async () => {
    const app = new Hono();
    const hash = "scrypt$16384$8$1$c2FsdA==$c2VjcmV0LWhhc2g=";
    app.get("/", () => {
      throw new DrizzleQueryError('insert into "users" ("email", "password_hash") values (?, ?)', ["a@example.com", hash], new Error("D1_ERROR: disk I/O error"));
    });
    app.onError(onError);
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const res = await app.request("/");
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ success: false, statusCode: 500, message: "Internal server error" });
      const logged = spy.mock.calls.map((args) => args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(" ")).join("\n");
      expect(logged).toContain('insert into "users"');
      expect(logged).toContain("disk I/O error");
      expect(logged).not.toContain(hash);
      expect(logged).not.toContain("a@example.com");
    } finally {
      spy.mockRestore();
    }
  });
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

describe("changing the profile time zone", () => {
  it("re-arms the user's timer: a schedule's next start moves with its local wall-clock time", async () => {
    const u = await makeUser({ timezone: "America/New_York" });
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(u._id));
    const alarm = () => runInDurableObject(hub, (_i, state) => state.storage.getAlarm());
    // first occurrence 09:00-10:00 New York summer time (13:00Z), daily
    const created = await api("POST", `/api/users/${u._id}/schedules`, {
      token: u.token,
      body: { status: "meeting", startTime: "2025-07-01T13:00:00Z", endTime: "2025-07-01T14:00:00Z", repeat: "daily" },
    });
    expect(created.status).toBe(201);
    const next = (await api("GET", "/api/status/schedules/upcoming?limit=1", { token: u.token })).body.data[0];
    const before = await alarm();
    expect(before).toBe(Date.parse(next.startTime));

    const moved = await api("PUT", "/api/users/profile", { token: u.token, body: { timezone: "Asia/Tokyo" } });
    expect(moved.status).toBe(200);
    const nextTokyo = (await api("GET", "/api/status/schedules/upcoming?limit=1", { token: u.token })).body.data[0];
    // 13:00Z is 22:00 in Tokyo (no DST there): every occurrence is at 13:00Z
    expect(nextTokyo.startTime).toMatch(/T13:00:00\.000Z$/);
    expect(await alarm()).toBe(Date.parse(nextTokyo.startTime));
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
    const d = db();
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

describe("GET /api/users/search", () => {
  it("does not show a user's presence to someone they blocked", async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const [blocker, other, blocked] = [await makeUser({ name: `Zed ${tag}` }), await makeUser({ name: `Zed ${tag} two` }), await makeUser()];
    await db().update(users).set({ isOnline: true }).where(inArray(users.id, [blocker._id, other._id]));
    await db().insert(conversationMetadata).values({ id: objectId(), userId: blocker._id, otherUserId: blocked._id, isBlocked: true });
    const r = await api("GET", `/api/users/search?query=${encodeURIComponent(`Zed ${tag}`)}`, { token: blocked.token });
    expect(r.status).toBe(200);
    const byId = new Map(r.body.map((u: any) => [u._id, u]));
    expect(byId.get(blocker._id)).toMatchObject({ is_online: false, isOnline: false, name: `Zed ${tag}` });
    expect(byId.get(other._id)).toMatchObject({ is_online: true, isOnline: true });
    const seenByOther = await api("GET", `/api/users/search?query=${encodeURIComponent(`Zed ${tag}`)}`, { token: other.token });
    expect(seenByOther.body.find((u: any) => u._id === blocker._id)).toMatchObject({ is_online: true });
  });
});

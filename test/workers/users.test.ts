import { describe, expect, it } from "vitest";
import { api, countingApp, insertUsers, makeUser, registerUser, uniquePhone } from "./helpers";
import { createDb } from "../../src/db/client";
import { conversationMetadata, users } from "../../src/db/schema";
import { createUser, findUsersByRefs, updateProfile } from "../../src/domain/users";
import { ApiError } from "../../src/lib/errors";
import { objectId } from "../../src/lib/ids";
import { env } from "cloudflare:workers";
import { inArray } from "drizzle-orm";

describe("GET /api/users/:userId/data", () => {
  it("serves the owner's data by either id form", async () => {
    const u = await makeUser({ name: "Data Owner" });
    for (const ref of [u._id, u.userId]) {
      const res = await api("GET", `/api/users/${ref}/data`, { token: u.token });
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data).toMatchObject({
        _id: u._id,
        userId: u.userId,
        name: "Data Owner",
        email: u.email,
        phoneNumber: u.phoneNumber,
        status: "available",
        customStatus: "",
        statusUntil: null,
      });
      expect(Date.parse(res.body.data.createdAt)).not.toBeNaN();
      expect(Date.parse(res.body.data.updatedAt)).not.toBeNaN();
    }
  });

  it("is 403 for another user's data and 404 for an unknown user", async () => {
    const a = await makeUser();
    const b = await makeUser();
    const other = await api("GET", `/api/users/${b.userId}/data`, { token: a.token });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ success: false, statusCode: 403, error: "Forbidden" });
    const unknown = await api("GET", `/api/users/${crypto.randomUUID()}/data`, { token: a.token });
    expect(unknown.status).toBe(404);
    const bad = await api("GET", `/api/users/not-an-id/data`, { token: a.token });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("userId");
  });

  it("needs a token", async () => {
    const a = await makeUser();
    const res = await api("GET", `/api/users/${a._id}/data`);
    expect(res.status).toBe(401);
    expect(res.body.success).toBe(false);
  });
});

describe("GET /api/users/:userId/profile", () => {
  it("serves profile with history, schedules and templates arrays", async () => {
    const u = await makeUser();
    const res = await api("GET", `/api/users/${u.userId}/profile`, { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body.data.profile).toMatchObject({ _id: u._id, userId: u.userId, status: "available" });
    expect(Array.isArray(res.body.data.recentHistory)).toBe(true);
    expect(res.body.data.activeSchedules).toEqual([]);
    expect(res.body.data.templates).toEqual([]);
    const other = await makeUser();
    expect((await api("GET", `/api/users/${u._id}/profile`, { token: other.token })).status).toBe(403);
  });
});

describe("PUT /api/users/profile", () => {
  it("updates fields, normalises the phone and re-issues a working token", async () => {
    const u = await makeUser();
    const phone = uniquePhone();
    const res = await api("PUT", "/api/users/profile", {
      token: u.token,
      body: { name: "John Smith", email: `smith-${phone}@Example.com`, phoneNumber: phone, timezone: "Europe/Berlin", photoURL: "https://example.com/a.png" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      _id: u._id,
      userId: u.userId,
      name: "John Smith",
      phoneNumber: `+1${phone}`,
      email: `smith-${phone}@example.com`,
      status: "available",
      customStatus: "",
      statusUntil: null,
      timezone: "Europe/Berlin",
      profileImage: "https://example.com/a.png",
      photoURL: "https://example.com/a.png",
      profile_image: "https://example.com/a.png",
    });
    const me = await api("GET", "/api/users/me", { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body.name).toBe("John Smith");
  });

  it("changes the password so the new one logs in", async () => {
    const u = await registerUser();
    const res = await api("PUT", "/api/users/profile", { token: u.token, body: { password: "newpassword123" } });
    expect(res.status).toBe(200);
    const oldLogin = await api("POST", "/api/auth/login", { body: { phoneNumber: u.phoneNumber, password: u.password } });
    expect(oldLogin.status).toBe(401);
    const newLogin = await api("POST", "/api/auth/login", { body: { phoneNumber: u.phoneNumber, password: "newpassword123" } });
    expect(newLogin.status).toBe(200);
  });

  it("rejects bad fields and another account's email", async () => {
    const a = await makeUser();
    const b = await makeUser();
    const tz = await api("PUT", "/api/users/profile", { token: a.token, body: { timezone: "Mars/Olympus" } });
    expect(tz.status).toBe(400);
    expect(tz.body.message).toContain("timezone");
    const taken = await api("PUT", "/api/users/profile", { token: a.token, body: { email: b.email } });
    expect(taken.status).toBe(400);
    expect(taken.body.message).toContain("email");
    const vis = await api("PUT", "/api/users/profile", { token: a.token, body: { statusVisibility: "friends-only" } });
    expect(vis.status).toBe(400);
    // nothing was changed by the refused requests
    const data = await api("GET", `/api/users/${a._id}/data`, { token: a.token });
    expect(data.body.data.email).toBe(a.email);
  });
});

describe("004 users", () => {
  it("GET /api/users/me serves the 004 fields", async () => {
    const u = await makeUser({ name: "Me Myself" });
    const res = await api("GET", "/api/users/me", { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ email: u.email, name: "Me Myself", profile_image: null, is_online: false, last_seen: null, _id: u._id, userId: u.userId });
  });

  it("GET /api/users/search matches name or email, case-insensitively, not the caller", async () => {
    const tag = crypto.randomUUID().slice(0, 6);
    const me = await makeUser({ name: `Searcher ${tag}` });
    const john = await makeUser({ name: `John ${tag} Doe` });
    const byEmail = await makeUser({ name: "Someone Else", email: `johnny-${tag}@example.com` });
    await makeUser({ name: "Unrelated Person" });
    const res = await api("GET", `/api/users/search?query=${tag.toUpperCase()}`, { token: me.token });
    expect(res.status).toBe(200);
    const emails = res.body.map((u: any) => u.email).sort();
    expect(emails).toEqual([john.email, byEmail.email].sort());
    expect(res.body[0]).toHaveProperty("profile_image");
    expect(res.body[0]).toHaveProperty("is_online", false);
    const pct = await api("GET", `/api/users/search?query=%25`, { token: me.token });
    expect(pct.status).toBe(200);
    expect(pct.body).toEqual([]);
  });

  it("GET /api/users/search without query is 422 with detail", async () => {
    const me = await makeUser();
    const res = await api("GET", "/api/users/search", { token: me.token });
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain("query");
  });
});

describe("conventions", () => {
  it("unknown routes are 404 with the error body", async () => {
    const res = await api("GET", "/nope");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, statusCode: 404 });
  });

  it("JSON without a content type is read as JSON", async () => {
    const phone = uniquePhone();
    const res = await api("POST", "/api/auth/check", { body: JSON.stringify({ phoneNumber: phone }), headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(200);
    expect(res.body.exists).toBe(false);
  });

  it("GET /health", async () => {
    const res = await api("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("healthy");
  });
});

describe("lists longer than D1's 100 bound parameters", () => {
  it("findUsersByRefs resolves 150 refs of both id forms", async () => {
    const rows = await insertUsers(150);
    const refs = rows.map((r, i) => (i % 2 ? r.id : r.userId.toUpperCase()));
    const found = await findUsersByRefs(createDb(env.DB), refs);
    expect(found.map((u) => u.id).sort()).toEqual(rows.map((r) => r.id).sort());
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

describe("concurrent writes that race a unique index", () => {
  it("registrations whose emails share a local part all succeed with distinct derived usernames", async () => {
    const local = `sam${crypto.randomUUID().slice(0, 6)}`;
    const made = await Promise.all([1, 2, 3].map((i) => createUser(createDb(env.DB), { name: "Sam", email: `${local}@d${i}.example.com` })));
    expect(new Set(made.map((u) => u.username))).toEqual(new Set([local, `${local}2`, `${local}3`]));
  });

  it("a derived username continues past the highest numbered handle", async () => {
    const local = `kim${crypto.randomUUID().slice(0, 6)}`;
    await createUser(createDb(env.DB), { name: "Kim", email: `${local}@a.example.com` });
    await createUser(createDb(env.DB), { name: "Kim", email: `x${local}@a.example.com`, username: `${local}7` });
    await createUser(createDb(env.DB), { name: "Kim", email: `y${local}@a.example.com`, username: `${local}7b` });
    const next = await createUser(createDb(env.DB), { name: "Kim", email: `${local}@b.example.com` });
    expect(next.username).toBe(`${local}8`);
  });

  it("two profiles taking the same email at once: one 200, one 400 naming email (was a 500)", async () => {
    const tag = crypto.randomUUID().slice(0, 6);
    const [a, b] = await Promise.all([createUser(createDb(env.DB), { name: "A", email: `a${tag}@x.example.com` }), createUser(createDb(env.DB), { name: "B", email: `b${tag}@x.example.com` })]);
    const results = await Promise.allSettled([a, b].map((u) => updateProfile(createDb(env.DB), u, { email: `same${tag}@x.example.com` })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(failed.reason).toBeInstanceOf(ApiError);
    expect(failed.reason).toMatchObject({ status: 400, message: "email: already in use by another account" });
  });

  it("registering an email that a concurrent registration took is a 400, not a 500", async () => {
    const email = `dup${crypto.randomUUID().slice(0, 6)}@x.example.com`;
    const results = await Promise.allSettled([1, 2].map(() => createUser(createDb(env.DB), { name: "Dup", email })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ status: 400, message: "User already exists with this email" });
  });
});

describe("D1 round trips per request", () => {
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

describe("GET /api/users/search", () => {
  it("does not show a user's presence to someone they blocked", async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const [blocker, other, blocked] = [await makeUser({ name: `Zed ${tag}` }), await makeUser({ name: `Zed ${tag} two` }), await makeUser()];
    await createDb(env.DB).update(users).set({ isOnline: true }).where(inArray(users.id, [blocker._id, other._id]));
    await createDb(env.DB).insert(conversationMetadata).values({ id: objectId(), userId: blocker._id, otherUserId: blocked._id, isBlocked: true });
    const r = await api("GET", `/api/users/search?query=${encodeURIComponent(`Zed ${tag}`)}`, { token: blocked.token });
    expect(r.status).toBe(200);
    const byId = new Map(r.body.map((u: any) => [u._id, u]));
    expect(byId.get(blocker._id)).toMatchObject({ is_online: false, isOnline: false, name: `Zed ${tag}` });
    expect(byId.get(other._id)).toMatchObject({ is_online: true, isOnline: true });
    const seenByOther = await api("GET", `/api/users/search?query=${encodeURIComponent(`Zed ${tag}`)}`, { token: other.token });
    expect(seenByOther.body.find((u: any) => u._id === blocker._id)).toMatchObject({ is_online: true });
  });
});

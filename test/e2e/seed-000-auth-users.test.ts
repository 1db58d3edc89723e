/**
 * 000 "Authentication APIs" and "User Data APIs" against `wrangler dev`,
 * sent exactly as the document shows them (JSON bodies, Bearer tokens) and
 * read the way its client reads them. CONTRACT.md additions: both id forms
 * for `:userId`, `POST /api/auth/check` for an unknown number, owner-only
 * data/profile, phone numbers stored in E.164.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { http, uniquePhone } from "./client";
import { expectError, ISO, JWT, national, OBJECT_ID, raw, registerAs, UUID } from "./seed-000-helpers";

const tag = () => Math.random().toString(36).slice(2, 10);

describe("000 Register / Login / Check with the document's own example values", () => {
  // The document's numbers; the email gets a tag because other documents' tests share this server.
  const email = `john-${tag()}@example.com`;
  const newEmail = `john.smith-${tag()}@example.com`;

  it("walks the documented flow: register, login, check, data, profile, profile update, login with the new credentials", async () => {
    const reg = await http("POST", "/api/auth/register", {
      body: { name: "John Doe", phoneNumber: "1234567890", email, password: "password123" },
    });
    expect(reg.status).toBe(201);
    expect(reg.body.success).toBe(true);
    const d = reg.body.data;
    expect(d).toMatchObject({ name: "John Doe", email, status: "available" });
    expect(d.userId).toMatch(UUID);
    expect(d._id).toMatch(OBJECT_ID);
    expect(d.token).toMatch(JWT);
    // stored normalised to E.164 (CONTRACT.md): the default region US prefixes +1
    expect(d.phoneNumber).toBe("+11234567890");

    const login = await http("POST", "/api/auth/login", { body: { phoneNumber: "1234567890", password: "password123" } });
    expect(login.status).toBe(200);
    expect(login.body.success).toBe(true);
    expect(login.body.data).toMatchObject({
      userId: d.userId,
      name: "John Doe",
      phoneNumber: "+11234567890",
      email,
      status: "available",
      customStatus: "",
      statusUntil: null,
    });
    expect(login.body.data.token).toMatch(JWT);
    const token = login.body.data.token;

    const check = await http("POST", "/api/auth/check", { body: { phoneNumber: "1234567890" } });
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ success: true, exists: true, data: { userId: d.userId, name: "John Doe" } });

    const data = await http("GET", `/api/users/${d.userId}/data`, { token });
    expect(data.status).toBe(200);
    expect(data.body.success).toBe(true);
    expect(data.body.data).toMatchObject({
      userId: d.userId,
      name: "John Doe",
      email,
      phoneNumber: "+11234567890",
      status: "available",
      customStatus: "",
      statusUntil: null,
    });
    expect(data.body.data.createdAt).toMatch(ISO);
    expect(data.body.data.updatedAt).toMatch(ISO);

    const profile = await http("GET", `/api/users/${d.userId}/profile`, { token });
    expect(profile.status).toBe(200);
    expect(profile.body.success).toBe(true);
    expect(profile.body.data.profile).toEqual(data.body.data);
    expect(profile.body.data.recentHistory).toEqual([]);
    expect(profile.body.data.activeSchedules).toEqual([]);
    expect(profile.body.data.templates).toEqual([]);

    const update = await http("PUT", "/api/users/profile", {
      token,
      body: { name: "John Smith", email: newEmail, phoneNumber: "0987654321", password: "newpassword123" },
    });
    expect(update.status).toBe(200);
    // a bare object, as documented (no {success, data} envelope)
    expect(update.body.data).toBeUndefined();
    expect(update.body).toMatchObject({
      _id: d._id,
      userId: d.userId,
      name: "John Smith",
      email: newEmail,
      phoneNumber: "+10987654321",
      status: "available",
      customStatus: "",
      statusUntil: null,
    });
    expect(update.body.token).toMatch(JWT);
    const me = await http("GET", `/api/users/${d._id}/data`, { token: update.body.token });
    expect(me.body.data).toMatchObject({ name: "John Smith", email: newEmail });

    // the old credentials are gone, the new ones work
    const oldPassword = await http("POST", "/api/auth/login", { body: { phoneNumber: "0987654321", password: "password123" } });
    expectError(oldPassword, 401);
    const oldNumber = await http("POST", "/api/auth/login", { body: { phoneNumber: "1234567890", password: "newpassword123" } });
    expectError(oldNumber, 401);
    const relogin = await http("POST", "/api/auth/login", { body: { phoneNumber: "0987654321", password: "newpassword123" } });
    expect(relogin.status).toBe(200);
    expect(relogin.body.data).toMatchObject({ userId: d.userId, name: "John Smith" });
    expect((await http("POST", "/api/auth/check", { body: { phoneNumber: "1234567890" } })).body).toEqual({ success: true, exists: false });
  });
});

describe("POST /api/auth/register", () => {
  it("400 when the user already exists: same email, or the same number in another format", async () => {
    const u = await registerAs("Existing User");
    const sameEmail = await http("POST", "/api/auth/register", {
      body: { name: "X", phoneNumber: uniquePhone(), email: u.email.toUpperCase(), password: "password123" },
    });
    expectError(sameEmail, 400, /exists|email/i);
    const n = national(u.phoneNumber);
    const samePhone = await http("POST", "/api/auth/register", {
      body: { name: "X", phoneNumber: `+1 (${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)}`, email: `other-${tag()}@example.com`, password: "password123" },
    });
    expectError(samePhone, 400, /exists|phone/i);
  });

  it("unknown body fields are ignored, including ones that must not be set by the client (role, status)", async () => {
    const res = await http("POST", "/api/auth/register", {
      body: { name: "Extra Fields", phoneNumber: uniquePhone(), email: `extra-${tag()}@example.com`, password: "password123", role: "admin", status: "busy", favouriteColour: "green" },
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ name: "Extra Fields", role: "user", status: "available" });
    expect(res.body.data.favouriteColour).toBeUndefined();
  });

  it("400 naming each invalid or missing field; nothing is stored", async () => {
    const phone = uniquePhone();
    const good = { name: "Val Idation", phoneNumber: phone, email: `val-${tag()}@example.com`, password: "password123" };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, name: undefined }, "name"],
      [{ ...good, name: "" }, "name"],
      [{ ...good, phoneNumber: undefined }, "phoneNumber"],
      [{ ...good, phoneNumber: "abc" }, "phoneNumber"],
      [{ ...good, phoneNumber: 2025550143 }, "phoneNumber"],
      [{ ...good, email: undefined }, "email"],
      [{ ...good, email: "not-an-email" }, "email"],
      [{ ...good, password: undefined }, "password"],
      [{ ...good, password: "123" }, "password"],
      [{ ...good, password: 12345678 }, "password"],
    ];
    for (const [body, field] of cases) {
      expectError(await http("POST", "/api/auth/register", { body }), 400, field);
    }
    expectError(await raw("POST", "/api/auth/register", { body: "{\"name\": \"John", contentType: "application/json" }), 400, /JSON/i);
    expectError(await http("POST", "/api/auth/register", { body: [good] }), 400, /object|body/i);
    expect((await http("POST", "/api/auth/check", { body: { phoneNumber: phone } })).body.exists).toBe(false);
  });
});

describe("POST /api/auth/login", () => {
  let u: Awaited<ReturnType<typeof registerAs>>;
  beforeAll(async () => {
    u = await registerAs("Login Person");
  });

  it("200 with the documented fields for the number in the format it was registered with, or another", async () => {
    for (const phoneNumber of [u.sentPhone, u.phoneNumber, `(${national(u.phoneNumber).slice(0, 3)}) ${national(u.phoneNumber).slice(3, 6)}-${national(u.phoneNumber).slice(6)}`]) {
      const res = await http("POST", "/api/auth/login", { body: { phoneNumber, password: u.password } });
      expect(res.status, phoneNumber).toBe(200);
      expect(res.body.success).toBe(true);
      expect(Object.keys(res.body.data)).toEqual(
        expect.arrayContaining(["userId", "name", "phoneNumber", "email", "status", "customStatus", "statusUntil", "token"]),
      );
      expect(res.body.data).toMatchObject({ _id: u._id, userId: u.userId, name: "Login Person", email: u.email, status: "available" });
      const status = await http("GET", "/api/status-management", { token: res.body.data.token });
      expect(status.status).toBe(200);
      expect(status.body.data.userId).toBe(u.userId);
    }
  });

  it("401 for invalid credentials (wrong password, unknown number)", async () => {
    expectError(await http("POST", "/api/auth/login", { body: { phoneNumber: u.sentPhone, password: "wrong-password" } }), 401, /credentials/i);
    expectError(await http("POST", "/api/auth/login", { body: { phoneNumber: uniquePhone(), password: "password123" } }), 401, /credentials/i);
  });

  it("400 naming the field for a missing password, a missing number or a wrong type", async () => {
    expectError(await http("POST", "/api/auth/login", { body: { phoneNumber: u.sentPhone } }), 400, "password");
    expectError(await http("POST", "/api/auth/login", { body: { password: "password123" } }), 400, "phoneNumber");
    expectError(await http("POST", "/api/auth/login", { body: {} }), 400, "phoneNumber");
    expectError(await http("POST", "/api/auth/login", { body: { phoneNumber: u.sentPhone, password: 123456 } }), 400, "password");
    expectError(await raw("POST", "/api/auth/login", { body: "{oops", contentType: "application/json" }), 400, /JSON/i);
  });
});

describe("POST /api/auth/check", () => {
  it("exists:true with {userId, name} for a registered number in any format; {success:true, exists:false} otherwise", async () => {
    const u = await registerAs("Checked Person");
    const n = national(u.phoneNumber);
    for (const phoneNumber of [u.sentPhone, u.phoneNumber, `${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`]) {
      const res = await http("POST", "/api/auth/check", { body: { phoneNumber } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, exists: true, data: { userId: u.userId, name: "Checked Person" } });
    }
    const unknown = await http("POST", "/api/auth/check", { body: { phoneNumber: uniquePhone() } });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({ success: true, exists: false });
  });

  it("400 naming phoneNumber when it is missing, not a string or not a number", async () => {
    expectError(await http("POST", "/api/auth/check", { body: {} }), 400, "phoneNumber");
    expectError(await http("POST", "/api/auth/check", { body: { phoneNumber: 2025550143 } }), 400, "phoneNumber");
    expectError(await http("POST", "/api/auth/check", { body: { phoneNumber: "call me" } }), 400, "phoneNumber");
  });
});

describe("GET /api/users/:userId/data and /profile", () => {
  let owner: Awaited<ReturnType<typeof registerAs>>;
  let other: Awaited<ReturnType<typeof registerAs>>;
  beforeAll(async () => {
    owner = await registerAs("Data Owner");
    other = await registerAs("Someone Else");
  });

  it("the owner reads their data by either id form", async () => {
    for (const ref of [owner.userId, owner._id]) {
      const res = await http("GET", `/api/users/${ref}/data`, { token: owner.token });
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data).toMatchObject({
        _id: owner._id,
        userId: owner.userId,
        name: "Data Owner",
        email: owner.email,
        phoneNumber: owner.phoneNumber,
        status: "available",
        customStatus: "",
        statusUntil: null,
      });
      expect(res.body.data.createdAt).toMatch(ISO);
      expect(res.body.data.updatedAt).toMatch(ISO);
      expect(res.body.data.password).toBeUndefined();
      expect(res.body.data.passwordHash).toBeUndefined();
    }
  });

  it("the profile carries recent history, active schedules and templates the owner created", async () => {
    const u = await registerAs("Profile Owner");
    expect((await http("PUT", "/api/status-management", { token: u.token, body: { status: "busy", customStatus: "In a meeting", duration: 60 } })).status).toBe(200);
    const tpl = await http("POST", "/api/status/templates", { token: u.token, body: { name: "Meeting", status: "busy", customStatus: "In a meeting", duration: 60 } });
    const sch = await http("POST", `/api/users/${u.userId}/schedules`, {
      token: u.token,
      body: { status: "busy", customStatus: "In a meeting", startTime: "2023-01-01T09:00:00.000Z", endTime: "2023-01-01T10:00:00.000Z", repeat: "weekly" },
    });
    const off = await http("POST", `/api/users/${u.userId}/schedules`, {
      token: u.token,
      body: { status: "away", startTime: "2023-01-02T09:00:00.000Z", endTime: "2023-01-02T10:00:00.000Z", repeat: "weekly", active: false },
    });
    expect([tpl.status, sch.status, off.status]).toEqual([201, 201, 201]);

    const res = await http("GET", `/api/users/${u.userId}/profile`, { token: u.token });
    expect(res.status).toBe(200);
    const p = res.body.data;
    expect(p.profile).toMatchObject({ userId: u.userId, name: "Profile Owner", status: "busy", customStatus: "In a meeting" });
    expect(p.profile.statusUntil).toMatch(ISO);
    expect(p.recentHistory[0]).toMatchObject({ userId: u.userId, status: "busy", customStatus: "In a meeting", endTime: null });
    expect(p.activeSchedules.map((s: any) => s._id)).toEqual([sch.body.data._id]);
    expect(p.templates.map((t: any) => t._id)).toEqual([tpl.body._id]);
  });

  it("403 for another user's data or profile, 404 for unknown users (either form), 400 for a malformed id, 401 without a token", async () => {
    for (const part of ["data", "profile"]) {
      expectError(await http("GET", `/api/users/${owner.userId}/${part}`, { token: other.token }), 403);
      expectError(await http("GET", `/api/users/${owner._id}/${part}`, { token: other.token }), 403);
      expectError(await http("GET", `/api/users/a1b2c3d4-e5f6-4890-abcd-1234567890ab/${part}`, { token: owner.token }), 404, /not found/i);
      expectError(await http("GET", `/api/users/60d21b4667d0d8992e610c85/${part}`, { token: owner.token }), 404, /not found/i);
      expectError(await http("GET", `/api/users/user123/${part}`, { token: owner.token }), 400, "userId");
      expectError(await http("GET", `/api/users/${owner.userId}/${part}`), 401);
      expectError(await http("GET", `/api/users/${owner.userId}/${part}`, { token: "not-a-jwt" }), 401, /token/i);
    }
  });
});

describe("PUT /api/users/profile", () => {
  it("changes only the fields sent; answers the bare user object with a fresh token", async () => {
    const u = await registerAs("Partial Update");
    const res = await http("PUT", "/api/users/profile", { token: u.token, body: { name: "Renamed Person" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ _id: u._id, userId: u.userId, name: "Renamed Person", email: u.email, phoneNumber: u.phoneNumber });
    expect(res.body.token).toMatch(JWT);
    const login = await http("POST", "/api/auth/login", { body: { phoneNumber: u.sentPhone, password: u.password } });
    expect(login.status).toBe(200);
    expect(login.body.data.name).toBe("Renamed Person");
  });

  it("400 naming the field for invalid values or an email/number another account uses; nothing changes", async () => {
    const u = await registerAs("Profile Validation");
    const taken = await registerAs("Owner Of Things");
    const cases: [Record<string, unknown>, string][] = [
      [{ email: "nope" }, "email"],
      [{ email: taken.email }, "email"],
      [{ phoneNumber: national(taken.phoneNumber) }, "phoneNumber"],
      [{ phoneNumber: "not a phone" }, "phoneNumber"],
      [{ password: "123" }, "password"],
      [{ name: "" }, "name"],
      [{ name: 42 }, "name"],
    ];
    for (const [body, field] of cases) {
      expectError(await http("PUT", "/api/users/profile", { token: u.token, body }), 400, field);
    }
    const data = await http("GET", `/api/users/${u.userId}/data`, { token: u.token });
    expect(data.body.data).toMatchObject({ name: "Profile Validation", email: u.email, phoneNumber: u.phoneNumber });
    expectError(await http("PUT", "/api/users/profile", { body: { name: "No Token" } }), 401);
  });
});

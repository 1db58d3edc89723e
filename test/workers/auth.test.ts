import { describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { createExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import { objectId } from "../../src/lib/ids";
import { issueToken } from "../../src/lib/tokens";
import { api, BASE, countingApp, makeUser, registerUser, uniquePhone } from "./helpers";
import { onError } from "../../src/lib/errors";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { Hono } from "hono";

/** A 004 form login against the Worker with some vars changed (the operator's configuration). */
async function formLoginWith(vars: Record<string, string>, form: Record<string, string>) {
  const res = await worker.fetch!(
    new Request(`${BASE}/api/auth/login`, { method: "POST", body: new URLSearchParams(form) }) as any,
    { ...env, ...vars } as any,
    createExecutionContext(),
  );
  return { status: res.status, body: (await res.json()) as any };
}

describe("POST /api/auth/register", () => {
  it("creates a user with both ids, E.164 phone and a token", async () => {
    const phone = uniquePhone();
    const res = await api("POST", "/api/auth/register", {
      body: { name: "John Doe", phoneNumber: phone, email: `john-${phone}@Example.com`, password: "password123" },
    });
    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    const d = res.body.data;
    expect(d._id).toMatch(/^[0-9a-f]{24}$/);
    expect(d.userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(d).toMatchObject({ name: "John Doe", phoneNumber: `+1${phone}`, email: `john-${phone}@example.com`, status: "available" });
    expect(typeof d.token).toBe("string");
    expect(d.passwordHash).toBeUndefined();
  });

  it("rejects a duplicate email or phone with 400", async () => {
    const u = await registerUser();
    const dupEmail = await api("POST", "/api/auth/register", {
      body: { name: "X", phoneNumber: uniquePhone(), email: u.email, password: "password123" },
    });
    expect(dupEmail.status).toBe(400);
    expect(dupEmail.body).toMatchObject({ success: false, statusCode: 400, error: "Bad Request" });
    expect(dupEmail.body.message).toMatch(/already exists/);
    const dupPhone = await api("POST", "/api/auth/register", {
      body: { name: "X", phoneNumber: `(${u.phoneNumber.slice(2, 5)}) ${u.phoneNumber.slice(5, 8)}-${u.phoneNumber.slice(8)}`, email: "other-" + u.email, password: "password123" },
    });
    expect(dupPhone.status).toBe(400);
  });

  it("names the bad field", async () => {
    const res = await api("POST", "/api/auth/register", { body: { name: "", phoneNumber: "123", email: "nope", password: "x" } });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("email");
    expect(res.body.message).toContain("password");
    expect(res.body.detail).toBe(res.body.message);
  });

  it("answers malformed JSON with 400", async () => {
    const res = await api("POST", "/api/auth/register", { body: "{not json" });
    expect(res.status).toBe(400);
    expect(res.body.success).toBe(false);
  });
});

describe("POST /api/auth/login", () => {
  it("logs in by phone number in any format (000)", async () => {
    const u = await registerUser();
    const local = u.phoneNumber.slice(2);
    const res = await api("POST", "/api/auth/login", { body: { phoneNumber: local, password: u.password } });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ _id: u._id, userId: u.userId, customStatus: "", statusUntil: null, status: "available" });
    expect(res.body.data.token).toBeTruthy();
  });

  it("rejects a wrong password or unknown number with 401", async () => {
    const u = await registerUser();
    const wrong = await api("POST", "/api/auth/login", { body: { phoneNumber: u.phoneNumber, password: "nope-nope" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ success: false, statusCode: 401, message: "Invalid credentials" });
    const unknown = await api("POST", "/api/auth/login", { body: { phoneNumber: uniquePhone(), password: "password123" } });
    expect(unknown.status).toBe(401);
  });

  it("a phone login posted as a form is still the 000 login", async () => {
    const u = await registerUser();
    const res = await api("POST", "/api/auth/login", { form: { phoneNumber: u.phoneNumber.slice(2), password: u.password } });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toMatchObject({ _id: u._id, userId: u.userId });
    expect(res.body.data.token).toBeTruthy();
    const wrong = await api("POST", "/api/auth/login", { form: { phoneNumber: u.phoneNumber, password: "nope-nope" } });
    expect(wrong.status).toBe(401);
  });

  it("004 form login registers a new email and logs it in again", async () => {
    const email = `form-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const first = await api("POST", "/api/auth/login", { form: { email, name: "Form User", profile_image: "https://example.com/p.jpg" } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: "bearer", user: { email, name: "Form User", profile_image: "https://example.com/p.jpg" } });
    expect(first.body.user._id).toMatch(/^[0-9a-f]{24}$/);
    const second = await api("POST", "/api/auth/login", { form: { email, name: "Form User" } });
    expect(second.status).toBe(200);
    expect(second.body.user._id).toBe(first.body.user._id);
    const me = await api("GET", "/api/users/me", { token: second.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email, name: "Form User", is_online: false, last_seen: null });
  });

  it("the shipped configuration (wrangler.toml) lets a password-less account log in again", async () => {
    // vitest.config.ts does not override AUTH_PASSWORDLESS: this is wrangler.toml's value
    expect(env.AUTH_PASSWORDLESS).toBe("true");
    const email = `again-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await api("POST", "/api/auth/login", { form: { email, name: "Again" } })).status).toBe(200);
    expect((await api("POST", "/api/auth/login", { form: { email, name: "Again" } })).status).toBe(200);
  });

  it("an operator can switch password-less login off; an account with a password always needs it", async () => {
    const email = `off-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await api("POST", "/api/auth/login", { form: { email, name: "Off" } })).status).toBe(200);
    const off = { AUTH_PASSWORDLESS: "false" };
    const again = await formLoginWith(off, { email, name: "Off" });
    expect(again.status).toBe(401);
    expect(again.body.detail).toMatch(/password-less login is switched off/);
    // no account is created that could never log in again
    const fresh = await formLoginWith(off, { email: `new-${email}`, name: "New" });
    expect(fresh.status).toBe(401);
    const withPassword = await formLoginWith(off, { email: `pw-${email}`, name: "Pw", password: "secret-123" });
    expect(withPassword.status).toBe(200);
    expect((await formLoginWith(off, { email: `pw-${email}`, password: "secret-123" })).status).toBe(200);
    expect((await formLoginWith(off, { email: `pw-${email}`, password: "wrong-one" })).status).toBe(401);
    // switched on, an account with a password still needs it
    expect((await formLoginWith({ AUTH_PASSWORDLESS: "true" }, { email: `pw-${email}` })).status).toBe(401);
  });

  it("004 form login of an account with a password needs the password", async () => {
    const u = await registerUser();
    const without = await api("POST", "/api/auth/login", { form: { email: u.email, name: u.name } });
    expect(without.status).toBe(401);
    const withIt = await api("POST", "/api/auth/login", { form: { email: u.email, password: u.password } });
    expect(withIt.status).toBe(200);
    expect(withIt.body.user._id).toBe(u._id);
  });

  it("004 form login validates with 422", async () => {
    const res = await api("POST", "/api/auth/login", { form: { email: "not-an-email" } });
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain("email");
  });
});

describe("POST /api/auth/check", () => {
  it("reports existence", async () => {
    const u = await registerUser();
    const yes = await api("POST", "/api/auth/check", { body: { phoneNumber: u.phoneNumber } });
    expect(yes.status).toBe(200);
    expect(yes.body).toMatchObject({ success: true, exists: true, data: { userId: u.userId, name: u.name } });
    const no = await api("POST", "/api/auth/check", { body: { phoneNumber: uniquePhone() } });
    expect(no.body).toEqual({ success: true, exists: false });
  });
});

describe("GET /api/users/me", () => {
  it("answers 404 User not found for a valid token whose user no longer exists (004)", async () => {
    const ghost = await issueToken(env, { sub: objectId(), uid: crypto.randomUUID(), dlc: "chat-socket" });
    const me = await api("GET", "/api/users/me", { token: ghost });
    expect(me.status).toBe(404);
    expect(me.body).toMatchObject({ detail: "User not found", message: "User not found" });
    // other routes keep 401 for such a token
    expect((await api("GET", "/api/conversations", { token: ghost })).status).toBe(401);
  });
});

describe("tokens", () => {
  it("rejects missing, tampered, expired and foreign-audience tokens", async () => {
    const u = await registerUser();
    expect((await api("GET", "/api/users/me")).status).toBe(401);
    const tampered = u.token.slice(0, -3) + (u.token.endsWith("a") ? "bbb" : "aaa");
    expect((await api("GET", "/api/users/me", { token: tampered })).status).toBe(401);
    const key = new TextEncoder().encode(env.JWT_SECRET);
    const expired = await new SignJWT({ uid: u.userId, dlc: "standard" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(u._id)
      .setIssuer(env.JWT_ISSUER)
      .setAudience(env.JWT_AUDIENCE)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 90_000)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3_600)
      .sign(key);
    const exp = await api("GET", "/api/users/me", { token: expired });
    expect(exp.status).toBe(401);
    expect(exp.body.message).toBe("Token expired");
    const foreign = await new SignJWT({ uid: u.userId, dlc: "standard" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(u._id)
      .setIssuer(env.JWT_ISSUER)
      .setAudience("someone-else")
      .setExpirationTime("1h")
      .sign(key);
    expect((await api("GET", "/api/users/me", { token: foreign })).status).toBe(401);
  });
});

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

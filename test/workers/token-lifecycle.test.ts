/**
 * Token lifecycle (issue 11, item 5): `exp` and `sub` required, a per-user
 * token version checked by REST auth and at CONNECT (raised by a password
 * or email change and by logout-all), sudo mode for credential changes,
 * sockets not served past their token's exp.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { issueToken, nowSeconds } from "../../src/lib/tokens";
import { api, makeUser, registerUser, type TestUser } from "./helpers";
import { engineStub, eio, poll, pollingHandshake, push, sioWs, waitFor } from "./realtime-helpers";

afterEach(() => vi.useRealTimers());

function advance(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ms);
}

const me = (token: string) => api("GET", "/api/users/me", { token });
const login = (u: TestUser, password = u.password) => api("POST", "/api/auth/login", { body: { email: u.email, password } });
/** A token for `u` whose login was `ageSeconds` ago (token version 0). */
const tokenLoggedInAgo = (u: TestUser, ageSeconds: number) =>
  issueToken(env, { sub: u._id, uid: u.userId, dlc: "standard", authTime: nowSeconds() - ageSeconds });

describe("required claims", () => {
  it("a token without exp or without sub is refused", async () => {
    const u = await makeUser();
    const key = new TextEncoder().encode(env.JWT_SECRET);
    const base = () =>
      new SignJWT({ uid: u.userId, dlc: "standard" }).setProtectedHeader({ alg: "HS256" }).setIssuer(env.JWT_ISSUER).setAudience(env.JWT_AUDIENCE).setIssuedAt();
    const noExp = await base().setSubject(u._id).sign(key);
    const noSub = await base().setExpirationTime("1h").sign(key);
    expect((await me(noExp)).status).toBe(401);
    expect((await me(noSub)).status).toBe(401);
    const sock = await sioWs({ token: noExp });
    expect(sock.answer).toBe('44{"message":"Authentication error: Invalid token"}');
    sock.client.close();
  });
});

describe("token version", () => {
  it("POST /api/auth/logout-all revokes every earlier token, for REST and CONNECT", async () => {
    const u = await registerUser();
    const other = (await login(u)).body.data.token as string;
    expect((await me(other)).status).toBe(200);
    const out = await api("POST", "/api/auth/logout-all", { token: u.token });
    expect(out.status).toBe(200);
    expect(out.body.success).toBe(true);
    for (const t of [u.token, other]) {
      const res = await me(t);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, statusCode: 401 });
    }
    const sock = await sioWs({ token: other });
    expect(sock.answer).toBe('44{"message":"Authentication error: Invalid token"}');
    sock.client.close();
    const fresh = (await login(u)).body.data.token as string;
    expect((await me(fresh)).status).toBe(200);
    const ok = await sioWs({ token: fresh });
    expect(ok.answer).toMatch(/^40\{"sid"/);
    ok.client.close();
    expect((await api("POST", "/api/auth/logout-all", {})).status).toBe(401);
  });

  it("a password change revokes older tokens and answers a working one", async () => {
    const u = await registerUser();
    const res = await api("PUT", "/api/users/profile", { token: u.token, body: { password: "brand-new-pass", currentPassword: u.password } });
    expect(res.status).toBe(200);
    expect((await me(u.token)).status).toBe(401);
    expect((await me(res.body.token)).status).toBe(200);
    expect((await login(u)).status).toBe(401);
    expect((await login(u, "brand-new-pass")).status).toBe(200);
  });

  it("an email change revokes older tokens; other profile edits do not", async () => {
    const u = await registerUser();
    const renamed = await api("PUT", "/api/users/profile", { token: u.token, body: { name: "Renamed", email: u.email.toUpperCase() } });
    expect(renamed.status).toBe(200);
    expect((await me(u.token)).status).toBe(200);
    const moved = await api("PUT", "/api/users/profile", { token: u.token, body: { email: `moved-${u.email}` } });
    expect(moved.status).toBe(200);
    expect((await me(u.token)).status).toBe(401);
    expect((await me(moved.body.token)).status).toBe(200);
  });
});

describe("sudo mode for password and email changes", () => {
  it("000's documented profile update works right after logging in", async () => {
    const u = await registerUser();
    const token = (await login(u)).body.data.token as string;
    const res = await api("PUT", "/api/users/profile", {
      token,
      body: { name: "New Name", email: `new-${u.email}`, phoneNumber: u.phoneNumber, password: "another-pass-1" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "New Name", email: `new-${u.email}` });
  });

  it("an older login needs currentPassword (403 without it or with a wrong one)", async () => {
    const u = await registerUser();
    const stale = await tokenLoggedInAgo(u, 11 * 60);
    const without = await api("PUT", "/api/users/profile", { token: stale, body: { password: "another-pass-1" } });
    expect(without.status).toBe(403);
    expect(without.body.message).toMatch(/currentPassword/);
    const wrong = await api("PUT", "/api/users/profile", { token: stale, body: { email: `x-${u.email}`, currentPassword: "nope-nope" } });
    expect(wrong.status).toBe(403);
    expect(wrong.body.message).toMatch(/currentPassword: is incorrect/);
    // a token re-issued by a profile edit keeps the login time it had: still not recent
    const edited = await api("PUT", "/api/users/profile", { token: stale, body: { name: "Just a name" } });
    expect(edited.status).toBe(200);
    expect((await api("PUT", "/api/users/profile", { token: edited.body.token, body: { password: "another-pass-1" } })).status).toBe(403);
    const right = await api("PUT", "/api/users/profile", { token: stale, body: { password: "another-pass-1", currentPassword: u.password } });
    expect(right.status).toBe(200);
    // a token that claims no login at all is never recent
    const v = await makeUser();
    const noLogin = await issueToken(env, { sub: v._id, uid: v.userId, dlc: "standard" });
    expect((await api("PUT", "/api/users/profile", { token: noLogin, body: { email: `y-${v.email}` } })).status).toBe(403);
  });
});

describe("sockets past their token's exp", () => {
  it("an event after exp is answered 401 and the Engine.IO connection closes", async () => {
    const u = await makeUser();
    const { client, answer } = await sioWs({ token: u.token });
    expect(answer).toMatch(/^40\{"sid"/);
    client.send('421["get_online_users"]');
    await client.until((f) => typeof f === "string" && f.startsWith("431["));
    advance(24 * 60 * 60 * 1000 + 1000);
    client.send('422["get_online_users"]');
    const ack = await client.until((f) => typeof f === "string" && f.startsWith("432["));
    expect(JSON.parse(String(ack).slice(3))[0]).toMatchObject({ success: false, statusCode: 401, error: "Unauthorized" });
    await client.waitClosed();
  });

  it("over polling the ack reaches the pending GET, the close packet the next one", async () => {
    const u = await makeUser();
    const { sid } = await pollingHandshake();
    await push(sid, `40${JSON.stringify({ token: u.token })}`);
    expect((await poll(sid)).body).toMatch(/^40\{"sid"/);
    while ((await engineStub(sid).inspect()).buffered) await poll(sid); // drain connect-time events
    const get = poll(sid);
    const stub = engineStub(sid);
    await waitFor(async () => (await stub.inspect()).pendingGet, "the GET to be pending");
    advance(24 * 60 * 60 * 1000 + 1000);
    await push(sid, '421["get_online_users"]');
    const packets = (await get).body.split("\x1e");
    // socket.io-client hands a payload's packets over a tick later: a close in the same payload would drop the ack
    expect(packets).not.toContain("1");
    const ack = packets.find((p) => p.startsWith("431["))!;
    expect(JSON.parse(ack.slice(3))[0]).toMatchObject({ statusCode: 401 });
    expect((await poll(sid)).body).toBe("1");
    expect((await eio(`EIO=4&transport=polling&sid=${sid}`)).status).toBe(400);
  });

  it("a silent connection is closed at the first heartbeat after exp", async () => {
    const u = await makeUser();
    const { client, sid, answer } = await sioWs({ token: u.token });
    expect(answer).toMatch(/^40\{"sid"/);
    advance(24 * 60 * 60 * 1000 + 1000);
    expect(await runDurableObjectAlarm(engineStub(sid))).toBe(true);
    expect((await engineStub(sid).inspect()).open).toBe(false);
    await client.waitClosed();
  });
});

import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { users } from "../../src/db/schema";
import { api, makeUser, type TestUser } from "./helpers";
import { hubStub } from "./objects";

const db = createDb(env.DB);
const create = (u: TestUser, body: unknown) => api("POST", "/api/status/templates", { token: u.token, body });

describe("status templates", () => {
  it("POST creates (201, bare object with the documented fields)", async () => {
    const u = await makeUser();
    const res = await create(u, { name: "Meeting", status: "busy", customStatus: "In a meeting", duration: 60 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      _id: expect.stringMatching(/^[0-9a-f]{24}$/),
      user: u._id,
      userId: u.userId,
      name: "Meeting",
      status: "busy",
      customStatus: "In a meeting",
      duration: 60,
    });
  });

  it("validates: name, the 17 values, custom needs customStatus, duration bounds", async () => {
    const u = await makeUser();
    const cases: [unknown, string][] = [
      [{ status: "busy" }, "name"],
      [{ name: "  ", status: "busy" }, "name"],
      [{ name: "X", status: "partying" }, "status"],
      [{ name: "X", status: "custom" }, "customStatus"],
      [{ name: "X", status: "busy", duration: 0 }, "duration"],
      [{ name: "X", status: "busy", duration: 600_000 }, "duration"],
    ];
    for (const [body, field] of cases) {
      const res = await create(u, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message).toContain(field);
    }
    const list = await api("GET", `/api/users/${u._id}/templates`, { token: u.token });
    expect(list.body.pagination.total).toBe(0);
  });

  it("GET /api/users/:userId/templates pages newest first; owner only", async () => {
    const u = await makeUser();
    const other = await makeUser();
    for (let i = 0; i < 12; i++) expect((await create(u, { name: `T${i}`, status: "busy", duration: i + 1 })).status).toBe(201);
    const p1 = await api("GET", `/api/users/${u.userId}/templates`, { token: u.token });
    expect(p1.status).toBe(200);
    expect(p1.body.success).toBe(true);
    expect(p1.body.pagination).toEqual({ page: 1, limit: 10, total: 12, pages: 2 });
    expect(p1.body.data).toHaveLength(10);
    expect(p1.body.data[0]).toMatchObject({ name: "T11", userId: u.userId, user: u._id });
    const p2 = await api("GET", `/api/users/${u._id}/templates?page=2`, { token: u.token });
    expect(p2.body.data.map((t: any) => t.name)).toEqual(["T1", "T0"]);
    const p5 = await api("GET", `/api/users/${u._id}/templates?page=5&limit=5`, { token: u.token });
    expect(p5.body.data).toEqual([]);
    expect(p5.body.pagination).toEqual({ page: 5, limit: 5, total: 12, pages: 3 });
    expect((await api("GET", `/api/users/${u._id}/templates?limit=500`, { token: u.token })).status).toBe(400);
    expect((await api("GET", `/api/users/${u._id}/templates`, { token: other.token })).status).toBe(403);
    expect((await api("GET", `/api/users/${crypto.randomUUID()}/templates`, { token: u.token })).status).toBe(404);
  });

  it("PUT updates (fields omitted are kept); 403 for others, 404 unknown, 400 invalid merge", async () => {
    const u = await makeUser();
    const other = await makeUser();
    const t = (await create(u, { name: "Meeting", status: "busy", customStatus: "In a meeting", duration: 60 })).body;
    const res = await api("PUT", `/api/status/templates/${t._id}`, {
      token: u.token,
      body: { name: "Long Meeting", customStatus: "In an important meeting", duration: 120 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ _id: t._id, user: u._id, userId: u.userId, name: "Long Meeting", status: "busy", customStatus: "In an important meeting", duration: 120 });
    const clear = await api("PUT", `/api/status/templates/${t._id}`, { token: u.token, body: { duration: null } });
    expect(clear.body.duration).toBeNull();
    expect((await api("PUT", `/api/status/templates/${t._id}`, { token: other.token, body: { name: "Mine" } })).status).toBe(403);
    expect((await api("PUT", `/api/status/templates/${"e".repeat(24)}`, { token: u.token, body: { name: "X" } })).status).toBe(404);
    const emptyCustom = await api("PUT", `/api/status/templates/${t._id}`, { token: u.token, body: { status: "custom", customStatus: "" } });
    expect(emptyCustom.status).toBe(400);
    expect(emptyCustom.body.message).toContain("customStatus");
    expect((await api("PUT", `/api/status/templates/${t._id}`, { token: u.token, body: {} })).status).toBe(400);
    const still = await api("GET", `/api/users/${u._id}/templates`, { token: u.token });
    expect(still.body.data[0]).toMatchObject({ name: "Long Meeting", status: "busy" });
  });

  it("DELETE: owner only", async () => {
    const u = await makeUser();
    const other = await makeUser();
    const t = (await create(u, { name: "Lunch", status: "eating", customStatus: "Having lunch", duration: 45 })).body;
    expect((await api("DELETE", `/api/status/templates/${t._id}`, { token: other.token })).status).toBe(403);
    const del = await api("DELETE", `/api/status/templates/${t._id}`, { token: u.token });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true, message: "Status template deleted" });
    expect((await api("DELETE", `/api/status/templates/${t._id}`, { token: u.token })).status).toBe(404);
  });

  it("apply sets the status from the template, duration included, and arms the expiry", async () => {
    const u = await makeUser();
    const other = await makeUser();
    const t = (await create(u, { name: "Lunch", status: "eating", customStatus: "Having lunch", duration: 45 })).body;
    expect((await api("POST", `/api/status/templates/${t._id}/apply`, { token: other.token })).status).toBe(403);
    const before = Date.now();
    const res = await api("POST", `/api/status/templates/${t._id}/apply`, { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ userId: u.userId, status: "eating", customStatus: "Having lunch" });
    const until = Date.parse(res.body.data.statusUntil);
    expect(until).toBeGreaterThanOrEqual(before + 45 * 60_000);
    const row = await db.select().from(users).where(eq(users.id, u._id)).get();
    expect(row!.statusSource).toBe("template");
    const hub = hubStub(u._id);
    expect(await runInDurableObject(hub, (_i, s) => s.storage.getAlarm())).toBe(until);
    // and it expires like any other status
    await db.update(users).set({ statusUntil: new Date(Date.now() - 1000) }).where(eq(users.id, u._id));
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    expect((await api("GET", "/api/status-management", { token: u.token })).body.data.status).toBe("available");
  });
});

/**
 * Durable Objects know their own name (src/objects/stubs.ts `ownName`):
 * workerd keeps the name an object was reached by (`idFromName`) and gives
 * it as `ctx.id.name` in every call, after eviction, behind an id rebuilt
 * from its string, and in alarms, so no object stores it or receives it in
 * its calls.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { users } from "../../src/db/schema";

import { api, makeUser } from "./helpers";
import { roomStub, hubStub } from "./objects";

const db = createDb(env.DB);

describe("an object's own name", () => {
  it("is ctx.id.name in calls, after eviction and behind an id rebuilt from its string", async () => {
    const name = `named-${crypto.randomUUID()}`;
    const stub = hubStub(name);
    const first = await runInDurableObject(stub, (_hub, state) => ({ name: state.id.name, id: state.id.toString() }));
    expect(first.name).toBe(name);
    await evictDurableObject(stub);
    const rebuilt = env.USER_HUB.get(env.USER_HUB.idFromString(first.id));
    expect(rebuilt.id.name).toBeUndefined();
    expect(await runInDurableObject(rebuilt, (_hub, state) => state.id.name)).toBe(name);
    expect(await runInDurableObject(roomStub(name), (_room, state) => state.id.name)).toBe(name);
  });

  it("is also kept once in the object's storage, for a runtime that wakes an object without it", async () => {
    const name = `kept-${crypto.randomUUID()}`;
    expect(await runInDurableObject(hubStub(name), (_hub, state) => state.storage.kv.get("ownName"))).toBe(name);
    expect(await runInDurableObject(roomStub(name), (_room, state) => state.storage.kv.get("ownName"))).toBe(name);
  });

  it("is what a user hub's alarm acts on after eviction (the status timer reverts that user's status)", async () => {
    const u = await makeUser();
    await api("PUT", "/api/status-management", { token: u.token, body: { status: "busy", duration: 30 } });
    const hub = hubStub(u._id);
    const id = await runInDurableObject(hub, (_hub, state) => state.id.toString());
    // the status is due now; the hub is evicted and woken by its alarm through an id that carries no name
    await db.update(users).set({ statusUntil: new Date(Date.now() - 60_000) }).where(eq(users.id, u._id));
    await evictDurableObject(hub);
    expect(await runDurableObjectAlarm(env.USER_HUB.get(env.USER_HUB.idFromString(id)))).toBe(true);
    const row = await db.select().from(users).where(eq(users.id, u._id)).get();
    expect(row).toMatchObject({ status: "available", statusUntil: null });
  });
});

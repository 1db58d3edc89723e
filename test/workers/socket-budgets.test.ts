/**
 * Socket event rate limits (issue 11): per-connection token buckets by kind
 * in the EngineSession's memory, per-user budgets from Workers Rate Limiting
 * bindings; over budget the ack is the error body with 429, and a connection
 * that keeps going is disconnected and closed.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { conversations } from "../../src/db/schema";
import { handledEvents, handlerFor } from "../../src/realtime/handlers";
import { BUDGETS, ConnectionBudget, EVENT_KINDS, STRIKES } from "../../src/realtime/socket/budgets";
import { api, makeUser } from "./helpers";
import { hubStub, sioWs, waitFor, type WsClient } from "./realtime-helpers";

const db = createDb(env.DB);

/** Acks (by id) and other frames read until the WebSocket closes. */
async function drain(client: WsClient, ms = 15_000) {
  const acks = new Map<number, any>();
  const frames: string[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    let f: string | ArrayBuffer;
    try {
      f = await client.next(Math.max(1, deadline - Date.now()));
    } catch (err) {
      if (client.isClosed) break;
      throw err;
    }
    if (typeof f !== "string") continue;
    const m = /^43(\d+)(\[.*)$/s.exec(f);
    if (m) acks.set(Number(m[1]), JSON.parse(m[2])[0]);
    else frames.push(f);
  }
  return { acks, frames };
}

/** Waits until the user's hub has no live session (the closed connection has detached). */
async function detached(userId: string) {
  await waitFor(async () => (await hubStub(userId).sessions()).length === 0, "the hub to forget the closed connection", 5000);
}

describe("socket event budgets", () => {
  it("every registered event has a kind, and every kind names registered events", () => {
    for (const name of Object.keys(EVENT_KINDS)) expect(handlerFor(name), name).toBeDefined();
    for (const name of handledEvents().filter((n) => !n.startsWith("test_"))) expect(EVENT_KINDS, name).toHaveProperty(name);
  });

  it("a connection hammering get_unread_count gets 429 acks, then is disconnected and closed", async () => {
    const u = await makeUser();
    const { client, answer } = await sioWs({ token: u.token });
    expect(answer).toMatch(/^40\{/);
    const N = 300;
    for (let i = 0; i < N; i++) client.send(`42${i}["get_unread_count"]`);
    const { acks, frames } = await drain(client);
    expect(client.isClosed).toBe(true);
    const ok = [...acks.values()].filter((a) => a && a.count === 0);
    const limited = [...acks.values()].filter((a) => a && a.statusCode === 429);
    // the burst (plus what refilled meanwhile) is answered; the rest is refused until the strikes run out
    expect(ok.length).toBeGreaterThanOrEqual(BUDGETS.read.burst);
    expect(ok.length).toBeLessThan(N / 2);
    expect(limited.length).toBe(STRIKES + 1);
    expect(limited[0]).toMatchObject({ success: false, statusCode: 429, error: "Too Many Requests" });
    expect(limited[0].message).toMatch(/Too many read events/);
    expect(acks.size).toBe(ok.length + limited.length); // nothing handled after the close
    expect(frames).toContain("41"); // namespace DISCONNECT: a stock client does not reconnect
    expect(frames.some((f) => f.startsWith('42["error"') && f.includes("Too many read events"))).toBe(true);
    await detached(u._id);
  });

  it("a burst of createGroup: only the group budget is created", async () => {
    const [u, v] = [await makeUser(), await makeUser()];
    const { client } = await sioWs({ token: u.token });
    for (let i = 0; i < 40; i++) client.send(`42${i}["createGroup",{"name":"g${i}","members":["${v._id}"]}]`);
    const { acks } = await drain(client, 20_000);
    const created = [...acks.values()].filter((a) => a?.statusCode === 201);
    expect(created.length).toBeGreaterThanOrEqual(BUDGETS.group.burst);
    expect(created.length).toBeLessThanOrEqual(BUDGETS.group.burst + 1);
    const rows = await db.select().from(conversations).where(eq(conversations.createdBy, u._id)).all();
    expect(rows.length).toBe(created.length);
    await detached(u._id);
  });

  it("100 typing toggles: the member hears only the budget's worth", async () => {
    const [u, v] = [await makeUser(), await makeUser()];
    // typing to a user needs an existing conversation with them
    expect((await api("POST", "/api/conversations/1on1", { token: u.token, body: { receiverId: v._id } })).status).toBe(201);
    const member = await sioWs({ token: v.token });
    const typist = await sioWs({ token: u.token });
    const started = Date.now();
    for (let i = 0; i < 100; i++) typist.client.send(`42${i}["${i % 2 ? "typing_stop" : "typing_start"}",{"receiverId":"${v._id}"}]`);
    const { acks } = await drain(typist.client);
    const seconds = (Date.now() - started) / 1000;
    const accepted = [...acks.values()].filter((a) => a?.success === true).length;
    // the burst, plus what refilled while they were handled (each toggle is a D1 read and a room call)
    expect(accepted).toBeGreaterThanOrEqual(BUDGETS.typing.burst);
    expect(accepted).toBeLessThanOrEqual(BUDGETS.typing.burst + Math.ceil(seconds * BUDGETS.typing.perSecond) + 1);
    expect(accepted).toBeLessThan(50);
    // every accepted toggle is one change: the member gets that many indicators (not 100)
    let heard = 0;
    while (heard < accepted) {
      const f = await member.client.next(5000);
      if (typeof f === "string" && f.startsWith('42["typing_indicator"')) heard++;
    }
    expect(heard).toBe(accepted);
    member.client.close();
    await detached(u._id);
    await detached(v._id);
  });

  it("normal use stays under budget", async () => {
    const [u, v] = [await makeUser(), await makeUser()];
    expect((await api("POST", "/api/conversations/1on1", { token: u.token, body: { receiverId: v._id } })).status).toBe(201);
    const { client } = await sioWs({ token: u.token });
    let id = 0;
    const sent: number[] = [];
    const emit = (event: string, payload?: unknown) => {
      sent.push(id);
      client.send(`42${id++}${JSON.stringify(payload === undefined ? [event] : [event, payload])}`);
    };
    for (let i = 0; i < 5; i++) {
      emit("typing_start", { receiverId: v._id });
      emit("send_message", { receiverId: v._id, content: `m${i}` });
      emit("typing_stop", { receiverId: v._id });
    }
    emit("get_message_history", { otherUserId: v._id });
    emit("get_unread_count");
    emit("get_online_users");
    for (let i = 0; i < 10; i++) emit("echo", i);
    const seen = new Map<number, any>();
    while (seen.size < sent.length) {
      const f = await client.next(10_000);
      const m = typeof f === "string" ? /^43(\d+)(\[.*)$/s.exec(f) : null;
      if (m) seen.set(Number(m[1]), JSON.parse(m[2])[0]);
    }
    expect([...seen.values()].filter((a) => a?.statusCode === 429)).toEqual([]);
    expect(client.isClosed).toBe(false);
    client.close();
    await client.waitClosed();
    await detached(u._id);
  });

  it("per user: connections of one user share the Rate Limiting binding's budget", async () => {
    const userId = crypto.randomUUID();
    const results: string[] = [];
    // five connections, each within its own burst of 5 createGroup
    for (let c = 0; c < 5; c++) {
      const budget = new ConnectionBudget(env, userId);
      for (let i = 0; i < BUDGETS.group.burst; i++) {
        const v = await budget.check("createGroup");
        results.push(v.ok ? "ok" : v.message);
      }
    }
    expect(results.slice(0, 20).every((r) => r === "ok")).toBe(true);
    expect(results.slice(20).every((r) => /for this user: at most 20 a minute/.test(r))).toBe(true);
    // another user is not affected
    expect(await new ConnectionBudget(env, crypto.randomUUID()).check("createGroup")).toEqual({ ok: true });
  });

  it("buckets refill with time; unknown events have their own budget", async () => {
    let now = 1_000_000;
    const budget = new ConnectionBudget(env, crypto.randomUUID(), () => now);
    for (let i = 0; i < BUDGETS.echo.burst; i++) expect((await budget.check("echo")).ok).toBe(true);
    expect(await budget.check("echo")).toMatchObject({ ok: false, close: false });
    expect((await budget.check("no_such_event")).ok).toBe(true); // `other` is separate
    now += 1000; // 10 echoes a second
    for (let i = 0; i < BUDGETS.echo.perSecond; i++) expect((await budget.check("echo")).ok).toBe(true);
    expect((await budget.check("echo")).ok).toBe(false);
    // strikes: STRIKES rejections are tolerated, the next one closes
    let verdict = await budget.check("echo");
    for (let i = 0; verdict.ok === false && !verdict.close && i < 100; i++) verdict = await budget.check("echo");
    expect(verdict).toMatchObject({ ok: false, close: true });
  });
});

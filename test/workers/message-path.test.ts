/**
 * The steady-state message path makes no D1 round trip: the conversation's
 * room holds the log and caches members, profiles and blocks; hubs hold
 * inboxes. D1 statements are counted for the whole isolate (Worker and
 * Durable Objects run in it here).
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb, d1Stats } from "../../src/db/client";
import { users } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { messageId } from "../../src/lib/ids";
import { HubMail } from "../../src/objects/hub-mail";

import { api, fakeSocket, makeUser, pairMessages } from "./helpers";
import { hubStub } from "./realtime-helpers";
import { roomStub } from "./objects";

describe("D1 on the send -> deliver path", () => {
  it("after warm-up, 100 sends into a conversation (socket and REST, by user and by conversation) cost at most 10 D1 statements", async () => {
    const [a, b] = [await makeUser({ name: "Ann" }), await makeUser({ name: "Ben" })];
    const sa = fakeSocket(a);
    const sb = fakeSocket(b, "chat-socket");
    // warm-up: the pair's conversation is created, the room loads its members
    const atStart = d1Stats.statements;
    const first = await sa.call("send_message", { receiverId: b._id, content: "warm-up" });
    const conversationId = first.message.conversationId;
    await sb.call("send_message", { conversation_id: conversationId, message: "warm-up too" });
    await api("POST", "/api/messages", { token: a.token, body: { conversationId, message: "warm-up REST" } });
    await roomStub(conversationId).deliveriesIdle();

    const before = d1Stats.statements;
    expect(before - atStart, "the counter sees the warm-up's queries").toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) {
      if (i % 4 === 0) await sa.call("send_message", { receiverId: b._id, content: `002 ${i}` });
      else if (i % 4 === 1) await sb.call("send_message", { conversation_id: conversationId, message: `004 ${i}` });
      else if (i % 4 === 2) await sa.call("sendMessage", { conversationId, message: `003 ${i}` });
      else await sa.call("sendMessage", { recipientId: b._id, text: `001 ${i}` });
    }
    await roomStub(conversationId).deliveriesIdle();
    const used = d1Stats.statements - before;
    expect(used).toBeLessThanOrEqual(10);

    // and everything was stored, in order
    const history = await api("GET", `/api/conversations/${conversationId}/messages?limit=100`, { token: b.token });
    expect(history.body).toHaveLength(100);
    expect(history.body.at(-1).message).toBe("001 99");
    expect(history.body.map((m: any) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 4));
  });
});

describe("recovery survives the hub's eviction", () => {
  it("messages sent while the user was away are replayed after the hub was evicted between the drop and the reconnect", async () => {
    const [a, b] = [await makeUser({ name: "Ann" }), await makeUser({ name: "Ben" })];
    const hub = hubStub(b._id);
    const away = await hub.openSession(`gone${crypto.randomUUID().replace(/-/g, "")}`, "standard");
    const sa = fakeSocket(a);
    const sent = [];
    for (let i = 1; i <= 3; i++) sent.push((await sa.call("send_message", { receiverId: b._id, content: `away ${i}` })).message);
    await roomStub(sent[0].conversationId).deliveriesIdle();
    await evictDurableObject(hub);
    const back = await hub.openSession(`back${crypto.randomUUID().replace(/-/g, "")}`, "standard", { pid: away.pid, offset: away.offset });
    expect(back.recovered).toBe(true);
    const replayed = back.replay.map((r) => JSON.parse(r.event) as [string, any]).filter(([e]) => e === "receive_message");
    expect(replayed.map(([, m]) => m.content)).toEqual(["away 1", "away 2", "away 3"]);
    expect(replayed.map(([, m]) => m._id)).toEqual(sent.map((m) => m._id));
  });
});

describe("a group send is answered once committed; the fan-out mark makes its delivery survive a restart", () => {
  it("a restarted room sends what it committed but may not have fanned out; a hub that has a message skips it", async () => {
    const [a, b, c] = [await makeUser({ name: "Ann" }), await makeUser({ name: "Ben" }), await makeUser({ name: "Cid" })];
    const group = await api("POST", "/api/conversations/group", { token: a.token, body: { name: "Crew", members: [b._id, c._id] } });
    const conversationId = group.body.data._id as string;
    const hub = hubStub(b._id);
    const away = await hub.openSession(`gone${crypto.randomUUID().replace(/-/g, "")}`, "standard");
    const sa = fakeSocket(a);
    const one = await sa.call("sendMessage", { conversationId, message: "one" });
    expect(one).toMatchObject({ statusCode: 201, data: { message: "one" } });
    const room = roomStub(conversationId);
    await room.deliveriesIdle();
    // a crash as the room commits "two": stored, not fanned out; and "one"'s progress not yet written
    await runInDurableObject(room, (_r, state) => {
      const sql = state.storage.sql;
      const seq = sql.exec<{ s: number }>("SELECT max(seq) AS s FROM messages").one().s + 1;
      const at = Date.now();
      sql.exec("INSERT INTO messages (seq, id, sender_id, type, text, created_at) VALUES (?, ?, ?, 'text', 'two', ?)", seq, messageId(at, conversationId, seq), a._id, at);
      sql.exec("UPDATE fan_out_mark SET done = ?", seq - 2);
    });
    await evictDurableObject(room);
    await room.deliveriesIdle();
    const back = await hub.openSession(`back${crypto.randomUUID().replace(/-/g, "")}`, "standard", { pid: away.pid, offset: away.offset });
    const received = back.replay.map((r) => JSON.parse(r.event) as [string, any]).filter(([e]) => e === "receive_message");
    expect(received.map(([, m]) => m.content)).toEqual(["one", "two"]);
    // and the mark moved past both: a further restart owes nothing
    expect(await runInDurableObject(room, (_r, state) => state.storage.sql.exec<{ done: number }>("SELECT done FROM fan_out_mark").one().done)).toBe(2);
  });
});

describe("group senders cannot outrun delivery", () => {
  it("group sends are answered once committed, but not while many fan-outs are under way: those wait for the hubs (and their answer carries the status)", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const group = await api("POST", "/api/conversations/group", { token: a.token, body: { name: "Busy", members: [b._id, c._id] } });
    const conversationId = group.body.data._id as string;
    await hubStub(b._id).openSession(`live${crypto.randomUUID().replace(/-/g, "")}`, "standard");
    const [sa, sc] = [fakeSocket(a), fakeSocket(c)];
    const sends = [...Array(45).keys()].flatMap((i) => [sa.call("sendMessage", { conversationId, message: `a${i}` }), sc.call("sendMessage", { conversationId, message: `c${i}` })]);
    const answers = await Promise.all(sends);
    expect(answers.every((r) => r.statusCode === 201)).toBe(true);
    const withStatus = sa.of("message_status").length + sc.of("message_status").length;
    // the first sends were answered at once (no status in the answer); once 32 were under way, later ones waited
    expect(withStatus).toBeGreaterThan(0);
    expect(withStatus).toBeLessThan(90);
    await roomStub(conversationId).deliveriesIdle();
    const history = await api("GET", `/api/conversations/${conversationId}/messages?limit=100`, { token: b.token });
    expect(history.body).toHaveLength(90);
  });
});

describe("a 1-on-1 socket send's answer tells whether it was delivered", () => {
  it("the sending connection hears message_status delivered from its own gateway (after its ack), not from its hub", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    await hubStub(b._id).openSession(`live${crypto.randomUUID().replace(/-/g, "")}`, "standard");
    const sa = fakeSocket(a);
    const sent = await sa.call("send_message", { receiverId: b._id, content: "to a live recipient" });
    expect(sa.of("message_status")).toEqual([expect.objectContaining({ messageId: sent.message._id, status: "delivered", seq: sent.message.seq })]);
    // offline recipient: no status
    const c = await makeUser();
    await sa.call("send_message", { receiverId: c._id, content: "to nobody online" });
    expect(sa.of("message_status")).toHaveLength(1);
  });
});

describe("presence never goes stale", () => {
  it("the hub's sweep detaches a session whose connection is gone even when its own detach never came", async () => {
    const u = await makeUser();
    const hub = hubStub(u._id);
    // a session whose connection object never existed: nobody will ever detach it
    await hub.openSession(`lost${crypto.randomUUID().replace(/-/g, "")}`, "standard");
    expect(await hub.sessions()).toHaveLength(1);
    const online = () => createDb(env.DB).select({ isOnline: users.isOnline }).from(users).where(eq(users.id, u._id)).get();
    expect((await online())?.isOnline).toBe(true);
    expect(await runInDurableObject(hub, (_h, state) => state.storage.getAlarm())).toEqual(expect.any(Number));
    // the sweep is due: run it
    await runInDurableObject(hub, (_h, state) => state.storage.kv.put("sweep:at", Date.now() - 1));
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    expect(await hub.sessions()).toEqual([]);
    expect((await online())?.isOnline).toBe(false);
  });
});

describe("a failed hub call is retried, never dropped", () => {
  it("parks the call after its retries, keeps the member's lane behind it, and the alarm's drain sends both in order", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conversationId = (await fakeSocket(a).call("send_message", { receiverId: b._id, content: "x" })).message.conversationId;
    const room = roomStub(conversationId);
    await room.deliveriesIdle();
    let failures = 4; // more than the retries
    const delivered: string[] = [];
    const fakeEnv = {
      USER_HUB: {
        idFromName: (n: string) => n,
        get: () => ({
          deliver: async (calls: { out: [string, string][] }[]) => {
            if (failures-- > 0) throw new Error("hub overloaded");
            for (const call of calls) delivered.push(call.out[0][1]);
            return calls.map(() => 0);
          },
        }),
      },
    } as unknown as Env;
    await runInDurableObject(room, async (_r, state) => {
      let parked = 0;
      const mail = new HubMail(state.storage.sql, fakeEnv, () => parked++);
      await mail.send("member", { out: [["e", "first"]] });
      await mail.send("member", { out: [["e", "second"]] });
      expect(parked).toBe(2);
      expect(delivered).toEqual([]);
      expect(mail.hasBacklog()).toBe(true);
      expect(await mail.drain()).toBe(false);
      expect(delivered).toEqual(["first", "second"]);
    });
  });
});

describe("a busy member's lane batches", () => {
  it("calls queued behind the one in flight reach the hub together, in order, each answered", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const conversationId = (await fakeSocket(a).call("send_message", { receiverId: b._id, content: "x" })).message.conversationId;
    const room = roomStub(conversationId);
    const batches: string[][] = [];
    let release!: () => void;
    const firstHeld = new Promise<void>((r) => (release = r));
    const fakeEnv = {
      USER_HUB: {
        idFromName: (n: string) => n,
        get: () => ({
          deliver: async (calls: { out: [string, string][] }[]) => {
            batches.push(calls.map((c) => c.out[0][1]));
            if (batches.length === 1) await firstHeld;
            return calls.map((_, i) => batches.length * 10 + i);
          },
        }),
      },
    } as unknown as Env;
    await runInDurableObject(room, async (_r, state) => {
      const mail = new HubMail(state.storage.sql, fakeEnv, () => {});
      const answers = ["m1", "m2", "m3", "m4"].map((m) => mail.send("member", { out: [["e", m]] }));
      // the first is in flight; the other three wait behind it
      expect(batches).toEqual([["m1"]]);
      release();
      expect(await Promise.all(answers)).toEqual([10, 20, 21, 22]);
      expect(batches).toEqual([["m1"], ["m2", "m3", "m4"]]);
      await mail.idle();
    });
  });
});

describe("payloads", () => {
  it("a deeply nested payload is refused with 400 and nothing is stored", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    let nested: unknown = "leaf";
    for (let i = 0; i < 200; i++) nested = { n: nested };
    const res = await api("POST", "/api/messages", { token: a.token, body: { receiverId: b._id, message: "deep", payload: nested } });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/payload/);
    expect(await pairMessages(a._id, b._id)).toEqual([]);
  });
});

/**
 * /api/friends (001): list with presence, and the request / accept /
 * decline / cancel / remove flow.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, countingApp, insertUsers, makeUser, type TestUser } from "./helpers";
import { createDb } from "../../src/db/client";
import { conversationMetadata, friendships } from "../../src/db/schema";
import { blockersAmong } from "../../src/domain/relations";
import { objectId } from "../../src/lib/ids";

async function request(from: TestUser, body: Record<string, unknown>) {
  return api("POST", "/api/friends/requests", { token: from.token, body });
}

async function friendsOf(u: TestUser) {
  const r = await api("GET", "/api/friends", { token: u.token });
  expect(r.status).toBe(200);
  expect(r.body.success).toBe(true);
  return r.body.friends as any[];
}

async function befriend(a: TestUser, b: TestUser) {
  const sent = await request(a, { userId: b._id });
  expect(sent.status).toBe(201);
  const ok = await api("POST", `/api/friends/requests/${sent.body._id}/accept`, { token: b.token });
  expect(ok.status).toBe(200);
}

describe("friend requests", () => {
  it("request -> accept makes a mutual friendship with the documented fields", async () => {
    const [a, b] = [await makeUser({ name: "Alice" }), await makeUser({ name: "Jane Doe" })];
    const sent = await request(a, { userId: b.userId });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ success: true, status: "pending", from: { _id: a._id, name: "Alice" }, to: { _id: b._id, name: "Jane Doe" } });
    expect(sent.body._id).toMatch(/^[0-9a-f]{24}$/);
    expect(sent.body.request._id).toBe(sent.body._id);
    expect(Date.parse(sent.body.createdAt)).not.toBeNaN();

    const inbox = await api("GET", "/api/friends/requests", { token: b.token });
    expect(inbox.body).toMatchObject({ success: true, outgoing: [] });
    expect(inbox.body.incoming.map((r: any) => r._id)).toEqual([sent.body._id]);
    const outbox = await api("GET", "/api/friends/requests", { token: a.token });
    expect(outbox.body.outgoing.map((r: any) => r._id)).toEqual([sent.body._id]);
    expect(await friendsOf(a)).toEqual([]);

    // only the recipient accepts
    expect((await api("POST", `/api/friends/requests/${sent.body._id}/accept`, { token: a.token })).status).toBe(403);
    const outsider = await makeUser();
    expect((await api("POST", `/api/friends/requests/${sent.body._id}/accept`, { token: outsider.token })).status).toBe(404);

    const ok = await api("POST", `/api/friends/requests/${sent.body._id}/accept`, { token: b.token });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ success: true, status: "accepted" });
    expect((await api("POST", `/api/friends/requests/${sent.body._id}/accept`, { token: b.token })).status).toBe(409);

    // presence as stored on the user row
    await env.DB.prepare("UPDATE users SET is_online = 1, last_seen = ?, profile_image = ? WHERE id = ?")
      .bind(Date.parse("2023-01-07T11:55:00.000Z"), "https://example.com/avatar.jpg", b._id)
      .run();
    const friends = await friendsOf(a);
    expect(friends).toHaveLength(1);
    expect(friends[0]).toMatchObject({
      _id: b._id,
      userId: b.userId,
      name: "Jane Doe",
      photoURL: "https://example.com/avatar.jpg",
      isOnline: true,
      lastSeen: "2023-01-07T11:55:00.000Z",
    });
    expect((await friendsOf(b)).map((f) => f._id)).toEqual([a._id]);
    expect((await api("GET", "/api/friends/requests", { token: b.token })).body.incoming).toEqual([]);

    // asking again is a conflict
    const again = await request(a, { userId: b._id });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe("Already friends");
  });

  it("addresses by phone number or email; a crossing request accepts the other", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const byPhone = await request(a, { phoneNumber: b.phoneNumber.slice(2) }); // national format
    expect(byPhone.status).toBe(201);
    expect(byPhone.body.to._id).toBe(b._id);
    const dup = await request(a, { email: b.email });
    expect(dup.status).toBe(409);
    const crossing = await request(b, { email: a.email.toUpperCase() });
    expect(crossing.status).toBe(200);
    expect(crossing.body).toMatchObject({ _id: byPhone.body._id, status: "accepted" });
    expect((await friendsOf(a)).map((f) => f._id)).toEqual([b._id]);

    const byEmail = await request(c, { email: a.email });
    expect(byEmail.status).toBe(201);
  });

  it("decline (recipient), cancel (sender), and bad input", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    const r1 = await request(a, { userId: b._id });
    expect((await api("POST", `/api/friends/requests/${r1.body._id}/decline`, { token: a.token })).status).toBe(403);
    const declined = await api("POST", `/api/friends/requests/${r1.body._id}/decline`, { token: b.token });
    expect(declined.status).toBe(200);
    expect(declined.body.status).toBe("declined");
    expect(await friendsOf(b)).toEqual([]);

    const r2 = await request(a, { userId: b._id });
    expect(r2.status).toBe(201);
    expect((await api("DELETE", `/api/friends/requests/${r2.body._id}`, { token: b.token })).status).toBe(403);
    const cancelled = await api("DELETE", `/api/friends/requests/${r2.body._id}`, { token: a.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe("cancelled");
    expect((await api("POST", `/api/friends/requests/${r2.body._id}/accept`, { token: b.token })).status).toBe(409);
    expect((await api("GET", "/api/friends/requests", { token: b.token })).body.incoming).toEqual([]);

    expect((await request(a, {})).status).toBe(400);
    expect((await request(a, { userId: "nope" })).body.message).toContain("userId");
    expect((await request(a, { userId: a._id })).status).toBe(400);
    expect((await request(a, { userId: "0123456789abcdef01234567" })).status).toBe(404);
    expect((await request(a, { email: "bad" })).status).toBe(400);
    expect((await api("POST", "/api/friends/requests/0123456789abcdef01234567/accept", { token: a.token })).status).toBe(404);
  });

  it("blocked users cannot send requests and do not see the blocker's presence", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    await befriend(a, b);
    await env.DB.prepare("UPDATE users SET is_online = 1, last_seen = ? WHERE id = ?").bind(Date.now(), b._id).run();
    expect((await friendsOf(a))[0].isOnline).toBe(true);
    await api("PUT", `/api/conversations/${a._id}/metadata`, { token: b.token, body: { isBlocked: true } });
    const hidden = (await friendsOf(a))[0];
    expect(hidden).toMatchObject({ _id: b._id, isOnline: false, lastSeen: null });

    const c = await makeUser();
    await api("PUT", `/api/conversations/${c._id}/metadata`, { token: b.token, body: { isBlocked: true } });
    const r = await request(c, { userId: b._id });
    expect(r.status).toBe(403);
    expect(r.body.message).toBe("Access denied");
  });

  it("DELETE /api/friends/:userId ends the friendship both ways", async () => {
    const [a, b] = [await makeUser(), await makeUser()];
    await befriend(a, b);
    const r = await api("DELETE", `/api/friends/${b.userId}`, { token: a.token });
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    expect(await friendsOf(a)).toEqual([]);
    expect(await friendsOf(b)).toEqual([]);
    expect((await api("DELETE", `/api/friends/${b._id}`, { token: a.token })).status).toBe(404);
    // and they can become friends again
    await befriend(b, a);
    expect((await friendsOf(a)).map((f) => f._id)).toEqual([b._id]);
  });
});

describe("lists longer than D1's 100 bound parameters", () => {
  it("GET /api/friends with 120 friends answers all of them, presence hidden only where the friend blocked the caller", async () => {
    const me = await makeUser();
    const friends = await insertUsers(120, true);
    const d = createDb(env.DB);
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

  it("blockersAmong checks 150 candidates", async () => {
    const me = await makeUser();
    const rows = await insertUsers(150);
    await createDb(env.DB).insert(conversationMetadata).values({ id: objectId(), userId: rows[140].id, otherUserId: me._id, isBlocked: true });
    const blockers = await blockersAmong(createDb(env.DB), me._id, rows.map((r) => r.id));
    expect([...blockers]).toEqual([rows[140].id]);
  });
});

describe("D1 round trips per request", () => {
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
    await createDb(env.DB).insert(conversationMetadata).values({ id: objectId(), userId: c._id, otherUserId: a._id, isBlocked: true });
    expect(await call("POST", "/api/friends/requests", a.token, { userId: c._id })).toMatchObject({ status: 403, body: { message: "Access denied" } });
  });
});

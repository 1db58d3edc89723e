/**
 * 001 (professional chat) REST API, followed to the letter against
 * `wrangler dev`: the friends list (and CONTRACT.md's request / accept /
 * decline / cancel / remove flow), message history with another user, send
 * with the 001 body (201, the Message Schema), conversation metadata (pin,
 * block, ringtone, favourite) with blocking enforced as 403 `Access denied`,
 * attachments uploaded to R2, and the error body `{success:false, message}`.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { E2EUser } from "./client";
import { call, expectError, standardUser, unknownHexId, unknownUuid } from "./seed-chat-client";
import { closeAll, connect, eventually, waitFor } from "./sockets";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const HEX24 = /^[0-9a-f]{24}$/;

/** 001 §3.3 */
async function send001(from: E2EUser, recipientId: string, text: string, attachment?: { type: string; url: string }) {
  const r = await call("POST", "/api/messages/send", { token: from.token, json: { recipientId, text, ...(attachment ? { attachment } : {}) } });
  expect(r.status, r.text).toBe(201);
  return r.body;
}

async function history(me: E2EUser, otherUserId: string) {
  const r = await call("GET", `/api/messages/${otherUserId}`, { token: me.token });
  expect(r.status, r.text).toBe(200);
  return r.body as any[];
}

async function friendsOf(me: E2EUser) {
  const r = await call("GET", "/api/friends", { token: me.token });
  expect(r.status, r.text).toBe(200);
  expect(r.body.success).toBe(true);
  return r.body.friends as any[];
}

async function befriend(a: E2EUser, b: E2EUser) {
  const sent = await call("POST", "/api/friends/requests", { token: a.token, json: { userId: b._id } });
  expect(sent.status, sent.text).toBe(201);
  const accepted = await call("POST", `/api/friends/requests/${sent.body._id}/accept`, { token: b.token });
  expect(accepted.status, accepted.text).toBe(200);
}

function expectMessageSchema(m: any) {
  expect(m._id).toMatch(HEX24);
  expect(m.conversationId).toMatch(HEX24);
  expect(m.senderId).toMatch(HEX24);
  expect(m.recipientId).toMatch(HEX24);
  expect(typeof m.text).toBe("string");
  expect(m.createdAt).toMatch(ISO);
  expect(["sent", "delivered", "read"]).toContain(m.status);
  expect(m).toHaveProperty("attachment");
}

afterEach(() => closeAll());

describe("001 GET /api/friends and the friend request flow", () => {
  it("lists accepted friends only, with {_id, name, photoURL, isOnline, lastSeen}", async () => {
    const me = await standardUser("Jane Doe");
    const friend = await standardUser("Friend One");
    const pending = await standardUser("Not Yet");
    expect(await friendsOf(me)).toEqual([]);

    const req = await call("POST", "/api/friends/requests", { token: me.token, json: { userId: friend.userId } });
    expect(req.status, req.text).toBe(201);
    expect(req.body).toMatchObject({ _id: expect.stringMatching(HEX24), status: "pending" });
    expect(req.body.from).toMatchObject({ _id: me._id });
    expect(req.body.to).toMatchObject({ _id: friend._id });
    expect(req.body.createdAt).toMatch(ISO);
    // a request is not a friendship
    expect(await friendsOf(me)).toEqual([]);

    const accepted = await call("POST", `/api/friends/requests/${req.body._id}/accept`, { token: friend.token });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body).toMatchObject({ success: true, status: "accepted" });
    await call("POST", "/api/friends/requests", { token: me.token, json: { userId: pending._id } });

    const mine = await friendsOf(me);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ _id: friend._id, name: "Friend One", isOnline: false });
    expect(mine[0]).toHaveProperty("photoURL");
    expect(mine[0].lastSeen === null || ISO.test(mine[0].lastSeen)).toBe(true);
    // mutual
    expect((await friendsOf(friend)).map((f) => f._id)).toEqual([me._id]);
    expectError(await call("GET", "/api/friends"), 401);
  });

  it("shows a friend online while they hold a socket (001 connection with the token in the query)", async () => {
    const me = await standardUser("Watcher");
    const friend = await standardUser("Onliner");
    await befriend(me, friend);
    await connect(friend.token, { placement: "query" });
    await eventually(async () => (await friendsOf(me))[0]?.isOnline === true, 8000, "friend online in /api/friends");
    const [entry] = await friendsOf(me);
    expect(entry).toMatchObject({ _id: friend._id, isOnline: true });
  });

  it("GET /api/friends/requests lists incoming and outgoing; decline, cancel and remove", async () => {
    const me = await standardUser("Requester");
    const them = await standardUser("Decliner");
    const third = await standardUser("Canceled");

    const toThem = await call("POST", "/api/friends/requests", { token: me.token, json: { email: them.email } });
    expect(toThem.status, toThem.text).toBe(201);
    const toThird = await call("POST", "/api/friends/requests", { token: me.token, json: { phoneNumber: third.phoneNumber } });
    expect(toThird.status, toThird.text).toBe(201);

    const lists = await call("GET", "/api/friends/requests", { token: me.token });
    expect(lists.status).toBe(200);
    expect(lists.body.success).toBe(true);
    expect(lists.body.incoming).toEqual([]);
    expect(lists.body.outgoing.map((r: any) => r._id).sort()).toEqual([toThem.body._id, toThird.body._id].sort());
    const theirs = await call("GET", "/api/friends/requests", { token: them.token });
    expect(theirs.body.incoming.map((r: any) => r._id)).toEqual([toThem.body._id]);

    // only the recipient answers, only the sender cancels
    expectError(await call("POST", `/api/friends/requests/${toThem.body._id}/accept`, { token: me.token }), 403);
    expectError(await call("DELETE", `/api/friends/requests/${toThem.body._id}`, { token: them.token }), 403);
    const declined = await call("POST", `/api/friends/requests/${toThem.body._id}/decline`, { token: them.token });
    expect(declined.status, declined.text).toBe(200);
    expect(declined.body.status).toBe("declined");
    const canceled = await call("DELETE", `/api/friends/requests/${toThird.body._id}`, { token: me.token });
    expect(canceled.status, canceled.text).toBe(200);
    expect(canceled.body.status).toBe("cancelled");
    expectError(await call("POST", `/api/friends/requests/${toThird.body._id}/accept`, { token: third.token }), 409);
    expect(await friendsOf(me)).toEqual([]);
    expect((await call("GET", "/api/friends/requests", { token: me.token })).body.outgoing).toEqual([]);

    // remove a friend by either id form
    await befriend(me, them);
    expect((await friendsOf(me)).map((f) => f._id)).toEqual([them._id]);
    const removed = await call("DELETE", `/api/friends/${them.userId}`, { token: me.token });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body.success).toBe(true);
    expect(await friendsOf(me)).toEqual([]);
    expect(await friendsOf(them)).toEqual([]);
    expectError(await call("DELETE", `/api/friends/${them._id}`, { token: me.token }), 404);
  });

  it("a request to someone who already asked you accepts theirs", async () => {
    const a = await standardUser("Asker");
    const b = await standardUser("Asked");
    const first = await call("POST", "/api/friends/requests", { token: a.token, json: { userId: b._id } });
    const back = await call("POST", "/api/friends/requests", { token: b.token, json: { userId: a.userId } });
    expect(back.status, back.text).toBe(200);
    expect(back.body).toMatchObject({ _id: first.body._id, status: "accepted" });
    expect((await friendsOf(a)).map((f) => f._id)).toEqual([b._id]);
  });

  it("rejects bad friend requests with a clear 4xx", async () => {
    const a = await standardUser("Bad Friend");
    const b = await standardUser("Target Friend");
    expectError(await call("POST", "/api/friends/requests", { token: a.token, json: {} }), 400, /^userId: /);
    expectError(await call("POST", "/api/friends/requests", { token: a.token, json: { userId: "someone" } }), 400, /^userId: /);
    expectError(await call("POST", "/api/friends/requests", { token: a.token, json: { email: "nope" } }), 400, /^email: /);
    expectError(await call("POST", "/api/friends/requests", { token: a.token, json: { userId: unknownHexId() } }), 404);
    expectError(await call("POST", "/api/friends/requests", { token: a.token, json: { userId: unknownUuid() } }), 404);
    expectError(await call("POST", "/api/friends/requests", { token: a.token, json: { userId: a._id } }), 400, /yourself/);
    await call("POST", "/api/friends/requests", { token: a.token, json: { userId: b._id } });
    expectError(await call("POST", "/api/friends/requests", { token: a.token, json: { userId: b._id } }), 409);
    expectError(await call("POST", "/api/friends/requests/not-an-id/accept", { token: b.token }), 400, /^requestId: /);
    expectError(await call("POST", `/api/friends/requests/${unknownHexId()}/accept`, { token: b.token }), 404);
    expectError(await call("DELETE", "/api/friends/xyz", { token: a.token }), 400, /^userId: /);
  });
});

describe("001 POST /api/messages/send and GET /api/messages/:otherUserId", () => {
  it("sends the documented body (with attachment) and answers 201 with the Message Schema", async () => {
    const me = await standardUser("Sender");
    const other = await standardUser("Recipient");
    const r = await call("POST", "/api/messages/send", {
      token: me.token,
      json: { recipientId: other._id, text: "Hello there!", attachment: { type: "image", url: "https://example.com/image.jpg" } },
    });
    expect(r.status, r.text).toBe(201);
    expectMessageSchema(r.body);
    expect(r.body).toMatchObject({
      senderId: me._id,
      recipientId: other._id,
      text: "Hello there!",
      attachment: { type: "image", url: "https://example.com/image.jpg" },
      status: "sent",
    });
  });

  it("accepts the recipient by either id form, text without attachment, and attachment with empty text", async () => {
    const me = await standardUser("Flexible");
    const other = await standardUser("Flexed");
    const byUuid = await send001(me, other.userId, "by uuid");
    expect(byUuid.recipientId).toBe(other._id);
    expect(byUuid.attachment).toBeNull();
    const fileOnly = await send001(me, other._id, "", { type: "file", url: "https://example.com/report.pdf" });
    expect(fileOnly).toMatchObject({ text: "", attachment: { type: "file", url: "https://example.com/report.pdf" } });
    const video = await send001(me, other._id, "clip", { type: "video", url: "https://example.com/clip.mp4" });
    expect(video.attachment.type).toBe("video");
    // one conversation for the pair
    expect(new Set([byUuid.conversationId, fileOnly.conversationId, video.conversationId]).size).toBe(1);
  });

  it("history with another user is the Message Schema list, oldest first, by either id form", async () => {
    const me = await standardUser("Historian");
    const other = await standardUser("Talker");
    const ids = [
      (await send001(me, other._id, "one"))._id,
      (await send001(other, me._id, "two"))._id,
      (await send001(me, other.userId, "three"))._id,
    ];
    const mine = await history(me, other._id);
    expect(mine.map((m) => m._id)).toEqual(ids);
    mine.forEach(expectMessageSchema);
    expect(mine.map((m) => [m.senderId, m.recipientId, m.text])).toEqual([
      [me._id, other._id, "one"],
      [other._id, me._id, "two"],
      [me._id, other._id, "three"],
    ]);
    expect((await history(me, other.userId)).map((m) => m._id)).toEqual(ids);
    expect((await history(other, me._id)).map((m) => m._id)).toEqual(ids);
    // never talked: empty
    const nobody = await standardUser("Quiet");
    expect(await history(me, nobody._id)).toEqual([]);
  });

  it("a message the recipient read has status 'read'", async () => {
    const me = await standardUser("Status Sender");
    const other = await standardUser("Status Reader");
    const m = await send001(me, other._id, "did you read this?");
    expect(m.status).toBe("sent");
    const read = await call("PUT", `/api/messages/conversation/${m.conversationId}/read`, { token: other.token });
    expect(read.status).toBe(200);
    const [seen] = await history(me, other._id);
    expect(seen).toMatchObject({ _id: m._id, status: "read" });
  });

  it("the recipient's 001 socket receives the message as receiveMessage", async () => {
    const me = await standardUser("Live Sender");
    const other = await standardUser("Live Reader");
    const socket = await connect(other.token, { placement: "query" });
    const arrived = waitFor(socket, "receiveMessage", { timeout: 8000 });
    const m = await send001(me, other._id, "live!");
    const [payload] = await arrived;
    expect(payload).toMatchObject({ _id: m._id, senderId: me._id, recipientId: other._id, text: "live!" });
  });

  it("rejects bad sends with 400 naming the field, unknown users with 404, no token with 401", async () => {
    const me = await standardUser("Careless");
    const other = await standardUser("Careful");
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { text: "to whom?" } }), 400, /^recipientId: /);
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { recipientId: "bob", text: "x" } }), 400, /^recipientId: /);
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { recipientId: other._id } }), 400, /^text: /);
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { recipientId: other._id, text: 5 } }), 400, /^text: /);
    expectError(
      await call("POST", "/api/messages/send", { token: me.token, json: { recipientId: other._id, text: "x", attachment: { type: "gif", url: "https://example.com/a.gif" } } }),
      400,
      /^attachment\.type: /,
    );
    expectError(
      await call("POST", "/api/messages/send", { token: me.token, json: { recipientId: other._id, text: "x", attachment: { type: "image", url: "javascript:alert(1)" } } }),
      400,
      /^attachment\.url: /,
    );
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { recipientId: me._id, text: "me" } }), 400, /recipientId/);
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { recipientId: "63b8c3b9e4b0e4b8c8e1b1a3", text: "x" } }), 404);
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { recipientId: unknownUuid(), text: "x" } }), 404);
    expectError(await call("POST", "/api/messages/send", { token: me.token, raw: "{", contentType: "application/json" }), 400, /JSON/);
    expectError(await call("POST", "/api/messages/send", { json: { recipientId: other._id, text: "x" } }), 401);
    expectError(await call("POST", "/api/messages/send", { token: "garbage", json: { recipientId: other._id, text: "x" } }), 401);
    expect(await history(me, other._id)).toEqual([]);

    expectError(await call("GET", `/api/messages/${unknownHexId()}`, { token: me.token }), 404);
    expectError(await call("GET", "/api/messages/not-a-user", { token: me.token }), 400, /^otherUserId: /);
    expectError(await call("GET", `/api/messages/${other._id}`), 401);
  });
});

describe("001 PUT /api/conversations/:otherUserId/metadata", () => {
  it("stores the documented body and returns the metadata object; later updates change only what they name", async () => {
    const me = await standardUser("Pinner");
    const other = await standardUser("Pinned");
    const r = await call("PUT", `/api/conversations/${other._id}/metadata`, {
      token: me.token,
      json: { isPinned: true, isBlocked: false, customRingtone: "ringtone_url", isFavorite: true },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      userId: me._id,
      otherUserId: other._id,
      isPinned: true,
      isBlocked: false,
      customRingtone: "ringtone_url",
      isFavorite: true,
    });
    expect(r.body._id).toMatch(HEX24);

    const partial = await call("PUT", `/api/conversations/${other.userId}/metadata`, { token: me.token, json: { isPinned: false } });
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({ _id: r.body._id, isPinned: false, isBlocked: false, customRingtone: "ringtone_url", isFavorite: true });
    // the other user's metadata about me is separate
    const theirs = await call("PUT", `/api/conversations/${me._id}/metadata`, { token: other.token, json: { isFavorite: false } });
    expect(theirs.body).toMatchObject({ userId: other._id, otherUserId: me._id, isPinned: false, isFavorite: false });
    expect(theirs.body._id).not.toBe(r.body._id);
  });

  it("rejects wrong types, malformed and unknown users", async () => {
    const me = await standardUser("Meta Bad");
    const other = await standardUser("Meta Other");
    expectError(await call("PUT", `/api/conversations/${other._id}/metadata`, { token: me.token, json: { isPinned: "yes" } }), 400, /^isPinned: /);
    expectError(await call("PUT", `/api/conversations/${other._id}/metadata`, { token: me.token, json: { customRingtone: 5 } }), 400, /^customRingtone: /);
    expectError(await call("PUT", `/api/conversations/not-a-user/metadata`, { token: me.token, json: { isPinned: true } }), 400, /^otherUserId: /);
    expectError(await call("PUT", `/api/conversations/${unknownHexId()}/metadata`, { token: me.token, json: { isPinned: true } }), 404);
    expectError(await call("PUT", `/api/conversations/${other._id}/metadata`, { json: { isPinned: true } }), 401);
  });

  it("isBlocked stops the blocked user's messages (403 Access denied) until unblocked", async () => {
    const me = await standardUser("Blocker");
    const pest = await standardUser("Pest");
    await send001(pest, me._id, "before");
    const block = await call("PUT", `/api/conversations/${pest._id}/metadata`, { token: me.token, json: { isBlocked: true } });
    expect(block.body.isBlocked).toBe(true);

    const denied = await call("POST", "/api/messages/send", { token: pest.token, json: { recipientId: me._id, text: "let me talk" } });
    expectError(denied, 403, "Access denied");
    const conv = (await history(pest, me._id))[0].conversationId;
    expectError(await call("POST", "/api/messages", { token: pest.token, json: { conversationId: conv, message: "via 003" } }), 403, "Access denied");
    expectError(await call("POST", "/api/friends/requests", { token: pest.token, json: { userId: me._id } }), 403, "Access denied");
    expect((await history(me, pest._id)).map((m) => m.text)).toEqual(["before"]);
    // the blocker can still write
    await send001(me, pest._id, "I can still write");

    await call("PUT", `/api/conversations/${pest._id}/metadata`, { token: me.token, json: { isBlocked: false } });
    await send001(pest, me._id, "thanks");
    expect((await history(me, pest._id)).map((m) => m.text)).toEqual(["before", "I can still write", "thanks"]);
  });

  it("a friend who blocked you shows as offline with no lastSeen", async () => {
    const me = await standardUser("Hidden From");
    const friend = await standardUser("Hider");
    await befriend(me, friend);
    await connect(friend.token, { placement: "query" });
    await eventually(async () => (await friendsOf(me))[0]?.isOnline === true, 8000, "friend online");
    await call("PUT", `/api/conversations/${me._id}/metadata`, { token: friend.token, json: { isBlocked: true } });
    const [entry] = await friendsOf(me);
    expect(entry).toMatchObject({ _id: friend._id, isOnline: false, lastSeen: null });
  });
});

describe("001 attachments through uploads (CONTRACT.md)", () => {
  it("an uploaded file's URL goes into attachment.url; the recipient may read it, others may not", async () => {
    const me = await standardUser("Uploader");
    const other = await standardUser("Viewer");
    const outsider = await standardUser("Outsider");
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
    const form = new FormData();
    form.set("file", new Blob([png], { type: "image/png" }), "photo.png");
    const up = await call("POST", "/api/uploads", { token: me.token, raw: form });
    expect(up.status, up.text).toBe(201);
    const url: string = up.body.data.url;
    expect(url).toMatch(/\/api\/uploads\/[0-9a-f]{24}$/);
    const path = new URL(url).pathname;

    // not yet shared: only the uploader reads it
    expectError(await call("GET", path, { token: other.token }), 403);
    const m = await send001(me, other._id, "look", { type: "image", url });
    expect(m.attachment).toEqual({ type: "image", url });

    const read = await fetch(url, { headers: { authorization: `Bearer ${other.token}` } });
    expect(read.status).toBe(200);
    expect(read.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await read.arrayBuffer())).toEqual(png);
    expectError(await call("GET", path, { token: outsider.token }), 403);
    expectError(await call("GET", path), 401);
    expectError(await call("GET", `/api/uploads/${unknownHexId()}`, { token: me.token }), 404);
  });

  it("refuses a disallowed type (415) and a request without a file (400)", async () => {
    const me = await standardUser("Bad Uploader");
    expectError(await call("POST", "/api/uploads", { token: me.token, raw: "MZ", contentType: "application/x-msdownload" }), 415, /x-msdownload/);
    const form = new FormData();
    form.set("other", "value");
    expectError(await call("POST", "/api/uploads", { token: me.token, raw: form }), 400, /^file: /);
  });
});

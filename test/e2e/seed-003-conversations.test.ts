/**
 * 003 conversation APIs, followed to the letter against `wrangler dev`:
 * every response is the envelope `{success, statusCode, message, data}` with
 * the documented message texts; 1-on-1 and group creation, the list, one
 * conversation, members added by any member and removed by the creator,
 * rename (creator only), leave. Errors are `{success:false, statusCode,
 * message, error}` (plus `detail`).
 */
import { describe, expect, it } from "vitest";
import type { E2EUser } from "./client";
import { call, expectError, standardUser, unknownHexId, unknownUuid } from "./seed-chat-client";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const HEX24 = /^[0-9a-f]{24}$/;

async function oneOnOne(me: E2EUser, receiverId: string) {
  const r = await call("POST", "/api/conversations/1on1", { token: me.token, json: { receiverId } });
  expect([200, 201], r.text).toContain(r.status);
  return r.body.data;
}

async function group(me: E2EUser, name: string, members: string[]) {
  const r = await call("POST", "/api/conversations/group", { token: me.token, json: { name, members } });
  expect(r.status, r.text).toBe(201);
  return r.body.data;
}

async function sendTo(me: E2EUser, conversationId: string, message: string) {
  const r = await call("POST", "/api/messages", { token: me.token, json: { conversationId, message, messageType: "text" } });
  expect(r.status, r.text).toBe(201);
  return r.body.data;
}

function expectMember(m: any, u: E2EUser) {
  expect(m).toMatchObject({ _id: u._id, name: u.name, email: u.email });
  expect(m).toHaveProperty("profilePicture");
}

describe("003 POST /conversations/1on1", () => {
  it("creates the conversation (201) with the documented envelope and fields", async () => {
    const john = await standardUser("John Doe");
    const jane = await standardUser("Jane Smith");
    const r = await call("POST", "/api/conversations/1on1", { token: john.token, json: { receiverId: jane._id } });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ success: true, statusCode: 201, message: "1-on-1 conversation created successfully" });
    const c = r.body.data;
    expect(c._id).toMatch(HEX24);
    expect(c).toMatchObject({ type: "1on1", createdBy: john._id, status: "active" });
    expect(c.members).toHaveLength(2);
    expectMember(c.members.find((m: any) => m._id === john._id), john);
    expectMember(c.members.find((m: any) => m._id === jane._id), jane);
    expect(c.createdAt).toMatch(ISO);
    expect(c.updatedAt).toMatch(ISO);
  });

  it("is unique per pair: asking again (either id form, either side) returns the same conversation", async () => {
    const a = await standardUser("Pair A");
    const b = await standardUser("Pair B");
    const first = await oneOnOne(a, b._id);
    const again = await call("POST", "/api/conversations/1on1", { token: a.token, json: { receiverId: b.userId } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ success: true, statusCode: 200, data: { _id: first._id, type: "1on1" } });
    expect((await oneOnOne(b, a.userId))._id).toBe(first._id);
  });

  it("rejects a missing, malformed, unknown or own receiverId and unauthenticated calls", async () => {
    const a = await standardUser("Picky");
    expectError(await call("POST", "/api/conversations/1on1", { token: a.token, json: {} }), 400, /^receiverId: /);
    expectError(await call("POST", "/api/conversations/1on1", { token: a.token, json: { receiverId: 12 } }), 400, /^receiverId: /);
    // the document's example id has 23 hex digits: not an id at all
    expectError(await call("POST", "/api/conversations/1on1", { token: a.token, json: { receiverId: "64a1b2c3d4e5f6789012345" } }), 400, /^receiverId: /);
    expectError(await call("POST", "/api/conversations/1on1", { token: a.token, json: { receiverId: unknownHexId() } }), 404, /not found/i);
    expectError(await call("POST", "/api/conversations/1on1", { token: a.token, json: { receiverId: unknownUuid() } }), 404, /not found/i);
    expectError(await call("POST", "/api/conversations/1on1", { token: a.token, json: { receiverId: a._id } }), 400, /receiverId/);
    expectError(await call("POST", "/api/conversations/1on1", { token: a.token, raw: '{"receiverId":', contentType: "application/json" }), 400, /JSON/);
    expectError(await call("POST", "/api/conversations/1on1", { json: { receiverId: a._id } }), 401);
  });
});

describe("003 POST /conversations/group", () => {
  it("creates the group (201) with the creator and the named members (either id form)", async () => {
    const john = await standardUser("John Doe");
    const jane = await standardUser("Jane Smith");
    const bob = await standardUser("Bob Wilson");
    // the document lists the creator among the members too
    const r = await call("POST", "/api/conversations/group", { token: john.token, json: { name: "Project Team", members: [john._id, jane._id, bob.userId] } });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ success: true, statusCode: 201, message: "Group conversation created successfully" });
    const g = r.body.data;
    expect(g).toMatchObject({ name: "Project Team", type: "group", createdBy: john._id, status: "active" });
    expect(g.members.map((m: any) => m._id).sort()).toEqual([john._id, jane._id, bob._id].sort());
    for (const u of [john, jane, bob]) expect(g.members.find((m: any) => m._id === u._id)).toMatchObject({ name: u.name, email: u.email });
    expect(g.createdAt).toMatch(ISO);
    expect(g.updatedAt).toMatch(ISO);
    // every member sees it
    for (const u of [jane, bob]) {
      const seen = await call("GET", `/api/conversations/${g._id}`, { token: u.token });
      expect(seen.status).toBe(200);
    }
  });

  it("rejects a missing name, bad members and unknown users (404 naming them)", async () => {
    const a = await standardUser("Grouper");
    const b = await standardUser("Grouped");
    expectError(await call("POST", "/api/conversations/group", { token: a.token, json: { members: [b._id] } }), 400, /^name: /);
    expectError(await call("POST", "/api/conversations/group", { token: a.token, json: { name: "", members: [b._id] } }), 400, /^name: /);
    expectError(await call("POST", "/api/conversations/group", { token: a.token, json: { name: "T" } }), 400, /^members: /);
    expectError(await call("POST", "/api/conversations/group", { token: a.token, json: { name: "T", members: b._id } }), 400, /^members: /);
    expectError(await call("POST", "/api/conversations/group", { token: a.token, json: { name: "T", members: [] } }), 400, /^members: /);
    expectError(await call("POST", "/api/conversations/group", { token: a.token, json: { name: "T", members: ["nope"] } }), 400, /^members\.0: /);
    const ghost = unknownHexId();
    expectError(await call("POST", "/api/conversations/group", { token: a.token, json: { name: "T", members: [b._id, ghost] } }), 404, ghost);
    expectError(await call("POST", "/api/conversations/group", { token: a.token, json: { name: "T", members: [a._id] } }), 400, /^members: /);
  });
});

describe("003 GET /conversations and GET /conversations/:conversationId", () => {
  it("lists the caller's conversations, newest activity first, with lastMessage {_id, message, timestamp}", async () => {
    const me = await standardUser("Lister");
    const x = await standardUser("X");
    const y = await standardUser("Y");
    const c1 = await oneOnOne(me, x._id);
    const g = await group(me, "Later group", [x._id, y._id]);
    const m1 = await sendTo(x, c1._id, "Hello there!");

    const r = await call("GET", "/api/conversations", { token: me.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, statusCode: 200, message: "Conversations retrieved successfully" });
    expect(r.body.data.map((c: any) => c._id)).toEqual([c1._id, g._id]);
    const first = r.body.data[0];
    expect(first).toMatchObject({ _id: c1._id, type: "1on1", lastMessage: { _id: m1._id, message: "Hello there!", timestamp: m1.timestamp } });
    expect(first.members.map((m: any) => m._id).sort()).toEqual([me._id, x._id].sort());
    expect(first.lastMessageAt).toBe(m1.timestamp);
    expect(first.createdAt).toMatch(ISO);
    expect(r.body.data[1]).toMatchObject({ _id: g._id, type: "group", name: "Later group", lastMessage: null });

    // a message in the group moves it to the top
    await sendTo(y, g._id, "news");
    expect((await call("GET", "/api/conversations", { token: me.token })).body.data.map((c: any) => c._id)).toEqual([g._id, c1._id]);
    // someone with no conversations gets an empty list
    const loner = await standardUser("Loner");
    expect((await call("GET", "/api/conversations", { token: loner.token })).body).toMatchObject({ success: true, data: [] });
    expectError(await call("GET", "/api/conversations"), 401);
  });

  it("returns one conversation with the documented fields; unknown 404, malformed 400, not a member 404", async () => {
    const me = await standardUser("Getter");
    const x = await standardUser("Other");
    const c = await oneOnOne(me, x._id);
    const m = await sendTo(me, c._id, "hi");
    const r = await call("GET", `/api/conversations/${c._id}`, { token: me.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      success: true,
      statusCode: 200,
      message: "Conversation retrieved successfully",
      data: { _id: c._id, type: "1on1", createdBy: me._id, status: "active", lastMessage: { _id: m._id, message: "hi" } },
    });
    expect(r.body.data.members).toHaveLength(2);

    expectError(await call("GET", `/api/conversations/${unknownHexId()}`, { token: me.token }), 404, /not found/i);
    expectError(await call("GET", "/api/conversations/conv_123456789", { token: me.token }), 400, /^conversationId: /);
    const stranger = await standardUser("Stranger");
    const hidden = await call("GET", `/api/conversations/${c._id}`, { token: stranger.token });
    expectError(hidden, 404);
    expect(hidden.text).not.toContain("hi");
  });
});

describe("003 group management", () => {
  it("any member adds members; the new member sees the conversation", async () => {
    const creator = await standardUser("Creator");
    const member = await standardUser("Member");
    const newcomer = await standardUser("Newcomer");
    const late = await standardUser("Late");
    const g = await group(creator, "Team", [member._id]);

    const r = await call("POST", `/api/conversations/${g._id}/members`, { token: member.token, json: { members: [newcomer._id, late.userId] } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ success: true, statusCode: 200 });
    expect(r.body.data.members.map((m: any) => m._id).sort()).toEqual([creator._id, member._id, newcomer._id, late._id].sort());
    expect((await call("GET", `/api/conversations/${g._id}`, { token: newcomer.token })).status).toBe(200);

    expectError(await call("POST", `/api/conversations/${g._id}/members`, { token: member.token, json: { members: [unknownHexId()] } }), 404);
    expectError(await call("POST", `/api/conversations/${g._id}/members`, { token: member.token, json: {} }), 400, /^members: /);
    const outsider = await standardUser("Outsider");
    expectError(await call("POST", `/api/conversations/${g._id}/members`, { token: outsider.token, json: { members: [outsider._id] } }), 404);
    // a 1-on-1 conversation has no members to add
    const pair = await oneOnOne(creator, member._id);
    expectError(await call("POST", `/api/conversations/${pair._id}/members`, { token: creator.token, json: { members: [late._id] } }), 400, /group/);
  });

  it("only the creator removes members (403 otherwise); a removed member loses access", async () => {
    const creator = await standardUser("Boss");
    const a = await standardUser("Alpha");
    const b = await standardUser("Beta");
    const g = await group(creator, "Squad", [a._id, b._id]);

    const denied = await call("DELETE", `/api/conversations/${g._id}/members`, { token: a.token, json: { members: [b._id] } });
    expectError(denied, 403);
    const r = await call("DELETE", `/api/conversations/${g._id}/members`, { token: creator.token, json: { members: [b.userId] } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ success: true, statusCode: 200 });
    expect(r.body.data.members.map((m: any) => m._id).sort()).toEqual([creator._id, a._id].sort());
    expectError(await call("GET", `/api/conversations/${g._id}`, { token: b.token }), 404);
    expectError(await call("POST", "/api/messages", { token: b.token, json: { conversationId: g._id, message: "still here?" } }), 404);
    // removing someone who is not a member says so
    expectError(await call("DELETE", `/api/conversations/${g._id}/members`, { token: creator.token, json: { members: [b._id] } }), 400, /not a member/);
  });

  it("only the creator renames the group", async () => {
    const creator = await standardUser("Namer");
    const a = await standardUser("Named");
    const g = await group(creator, "Old name", [a._id]);
    expectError(await call("PUT", `/api/conversations/${g._id}`, { token: a.token, json: { name: "Hijack" } }), 403);
    const r = await call("PUT", `/api/conversations/${g._id}`, { token: creator.token, json: { name: "Updated Group Name" } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ success: true, statusCode: 200, data: { _id: g._id, name: "Updated Group Name" } });
    expect((await call("GET", `/api/conversations/${g._id}`, { token: a.token })).body.data.name).toBe("Updated Group Name");
    expectError(await call("PUT", `/api/conversations/${g._id}`, { token: creator.token, json: { name: "" } }), 400, /^name: /);
    expectError(await call("PUT", `/api/conversations/${g._id}`, { token: creator.token, json: {} }), 400, /^name: /);
  });

  it("a member leaves; the others keep the conversation; leaving twice is 404", async () => {
    const creator = await standardUser("Stayer");
    const leaver = await standardUser("Leaver");
    const other = await standardUser("Third");
    const g = await group(creator, "Leaving", [leaver._id, other._id]);
    const r = await call("DELETE", `/api/conversations/${g._id}/leave`, { token: leaver.token });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ success: true, statusCode: 200 });
    expectError(await call("GET", `/api/conversations/${g._id}`, { token: leaver.token }), 404);
    expect((await call("GET", "/api/conversations", { token: leaver.token })).body.data.map((c: any) => c._id)).not.toContain(g._id);
    const rest = await call("GET", `/api/conversations/${g._id}`, { token: creator.token });
    expect(rest.body.data.members.map((m: any) => m._id).sort()).toEqual([creator._id, other._id].sort());
    expectError(await call("DELETE", `/api/conversations/${g._id}/leave`, { token: leaver.token }), 404);
    expectError(await call("DELETE", `/api/conversations/${g._id}/leave`), 401);
  });
});

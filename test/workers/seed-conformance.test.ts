/**
 * Conformance fixes found by the 001/003/004 audit, pinned at the Worker
 * layer: validation messages a client can read ("is required", not zod's
 * type jargon), a 415 that says what was sent, and `POST /api/messages/send`
 * answering a 004 client in 004 terms (422, form bodies, dialect fallback).
 */
import { describe, expect, it } from "vitest";
import { api, makeUser } from "./helpers";

async function chatSocketUser(name: string) {
  const email = `${name.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const r = await api("POST", "/api/auth/login", { form: { email, name } });
  expect(r.status).toBe(200);
  return { email, token: r.body.access_token as string, _id: r.body.user._id as string };
}

function expectError(r: { status: number; body: any }, status: number, message: RegExp) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body).toMatchObject({ success: false, statusCode: status, message: expect.stringMatching(message) });
  expect(r.body.detail).toBe(r.body.message);
}

describe("validation messages", () => {
  it("a missing field is reported as required, a wrong type by what was expected", async () => {
    const a = await makeUser();
    expectError(await api("POST", "/api/conversations/group", { token: a.token, body: { members: [a._id] } }), 400, /^name: is required$/);
    expectError(await api("POST", "/api/conversations/group", { token: a.token, body: { name: "x", members: "abc" } }), 400, /^members: must be an array \(got string\)$/);
    expectError(await api("PUT", `/api/conversations/${a._id}/metadata`, { token: a.token, body: { isPinned: "yes" } }), 400, /^isPinned: must be a boolean \(got string\)$/);
    expectError(await api("POST", "/api/messages", { token: a.token, body: [] }), 400, /^body: must be an object \(got array\)$/);
  });

  it("a query number that is not a number says so", async () => {
    const a = await makeUser();
    const b = await makeUser();
    const conv = (await api("POST", "/api/conversations/1on1", { token: a.token, body: { receiverId: b._id } })).body.data._id;
    expectError(await api("GET", `/api/messages/conversation/${conv}?page=abc`, { token: a.token }), 400, /^page: must be a number$/);
    expectError(await api("GET", `/api/conversations/${conv}/messages?skip=abc`, { token: a.token }), 422, /^skip: must be a number$/);
    expectError(await api("GET", `/api/messages/conversation/${conv}?page=1.5`, { token: a.token }), 400, /^page: must be an integer$/);
  });

  it("an unaccepted Content-Type is 415 naming the type and the route", async () => {
    const a = await makeUser();
    const r = await api("POST", "/api/conversations/start", { token: a.token, body: "to_email=x@example.com", headers: { "content-type": "text/csv" } });
    expectError(r, 415, /Content-Type text\/csv is not accepted by POST \/api\/conversations\/start/);
  });
});

describe("POST /api/messages/send answers a 004 client in 004 terms", () => {
  it("a wrongly typed 004 field is 422, not 400", async () => {
    const a = await chatSocketUser("Ann");
    const b = await chatSocketUser("Ben");
    expectError(await api("POST", "/api/messages/send", { token: a.token, body: { to_email: b.email, message: 5 } }), 422, /^message: must be a string/);
    expectError(await api("POST", "/api/messages/send", { token: a.token, body: { to_email: 7, message: "hi" } }), 422, /^to_email: /);
    // the same mistake in a 001 body stays 400
    const s = await makeUser();
    expectError(await api("POST", "/api/messages/send", { token: s.token, body: { recipientId: a._id, text: 5 } }), 400, /^text: must be a string/);
  });

  it("a body naming no recipient is read in the token's dialect", async () => {
    const a = await chatSocketUser("Cat");
    expectError(await api("POST", "/api/messages/send", { token: a.token, body: { message: "hi" } }), 422, /^to_email: is required/);
    const s = await makeUser();
    expectError(await api("POST", "/api/messages/send", { token: s.token, body: { text: "hi" } }), 400, /^recipientId: is required/);
    // ?dialect= overrides the token's dialect here too
    expectError(await api("POST", "/api/messages/send?dialect=chat-socket", { token: s.token, body: { message: "hi" } }), 422, /^to_email: is required/);
  });

  it("the 004 body may come as a form", async () => {
    const a = await chatSocketUser("Dan");
    const b = await chatSocketUser("Eve");
    const r = await api("POST", "/api/messages/send", { token: a.token, form: { to_email: b.email, message: "from a form", message_type: "text" } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ sender_email: a.email, message: "from a form", message_type: "text", reply_to: null });
    const history = await api("GET", `/api/conversations/${r.body.conversation_id}/messages`, { token: b.token });
    expect(history.body.map((m: any) => m.message)).toEqual(["from a form"]);
    expectError(await api("POST", "/api/messages/send", { token: a.token, form: { to_email: b.email } }), 422, /^message: /);
  });
});

describe("routes", () => {
  it("a trailing slash names the same route, as on the documents' Express/FastAPI servers", async () => {
    const a = await makeUser();
    const b = await makeUser();
    const conv = (await api("POST", "/api/conversations/1on1/", { token: a.token, body: { receiverId: b._id } })).body.data._id;
    const sent = await api("POST", "/api/messages/", { token: a.token, body: { conversationId: conv, message: "slash" } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    const list = await api("GET", "/api/conversations/", { token: b.token });
    expect(list.status).toBe(200);
    expect(list.body.data.map((c: any) => c._id)).toEqual([conv]);
    expect((await api("GET", "/api/friends/", { token: b.token })).body).toEqual({ success: true, friends: [] });
  });
});

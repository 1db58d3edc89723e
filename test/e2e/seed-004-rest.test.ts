/**
 * 004 (chat-socket backend) REST API, followed to the letter against
 * `wrangler dev`: the urlencoded login-or-register, users/me and search,
 * the bare-array conversation list, start (form), messages with skip/limit,
 * mark-read, messages/send (004 JSON body), /health and /docs; errors carry
 * `{detail}` and validation failures are 422. The Postman collection, the JS
 * `ChatAPI` class and the Python client's form login are run verbatim.
 */
import { describe, expect, it } from "vitest";
import { baseUrl } from "./client";
import { call, expectError, formLogin, tag, unknownHexId } from "./seed-chat-client";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function jwtPayload(token: string): Record<string, unknown> {
  const [, payload] = token.split(".");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
}

/** 004 `POST /api/messages/send` with the documented JSON body. */
async function send004(token: string, body: Record<string, unknown>) {
  const r = await call("POST", "/api/messages/send", { token, json: body });
  expect(r.status, r.text).toBe(200);
  return r.body;
}

async function start(token: string, toEmail: string): Promise<string> {
  const r = await call("POST", "/api/conversations/start", { token, form: { to_email: toEmail } });
  expect(r.status, r.text).toBe(200);
  return r.body.conversation_id;
}

describe("004 POST /api/auth/login (form login-or-register)", () => {
  it("creates the user from the documented urlencoded request and answers {access_token, token_type, user}", async () => {
    const email = `john.${tag()}@example.com`;
    const r = await call("POST", "/api/auth/login", {
      raw: `email=${encodeURIComponent(email)}&name=John+Doe&profile_image=https://example.com/profile.jpg`,
      contentType: "application/x-www-form-urlencoded",
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.token_type).toBe("bearer");
    expect(r.body.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(r.body.user).toMatchObject({ email, name: "John Doe", profile_image: "https://example.com/profile.jpg" });
    // valid for 24 hours
    const claims = jwtPayload(r.body.access_token);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(24 * 60 * 60);

    // the token works on a protected route
    const me = await call("GET", "/api/users/me", { token: r.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(email);

    // logging in again with the same email is the same user, not a new one
    const again = await call("POST", "/api/auth/login", { form: { email, name: "John Doe" } });
    expect(again.status).toBe(200);
    expect(again.body.user._id).toBe(r.body.user._id);
    expect(again.body.user.email).toBe(email);
  });

  it("accepts the Python client's form (email and name only) and multipart forms", async () => {
    const email = `py.${tag()}@example.com`;
    // requests.post(url, {'email': email, 'name': name}) sends exactly this
    const py = await call("POST", "/api/auth/login", { raw: new URLSearchParams({ email, name: "Py Thon" }) });
    expect(py.status, py.text).toBe(200);
    expect(typeof py.body.access_token).toBe("string");
    expect(py.body.user).toMatchObject({ email, name: "Py Thon", profile_image: null });

    const fd = new FormData();
    fd.set("email", `multi.${tag()}@example.com`);
    fd.set("name", "Multi Part");
    const multi = await call("POST", "/api/auth/login", { raw: fd });
    expect(multi.status, multi.text).toBe(200);
    expect(multi.body.user.name).toBe("Multi Part");
  });

  it("answers 422 {detail} naming the field when the email is missing or invalid", async () => {
    const missing = await call("POST", "/api/auth/login", { form: { name: "No Mail" } });
    expectError(missing, 422, /^email: /);
    expect(missing.body.detail).toMatch(/email/);
    const invalid = await call("POST", "/api/auth/login", { form: { email: "not-an-email", name: "Bad" } });
    expectError(invalid, 422, /email: .*valid email/);
  });
});

describe("004 users", () => {
  it("GET /api/users/me returns the documented fields", async () => {
    const u = await formLogin("Me Myself", { profile_image: "https://example.com/me.png" });
    const r = await call("GET", "/api/users/me", { token: u.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ email: u.email, name: "Me Myself", profile_image: "https://example.com/me.png" });
    expect(typeof r.body.is_online).toBe("boolean");
    expect(r.body.last_seen === null || ISO.test(r.body.last_seen)).toBe(true);
  });

  it("GET /api/users/me without or with a bad token is 401 with {detail}", async () => {
    expectError(await call("GET", "/api/users/me"), 401);
    expectError(await call("GET", "/api/users/me", { token: "not.a.jwt" }), 401);
    const u = await formLogin("Tampered");
    const [h, p] = u.token.split(".");
    expectError(await call("GET", "/api/users/me", { token: `${h}.${p}.AAAA` }), 401, /token/i);
  });

  it("GET /api/users/search?query= matches name or email and returns the documented array", async () => {
    const needle = `zq${tag()}`;
    const me = await formLogin("Searcher");
    const byName = await formLogin(`John ${needle}`, { profile_image: "https://example.com/profile.jpg" });
    const byEmailR = await call("POST", "/api/auth/login", { form: { email: `${needle}.johnny@example.com`, name: "Johnny Smith" } });
    expect(byEmailR.status).toBe(200);

    const r = await call("GET", `/api/users/search?query=${encodeURIComponent(needle)}`, { token: me.token });
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body)).toBe(true);
    const emails = r.body.map((u: any) => u.email).sort();
    expect(emails).toEqual([byName.email, `${needle}.johnny@example.com`].sort());
    for (const u of r.body) {
      expect(Object.keys(u)).toEqual(expect.arrayContaining(["email", "name", "profile_image", "is_online"]));
      expect(typeof u.is_online).toBe("boolean");
    }
    expect(r.body.find((u: any) => u.email === byName.email).profile_image).toBe("https://example.com/profile.jpg");
    expect(r.body.find((u: any) => u.name === "Johnny Smith").profile_image).toBeNull();

    // nothing matches
    const none = await call("GET", `/api/users/search?query=${encodeURIComponent(`nomatch-${tag()}`)}`, { token: me.token });
    expect(none.status).toBe(200);
    expect(none.body).toEqual([]);
  });

  it("search without the required query is 422 naming it; without a token 401", async () => {
    const me = await formLogin("Searcher Two");
    expectError(await call("GET", "/api/users/search", { token: me.token }), 422, /^query: /);
    expectError(await call("GET", "/api/users/search?query=", { token: me.token }), 422, /^query: /);
    expectError(await call("GET", "/api/users/search?query=john"), 401);
  });
});

describe("004 conversations", () => {
  it("start (form) creates or returns the conversation: {conversation_id, participants}", async () => {
    const me = await formLogin("Starter");
    const other = await formLogin("Other");
    const r = await call("POST", "/api/conversations/start", {
      token: me.token,
      raw: `to_email=${encodeURIComponent(other.email)}`,
      contentType: "application/x-www-form-urlencoded",
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.conversation_id).toMatch(/^[0-9a-f]{24}$/);
    expect([...r.body.participants].sort()).toEqual([me.email, other.email].sort());

    // the same pair gets the same conversation, from either side
    expect(await start(me.token, other.email)).toBe(r.body.conversation_id);
    expect(await start(other.token, me.email)).toBe(r.body.conversation_id);
  });

  it("start answers 404 for an unknown email and 422 for a missing or invalid one", async () => {
    const me = await formLogin("Starter Two");
    expectError(await call("POST", "/api/conversations/start", { token: me.token, form: { to_email: `ghost.${tag()}@example.com` } }), 404, /not found/i);
    expectError(await call("POST", "/api/conversations/start", { token: me.token, form: {} }), 422, /^to_email: /);
    expectError(await call("POST", "/api/conversations/start", { token: me.token, form: { to_email: "nope" } }), 422, /^to_email: /);
    expectError(await call("POST", "/api/conversations/start", { form: { to_email: me.email } }), 401);
  });

  it("GET /api/conversations is a bare array of summaries ordered by last message time", async () => {
    const me = await formLogin("Lister");
    const older = await formLogin("Older Friend");
    const newer = await formLogin("Newer Friend");
    const silent = await formLogin("Silent Friend");

    const c1 = await start(me.token, older.email);
    await send004(older.token, { to_email: me.email, message: "first from older", message_type: "text" });
    await send004(older.token, { to_email: me.email, message: "Hello there!", message_type: "text" });
    const c2 = await start(me.token, newer.email);
    await send004(newer.token, { to_email: me.email, message: "How are you?", message_type: "text" });
    await send004(me.token, { to_email: newer.email, message: "Fine!", message_type: "text" });
    const c3 = await start(me.token, silent.email);

    const r = await call("GET", "/api/conversations", { token: me.token });
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body)).toBe(true);
    const ids = r.body.map((c: any) => c.conversation_id);
    // conversations with messages by last message time, newest first
    expect(ids.indexOf(c2)).toBeLessThan(ids.indexOf(c1));
    expect(ids).toContain(c3);
    const s2 = r.body.find((c: any) => c.conversation_id === c2);
    expect(s2).toMatchObject({
      participants: expect.arrayContaining([me.email, newer.email]),
      last_message: "Fine!",
      last_message_sender: me.email,
      unread_count: 1,
    });
    expect(s2.last_message_time).toMatch(ISO);
    const s1 = r.body.find((c: any) => c.conversation_id === c1);
    expect(s1).toMatchObject({ last_message: "Hello there!", last_message_sender: older.email, unread_count: 2 });
    expect(Object.keys(s1)).toEqual(
      expect.arrayContaining(["conversation_id", "participants", "last_message", "last_message_time", "last_message_sender", "unread_count"]),
    );
    expectError(await call("GET", "/api/conversations"), 401);
  });

  it("messages: skip/limit pages from the newest, each page oldest first, with the documented fields", async () => {
    const me = await formLogin("Pager");
    const other = await formLogin("Jane Doe");
    const conv = await start(me.token, other.email);
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const m = await send004(i % 2 ? other.token : me.token, { to_email: i % 2 ? me.email : other.email, message: `m${i}`, message_type: "text" });
      ids.push(m.id);
    }
    const reply = await send004(me.token, { to_email: other.email, message: "Hi! How are you?", message_type: "text", reply_to: ids[0] });
    ids.push(reply.id);

    // the ChatAPI call: ?skip=0&limit=50
    const all = await call("GET", `/api/conversations/${conv}/messages?skip=0&limit=50`, { token: me.token });
    expect(all.status).toBe(200);
    expect(all.body.map((m: any) => m.id)).toEqual(ids);
    const first = all.body[0];
    expect(first).toMatchObject({
      id: ids[0],
      conversation_id: conv,
      sender_email: other.email,
      sender_name: "Jane Doe",
      message: "m1",
      message_type: "text",
      edited: false,
      reply_to: null,
    });
    expect(first.timestamp).toMatch(ISO);
    expect(all.body[5]).toMatchObject({ sender_email: me.email, reply_to: ids[0], message: "Hi! How are you?" });

    // defaults: skip=0, limit=50
    const defaults = await call("GET", `/api/conversations/${conv}/messages`, { token: me.token });
    expect(defaults.body.map((m: any) => m.id)).toEqual(ids);

    const newest = await call("GET", `/api/conversations/${conv}/messages?skip=0&limit=2`, { token: me.token });
    expect(newest.body.map((m: any) => m.id)).toEqual(ids.slice(4));
    const next = await call("GET", `/api/conversations/${conv}/messages?skip=2&limit=2`, { token: me.token });
    expect(next.body.map((m: any) => m.id)).toEqual(ids.slice(2, 4));
    const beyond = await call("GET", `/api/conversations/${conv}/messages?skip=50&limit=2`, { token: me.token });
    expect(beyond.status).toBe(200);
    expect(beyond.body).toEqual([]);
  });

  it("messages: 422 for bad skip/limit or a malformed id, 404 for an unknown conversation, 401 without a token", async () => {
    const me = await formLogin("Pager Two");
    const other = await formLogin("Other Two");
    const conv = await start(me.token, other.email);
    expectError(await call("GET", `/api/conversations/${conv}/messages?skip=-1`, { token: me.token }), 422, /^skip: /);
    expectError(await call("GET", `/api/conversations/${conv}/messages?skip=abc`, { token: me.token }), 422, /^skip: /);
    expectError(await call("GET", `/api/conversations/${conv}/messages?limit=0`, { token: me.token }), 422, /^limit: /);
    expectError(await call("GET", `/api/conversations/not-an-id/messages`, { token: me.token }), 422, /conversation/i);
    expectError(await call("GET", `/api/conversations/${unknownHexId()}/messages`, { token: me.token }), 404, /not found/i);
    expectError(await call("GET", `/api/conversations/${conv}/messages`), 401);
    // someone else's conversation reads as unknown
    const stranger = await formLogin("Stranger");
    expectError(await call("GET", `/api/conversations/${conv}/messages`, { token: stranger.token }), 404);
  });

  it("mark-read answers {message: \"Conversation marked as read\"} and clears unread_count", async () => {
    const me = await formLogin("Reader");
    const other = await formLogin("Writer");
    const conv = await start(other.token, me.email);
    await send004(other.token, { to_email: me.email, message: "one", message_type: "text" });
    await send004(other.token, { to_email: me.email, message: "two", message_type: "text" });
    const unread = async () => (await call("GET", "/api/conversations", { token: me.token })).body.find((c: any) => c.conversation_id === conv).unread_count;
    expect(await unread()).toBe(2);

    const r = await call("POST", `/api/conversations/${conv}/mark-read`, { token: me.token });
    expect(r.status).toBe(200);
    expect(r.body.message).toBe("Conversation marked as read");
    expect(await unread()).toBe(0);
    // the writer's own messages never counted for the writer
    expect((await call("GET", "/api/conversations", { token: other.token })).body.find((c: any) => c.conversation_id === conv).unread_count).toBe(0);

    expectError(await call("POST", `/api/conversations/${unknownHexId()}/mark-read`, { token: me.token }), 404);
    expectError(await call("POST", `/api/conversations/${conv}/mark-read`), 401);
  });
});

describe("004 POST /api/messages/send", () => {
  it("sends the documented JSON body and answers the 004 message", async () => {
    const me = await formLogin("John Doe");
    const other = await formLogin("Recipient");
    const first = await send004(other.token, { to_email: me.email, message: "earlier", message_type: "text" });
    const r = await call("POST", "/api/messages/send", {
      token: me.token,
      json: { to_email: other.email, message: "Hello there!", message_type: "text", reply_to: first.id },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      conversation_id: first.conversation_id,
      sender_email: me.email,
      sender_name: "John Doe",
      message: "Hello there!",
      message_type: "text",
      reply_to: first.id,
    });
    expect(r.body.id).toMatch(/^[0-9a-f]{24}$/);
    expect(r.body.timestamp).toMatch(ISO);

    // without the optional reply_to and message_type
    const plain = await call("POST", "/api/messages/send", { token: me.token, json: { to_email: other.email, message: "no extras" } });
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ message_type: "text", reply_to: null });

    // the recipient sees both in the conversation
    const history = await call("GET", `/api/conversations/${first.conversation_id}/messages`, { token: other.token });
    expect(history.body.map((m: any) => m.id)).toEqual([first.id, r.body.id, plain.body.id]);
  });

  it("accepts the documented message types image and file", async () => {
    const me = await formLogin("Typer");
    const other = await formLogin("Typed");
    for (const message_type of ["text", "image", "file"]) {
      const m = await send004(me.token, { to_email: other.email, message: `a ${message_type}`, message_type });
      expect(m.message_type).toBe(message_type);
    }
  });

  it("404 for an unknown recipient, 422 {detail} for invalid input", async () => {
    const me = await formLogin("Sender");
    const other = await formLogin("Target");
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { to_email: `ghost.${tag()}@example.com`, message: "hi" } }), 404, /not found/i);
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { to_email: "not-an-email", message: "hi" } }), 422, /^to_email: /);
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { to_email: other.email, message: "hi", message_type: "gif" } }), 422, /^message_type: /);
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { to_email: other.email, message: 42 } }), 422, /^message: /);
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { to_email: other.email } }), 422, /^message: /);
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { to_email: other.email, message: "x", reply_to: "nope" } }), 422, /^reply_to: /);
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: { to_email: other.email, message: "x", reply_to: unknownHexId() } }), 422, /^reply_to: /);
    // a 004 client's empty body is answered in its own terms
    expectError(await call("POST", "/api/messages/send", { token: me.token, json: {} }), 422, /to_email: is required/);
    expectError(await call("POST", "/api/messages/send", { token: me.token, raw: "{not json", contentType: "application/json" }), 400, /JSON/);
    expectError(await call("POST", "/api/messages/send", { json: { to_email: other.email, message: "hi" } }), 401);
    // nothing was stored by the failed attempts
    const conv = await start(me.token, other.email);
    expect((await call("GET", `/api/conversations/${conv}/messages`, { token: me.token })).body).toEqual([]);
  });
});

describe("004 integration examples, verbatim", () => {
  it("the ChatAPI class's four calls", async () => {
    class ChatAPI {
      baseURL: string;
      token: string;
      constructor(token: string) {
        this.baseURL = `${baseUrl()}/api`;
        this.token = token;
      }

      async getConversations() {
        const response = await fetch(`${this.baseURL}/conversations`, {
          headers: {
            Authorization: `Bearer ${this.token}`,
          },
        });
        return response.json();
      }

      async getMessages(conversationId: string, skip = 0, limit = 50) {
        const response = await fetch(`${this.baseURL}/conversations/${conversationId}/messages?skip=${skip}&limit=${limit}`, {
          headers: {
            Authorization: `Bearer ${this.token}`,
          },
        });
        return response.json();
      }

      async sendMessage(toEmail: string, message: string) {
        const response = await fetch(`${this.baseURL}/messages/send`, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${this.token}`,
            "Content-Type": "application/json",
          },
          body: JSON.stringify({
            to_email: toEmail,
            message: message,
            message_type: "text",
          }),
        });
        return response.json();
      }

      async searchUsers(query: string) {
        const response = await fetch(`${this.baseURL}/users/search?query=${encodeURIComponent(query)}`, {
          headers: {
            Authorization: `Bearer ${this.token}`,
          },
        });
        return response.json();
      }
    }

    const alice = await formLogin("Alice Api");
    const bob = await formLogin("Bob Api");
    const api = new ChatAPI(alice.token);

    const found = await api.searchUsers(bob.email);
    expect(found).toEqual([expect.objectContaining({ email: bob.email, name: "Bob Api" })]);

    const sent = await api.sendMessage(bob.email, "Hello from ChatAPI");
    expect(sent).toMatchObject({ sender_email: alice.email, message: "Hello from ChatAPI", message_type: "text" });

    const conversations = await api.getConversations();
    expect(conversations).toEqual([
      expect.objectContaining({ conversation_id: sent.conversation_id, last_message: "Hello from ChatAPI", last_message_sender: alice.email }),
    ]);

    const messages = await api.getMessages(sent.conversation_id);
    expect(messages).toEqual([expect.objectContaining({ id: sent.id, message: "Hello from ChatAPI", sender_name: "Alice Api" })]);
    expect(await new ChatAPI(bob.token).getMessages(sent.conversation_id, 0, 1)).toEqual([expect.objectContaining({ id: sent.id })]);
  });

  it("the Postman collection, request by request", async () => {
    // Auth / Login: urlencoded email + name; the collection's bearer auth then uses the token
    const login = await call("POST", "/api/auth/login", { form: { email: "test@example.com", name: "Test User" } });
    expect(login.status, login.text).toBe(200);
    const jwt_token = login.body.access_token as string;
    const other = await call("POST", "/api/auth/login", { form: { email: "other@example.com", name: "Other Person" } });
    expect(other.status).toBe(200);

    const me = await call("GET", "/api/users/me", { token: jwt_token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: "test@example.com", name: "Test User" });

    const search = await call("GET", "/api/users/search?query=test", { token: jwt_token });
    expect(search.status).toBe(200);
    expect(Array.isArray(search.body)).toBe(true);

    const started = await call("POST", "/api/conversations/start", { token: jwt_token, form: { to_email: "other@example.com" } });
    expect(started.status).toBe(200);
    expect([...started.body.participants].sort()).toEqual(["other@example.com", "test@example.com"]);

    const list = await call("GET", "/api/conversations", { token: jwt_token });
    expect(list.status).toBe(200);
    expect(list.body.map((c: any) => c.conversation_id)).toContain(started.body.conversation_id);
  });
});

describe("004 additional resources", () => {
  it("GET /health answers 200 JSON", async () => {
    const r = await call("GET", "/health");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/application\/json/);
    expect(r.body.status).toBe("healthy");
  });

  it("GET /docs is the interactive API documentation over an OpenAPI document listing the 004 routes", async () => {
    const docs = await call("GET", "/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/text\/html/);
    expect(docs.text).toMatch(/swagger-ui/i);
    const spec = await call("GET", "/openapi.json");
    expect(spec.status).toBe(200);
    for (const path of [
      "/api/auth/login",
      "/api/users/me",
      "/api/users/search",
      "/api/conversations",
      "/api/conversations/start",
      "/api/conversations/{conversationId}/messages",
      "/api/conversations/{conversationId}/mark-read",
      "/api/messages/send",
    ]) {
      expect(Object.keys(spec.body.paths), path).toContain(path);
    }
  });

  it("unknown routes are 404 with the error body", async () => {
    const u = await formLogin("Lost");
    expectError(await call("GET", "/api/nothing-here", { token: u.token }), 404, /nothing-here/);
  });
});

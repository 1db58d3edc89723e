/**
 * The authorisation matrix (issue 11 item 8): every REST operation (read
 * from /openapi.json) and every socket event (the handler registry) ×
 * owner, member, non-member, blocked user, anonymous.
 *
 * The lists are generated, the expectations are a table: an operation or
 * event without an entry fails the first test, so a new route or event
 * cannot be forgotten. Expectations follow README.md ("Conventions",
 * "Chat over REST", "Blocking", "Attachments", "Who may see a status"):
 *  - anonymous → 401 on every protected route (public: register, login, check);
 *  - a conversation you are not in → 404, creator-only actions by a member → 403;
 *  - another user's private data (history, analytics, templates, schedules,
 *    profile/data) → 403;
 *  - someone the owner blocked → 403 when messaging the owner, starting a
 *    1-on-1 with them, putting them in a group, friend-requesting them,
 *    reading their status;
 *  - an upload → its uploader and members of a conversation where it is
 *    attached, 403 for anyone else.
 * "allowed" means authorised: any answer but 401/403/404 and no 5xx (a
 * request about yourself may be a 400); "ok" means 2xx.
 *
 * The world (fresh for each row, as rows may be destructive): O (owner) created
 * group G with M (member); N is a non-member; B is a user O blocked (O and B
 * talked in a 1-on-1 before); X1/X2 are bystanders.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handledEvents } from "../../src/realtime/handlers";
import { BASE, api, fakeSocket, makeUser, type TestUser } from "./helpers";
import { WsClient, wsHandshake } from "./realtime-helpers";

type Role = "owner" | "member" | "nonMember" | "blocked" | "anonymous";
const ROLES: Role[] = ["anonymous", "blocked", "nonMember", "member", "owner"]; // owner last: its call may be destructive
type Outcome = "ok" | "allowed" | "upstream" | "any" | 400 | 401 | 403 | 404 | 409 | 422;

interface World {
  O: TestUser;
  M: TestUser;
  N: TestUser;
  B: TestUser;
  X1: TestUser;
  X2: TestUser;
  group: string;
  oneOnOne: string; // O–M
  blockedPair: string; // O–B, O blocked B afterwards
  groupMessage: string; // O's message in G
  attached: string; // O's upload, attached in G
  unattached: string; // O's upload, attached nowhere
  template: string;
  history: string;
  schedule: string;
  incomingRequest: string; // X1 -> O
  outgoingRequest: string; // O -> X2
}

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);

async function upload(u: TestUser): Promise<string> {
  const res = await exports.default.fetch(
    new Request(`${BASE}/api/uploads?filename=p.png`, { method: "POST", headers: { authorization: `Bearer ${u.token}`, "content-type": "image/png" }, body: PNG }),
  );
  const body = (await res.json()) as any;
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`);
  return body.data.url;
}

function must(res: { status: number; body: any }, what: string) {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function makeWorld(): Promise<World> {
  const [O, M, N, B, X1, X2] = await Promise.all([0, 1, 2, 3, 4, 5].map(() => makeUser()));
  const group = must(await api("POST", "/api/conversations/group", { token: O.token, body: { name: "G", members: [M._id] } }), "group").data._id;
  const oneOnOne = must(await api("POST", "/api/conversations/1on1", { token: O.token, body: { userId: M._id } }), "1on1").data._id;
  const blockedPair = must(await api("POST", "/api/conversations/1on1", { token: B.token, body: { userId: O._id } }), "1on1 B").data._id;
  must(await api("PUT", `/api/conversations/${B._id}/metadata`, { token: O.token, body: { isBlocked: true } }), "block");
  const attached = await upload(O);
  const unattached = await upload(O);
  const groupMessage = must(await api("POST", "/api/messages", { token: O.token, body: { conversationId: group, message: "hi", fileUrl: attached, messageType: "image" } }), "message").data._id;
  const template = must(await api("POST", "/api/status/templates", { token: O.token, body: { name: "Focus", status: "busy", customStatus: "focus", duration: 60 } }), "template")._id;
  const history = must(
    await api("POST", "/api/status/history", { token: O.token, body: { status: "busy", startTime: "2023-01-01T00:00:00.000Z", endTime: "2023-01-01T01:00:00.000Z" } }),
    "history",
  )._id;
  const start = new Date(Date.now() + 86_400_000);
  const schedule = must(
    await api("POST", `/api/users/${O._id}/schedules`, { token: O.token, body: { status: "busy", startTime: start.toISOString(), endTime: new Date(+start + 3_600_000).toISOString(), repeat: "none" } }),
    "schedule",
  );
  const incoming = must(await api("POST", "/api/friends/requests", { token: X1.token, body: { userId: O._id } }), "request in");
  const outgoing = must(await api("POST", "/api/friends/requests", { token: O.token, body: { userId: X2._id } }), "request out");
  return {
    O, M, N, B, X1, X2, group, oneOnOne, blockedPair, groupMessage, attached, unattached, template, history,
    schedule: schedule._id ?? schedule.data?._id,
    incomingRequest: incoming._id,
    outgoingRequest: outgoing._id,
  };
}

const caller = (w: World, r: Role): TestUser | null => (r === "owner" ? w.O : r === "member" ? w.M : r === "nonMember" ? w.N : r === "blocked" ? w.B : null);
type Req = { path: string; body?: unknown; raw?: { body: BodyInit; type: string } };
type Row = { req: (w: World, r: Role) => Req; expect: Record<Role, Outcome>; setup?: (w: World, u: TestUser) => Promise<unknown> };

// Expectation presets.
const SELF: Record<Role, Outcome> = { owner: "ok", member: "ok", nonMember: "ok", blocked: "ok", anonymous: 401 };
/** Signed in: any answer about your own records (e.g. 404 when there is nothing to remove). */
const SIGNED_IN: Record<Role, Outcome> = { owner: "any", member: "any", nonMember: "any", blocked: "any", anonymous: 401 };
const addContact = (w: World, u: TestUser) => api("POST", "/api/contacts", { token: u.token, body: { userId: w.O._id } });
const PUBLIC: Record<Role, Outcome> = { owner: "any", member: "any", nonMember: "any", blocked: "any", anonymous: "any" };
const PRIVATE: Record<Role, Outcome> = { owner: "ok", member: 403, nonMember: 403, blocked: 403, anonymous: 401 };
const CONV: Record<Role, Outcome> = { owner: "ok", member: "ok", nonMember: 404, blocked: 404, anonymous: 401 };
const CREATOR: Record<Role, Outcome> = { owner: "ok", member: 403, nonMember: 404, blocked: 404, anonymous: 401 };
/** Addressing the owner as a user: yourself is any answer, the blocked user 403. */
const TO_OWNER: Record<Role, Outcome> = { owner: "any", member: "ok", nonMember: "ok", blocked: 403, anonymous: 401 };
/** Reading the owner's status: hidden from the blocked user (default visibility: everyone). */
const STATUS_OF_OWNER: Record<Role, Outcome> = { owner: "ok", member: "ok", nonMember: "ok", blocked: 403, anonymous: 401 };
/** One of the owner's own records by id (history entry, template, schedule): nobody else's. */
const OWNER_RECORD: Record<Role, Outcome> = { owner: "ok", member: 403, nonMember: 403, blocked: 403, anonymous: 401 };

const future = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const unique = () => crypto.randomUUID().slice(0, 8);

/** Keyed "METHOD /openapi/path/{param}". */
const REST: Record<string, Row> = {
  "GET /api/users/me": { req: () => ({ path: "/api/users/me" }), expect: SELF },
  "GET /api/users/search": { req: () => ({ path: "/api/users/search?query=user" }), expect: SELF },
  "PUT /api/users/profile": { req: () => ({ path: "/api/users/profile", body: { name: "Renamed" } }), expect: SELF },
  "GET /api/users/{userId}/data": { req: (w) => ({ path: `/api/users/${w.O._id}/data` }), expect: PRIVATE },
  "GET /api/users/{userId}/profile": { req: (w) => ({ path: `/api/users/${w.O.userId}/profile` }), expect: PRIVATE },
  "GET /api/users/{userId}/history": { req: (w) => ({ path: `/api/users/${w.O._id}/history` }), expect: PRIVATE },
  "GET /api/users/{userId}/analytics": { req: (w) => ({ path: `/api/users/${w.O._id}/analytics` }), expect: PRIVATE },
  "GET /api/users/{userId}/templates": { req: (w) => ({ path: `/api/users/${w.O._id}/templates` }), expect: PRIVATE },
  "GET /api/users/{userId}/schedules": { req: (w) => ({ path: `/api/users/${w.O._id}/schedules` }), expect: PRIVATE },
  "POST /api/users/{userId}/schedules": {
    req: (w) => ({ path: `/api/users/${w.O._id}/schedules`, body: { status: "busy", startTime: future(48), endTime: future(49), repeat: "none" } }),
    expect: PRIVATE,
  },
  "PUT /api/users/{userId}/schedules/{id}": { req: (w) => ({ path: `/api/users/${w.O._id}/schedules/${w.schedule}`, body: { customStatus: "moved" } }), expect: PRIVATE },
  "DELETE /api/users/{userId}/schedules/{id}": { req: (w) => ({ path: `/api/users/${w.O._id}/schedules/${w.schedule}` }), expect: PRIVATE },
  "GET /api/status/schedules/upcoming": { req: () => ({ path: "/api/status/schedules/upcoming" }), expect: SELF },
  "POST /api/conversations/1on1": { req: (w) => ({ path: "/api/conversations/1on1", body: { userId: w.O._id } }), expect: TO_OWNER },
  "POST /api/conversations/group": { req: (w) => ({ path: "/api/conversations/group", body: { name: "New", members: [w.O._id, w.X1._id] } }), expect: TO_OWNER },
  "GET /api/conversations": { req: () => ({ path: "/api/conversations" }), expect: SELF },
  "POST /api/conversations/start": { req: (w) => ({ path: "/api/conversations/start", body: { to_email: w.O.email } }), expect: TO_OWNER },
  "GET /api/conversations/{conversationId}": { req: (w) => ({ path: `/api/conversations/${w.group}` }), expect: CONV },
  "PUT /api/conversations/{conversationId}": { req: (w) => ({ path: `/api/conversations/${w.group}`, body: { name: "Renamed" } }), expect: CREATOR },
  "POST /api/conversations/{conversationId}/members": {
    req: (w, r) => ({ path: `/api/conversations/${w.group}/members`, body: { members: [r === "owner" ? w.X2._id : w.X1._id] } }),
    expect: CONV,
  },
  "DELETE /api/conversations/{conversationId}/members": { req: (w) => ({ path: `/api/conversations/${w.group}/members`, body: { members: [w.M._id] } }), expect: CREATOR },
  "DELETE /api/conversations/{conversationId}/leave": { req: (w) => ({ path: `/api/conversations/${w.group}/leave` }), expect: CONV },
  "GET /api/conversations/{conversationId}/messages": { req: (w) => ({ path: `/api/conversations/${w.group}/messages` }), expect: CONV },
  "POST /api/conversations/{conversationId}/mark-read": { req: (w) => ({ path: `/api/conversations/${w.group}/mark-read` }), expect: CONV },
  // metadata about a user is the caller's own record (pin/block/favourite); about yourself any answer
  "PUT /api/conversations/{otherUserId}/metadata": { req: (w) => ({ path: `/api/conversations/${w.O._id}/metadata`, body: { isPinned: true } }), expect: { ...SELF, owner: "any" } },
  "GET /api/conversations/{otherUserId}/metadata": { req: (w) => ({ path: `/api/conversations/${w.O._id}/metadata` }), expect: { ...SELF, owner: "any" } },
  "POST /api/auth/register": {
    req: () => ({ path: "/api/auth/register", body: { name: "New", email: `n-${unique()}@example.com`, phoneNumber: `+1202555${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}`, password: "password123" } }),
    expect: PUBLIC,
  },
  "POST /api/auth/login": { req: (w) => ({ path: "/api/auth/login", body: { email: w.O.email, password: "wrong-password" } }), expect: PUBLIC },
  "POST /api/auth/check": { req: (w) => ({ path: "/api/auth/check", body: { email: w.O.email } }), expect: PUBLIC },
  "POST /api/auth/logout-all": { req: () => ({ path: "/api/auth/logout-all" }), expect: SELF },
  "GET /api/status-management": { req: () => ({ path: "/api/status-management" }), expect: SELF },
  "PUT /api/status-management": { req: () => ({ path: "/api/status-management", body: { status: "busy" } }), expect: SELF },
  "GET /api/status-management/{userId}": { req: (w) => ({ path: `/api/status-management/${w.O._id}` }), expect: STATUS_OF_OWNER },
  "POST /api/status/history": { req: () => ({ path: "/api/status/history", body: { status: "away", startTime: "2023-02-01T00:00:00.000Z", endTime: "2023-02-01T01:00:00.000Z" } }), expect: SELF },
  "DELETE /api/status/history/{id}": { req: (w) => ({ path: `/api/status/history/${w.history}` }), expect: OWNER_RECORD },
  "POST /api/status/templates": { req: () => ({ path: "/api/status/templates", body: { name: "T", status: "away", duration: 30 } }), expect: SELF },
  "PUT /api/status/templates/{id}": { req: (w) => ({ path: `/api/status/templates/${w.template}`, body: { name: "T2" } }), expect: OWNER_RECORD },
  "DELETE /api/status/templates/{id}": { req: (w) => ({ path: `/api/status/templates/${w.template}` }), expect: OWNER_RECORD },
  "POST /api/status/templates/{id}/apply": { req: (w) => ({ path: `/api/status/templates/${w.template}/apply` }), expect: OWNER_RECORD },
  "POST /api/uploads": { req: () => ({ path: "/api/uploads?filename=a.png", raw: { body: PNG, type: "image/png" } }), expect: SELF },
  "GET /api/uploads/{uploadId}": {
    req: (w) => ({ path: new URL(w.attached).pathname }),
    expect: { owner: "ok", member: "ok", nonMember: 403, blocked: 403, anonymous: 401 },
  },
  "POST /api/bulk/templates/bulk": { req: () => ({ path: "/api/bulk/templates/bulk", body: [{ name: "A", status: "busy", duration: 10 }] }), expect: SELF },
  "POST /api/bulk/schedules/bulk": {
    req: () => ({ path: "/api/bulk/schedules/bulk", body: [{ status: "busy", startTime: future(72), endTime: future(73), repeat: "none" }] }),
    expect: SELF,
  },
  // the provider is unreachable in the test pool (502): authorised all the same
  "POST /api/bulk/sync/calendar": {
    req: () => ({ path: "/api/bulk/sync/calendar", body: { calendarType: "google", accessToken: "t", startDate: future(1), endDate: future(48) } }),
    expect: { owner: "upstream", member: "upstream", nonMember: "upstream", blocked: "upstream", anonymous: 401 },
  },
  "GET /api/bulk/suggestions": { req: () => ({ path: "/api/bulk/suggestions" }), expect: SELF },
  "POST /api/messages": { req: (w) => ({ path: "/api/messages", body: { conversationId: w.group, message: "hello" } }), expect: CONV },
  "POST /api/messages/send": { req: (w) => ({ path: "/api/messages/send", body: { recipientId: w.O._id, text: "hello" } }), expect: TO_OWNER },
  "GET /api/messages/unread/count": { req: () => ({ path: "/api/messages/unread/count" }), expect: SELF },
  "GET /api/messages/unread/count/{conversationId}": { req: (w) => ({ path: `/api/messages/unread/count/${w.group}` }), expect: CONV },
  "GET /api/messages/conversation/{conversationId}": { req: (w) => ({ path: `/api/messages/conversation/${w.group}` }), expect: CONV },
  "PUT /api/messages/conversation/{conversationId}/read": { req: (w) => ({ path: `/api/messages/conversation/${w.group}/read` }), expect: CONV },
  "PUT /api/messages/{messageId}/read": { req: (w) => ({ path: `/api/messages/${w.groupMessage}/read` }), expect: CONV },
  // editing / deleting: the sender only (another member 403, not in the conversation 404)
  "PUT /api/messages/{messageId}": { req: (w) => ({ path: `/api/messages/${w.groupMessage}`, body: { message: "edited" } }), expect: CREATOR },
  "DELETE /api/messages/{messageId}": { req: (w) => ({ path: `/api/messages/${w.groupMessage}` }), expect: CREATOR },
  "GET /api/messages/{otherUserId}": { req: (w) => ({ path: `/api/messages/${w.O._id}` }), expect: { ...SELF, owner: "any" } },
  "GET /api/friends": { req: () => ({ path: "/api/friends" }), expect: SELF },
  "POST /api/friends/requests": { req: (w) => ({ path: "/api/friends/requests", body: { userId: w.O._id } }), expect: TO_OWNER },
  "GET /api/friends/requests": { req: () => ({ path: "/api/friends/requests" }), expect: SELF },
  // requests you are not part of: 404 (README "Friends")
  "POST /api/friends/requests/{requestId}/accept": { req: (w) => ({ path: `/api/friends/requests/${w.incomingRequest}/accept` }), expect: { ...CONV, member: 404 } },
  "POST /api/friends/requests/{requestId}/decline": { req: (w) => ({ path: `/api/friends/requests/${w.incomingRequest}/decline` }), expect: { ...CONV, member: 404 } },
  "DELETE /api/friends/requests/{requestId}": { req: (w) => ({ path: `/api/friends/requests/${w.outgoingRequest}` }), expect: { ...CONV, member: 404 } },
  "DELETE /api/friends/{userId}": { req: (w) => ({ path: `/api/friends/${w.O._id}` }), expect: SIGNED_IN },
  "GET /api/contacts": { req: () => ({ path: "/api/contacts" }), expect: SELF },
  "POST /api/contacts": { req: (w) => ({ path: "/api/contacts", body: { userId: w.O._id } }), expect: { ...SELF, owner: "any" } },
  "GET /api/contacts/with-status": { req: () => ({ path: "/api/contacts/with-status" }), expect: SELF },
  "GET /api/contacts/phone/{phoneNumber}/status": { req: (w) => ({ path: `/api/contacts/phone/${encodeURIComponent(w.O.phoneNumber)}/status` }), expect: STATUS_OF_OWNER },
  "POST /api/contacts/filter": { req: (w) => ({ path: "/api/contacts/filter", body: { phoneNumbers: [w.O.phoneNumber] } }), expect: SELF },
  "POST /api/contacts/status-list": { req: (w) => ({ path: "/api/contacts/status-list", body: { contactIds: [w.O._id] } }), expect: SELF },
  // a contact of the caller's (added first): the owner's status, hidden from the blocked user
  "GET /api/contacts/{id}/status": { setup: addContact, req: (w) => ({ path: `/api/contacts/${w.O._id}/status` }), expect: { ...STATUS_OF_OWNER, owner: "any" } },
  "DELETE /api/contacts/{id}": { setup: addContact, req: (w) => ({ path: `/api/contacts/${w.O._id}` }), expect: { ...SELF, owner: "any" } },
};

/** Socket events: payload per role, same outcomes (a handler's ApiError status, "ok" when it returns). */
type SocketRow = { payload: (w: World, r: Role) => unknown; dialect?: "standard" | "chat-socket"; expect: Record<Role, Outcome> };
const SOCKET: Record<string, SocketRow> = {
  send_message: { payload: (w) => ({ receiverId: w.O._id, content: "hi" }), expect: TO_OWNER },
  sendMessage: { payload: (w) => ({ conversationId: w.group, message: "hi" }), expect: CONV },
  mark_message_read: { payload: (w) => ({ messageId: w.groupMessage }), expect: CONV },
  markMessagesRead: { payload: (w) => ({ conversationId: w.group }), expect: CONV },
  mark_as_read: { payload: (w) => ({ conversation_id: w.group }), dialect: "chat-socket", expect: CONV },
  get_message_history: { payload: (w) => ({ otherUserId: w.O._id }), expect: { ...SELF, owner: "any" } },
  get_unread_count: { payload: () => undefined, expect: SELF },
  getMessages: { payload: (w) => ({ conversationId: w.group }), expect: CONV },
  sync_messages: { payload: (w) => ({ conversationId: w.group, since: 0 }), expect: CONV },
  createGroup: { payload: (w) => ({ name: "S", members: [w.O._id, w.X1._id] }), expect: TO_OWNER },
  joinGroup: { payload: (w) => ({ conversationId: w.group }), expect: CONV },
  join_conversation: { payload: (w) => ({ conversation_id: w.group }), dialect: "chat-socket", expect: CONV },
  leave_conversation: { payload: (w) => ({ conversation_id: w.group }), dialect: "chat-socket", expect: CONV },
  update_contacts: { payload: () => undefined, expect: SELF },
  get_online_users: { payload: () => undefined, expect: SELF },
  echo: { payload: () => ({ x: 1 }), expect: SELF },
  typing_start: { payload: (w) => ({ conversation_id: w.group }), expect: CONV },
  typing_stop: { payload: (w) => ({ conversation_id: w.group }), expect: CONV },
  typing: { payload: (w) => ({ recipientId: w.O._id }), expect: TO_OWNER },
  stopTyping: { payload: (w) => ({ recipientId: w.O._id }), expect: TO_OWNER },
};

function matches(outcome: Outcome, status: number): boolean {
  if (status >= 500 && outcome !== "upstream") return false;
  if (outcome === "any") return true;
  if (outcome === "ok") return status >= 200 && status < 300;
  if (outcome === "allowed") return ![401, 403, 404].includes(status);
  if (outcome === "upstream") return ![401, 403, 404].includes(status) && (status < 500 || status === 502 || status === 503);
  return status === outcome;
}

const specRes = await api("GET", "/openapi.json");
const operations: { key: string; method: string }[] = [];
for (const [path, item] of Object.entries<any>(specRes.body.paths)) {
  for (const method of Object.keys(item)) if (["get", "post", "put", "patch", "delete"].includes(method)) operations.push({ key: `${method.toUpperCase()} ${path}`, method });
}
const stats = { cells: 0, mismatches: 0 };
/** Reads (GET) and socket events change nothing another row depends on: they share one world. */
let shared: Promise<World> | undefined;
const sharedWorld = () => (shared ??= makeWorld());

describe("authorisation matrix", () => {
  it("every OpenAPI operation and every registered socket event has an expectation row (a new one cannot be forgotten)", () => {
    expect(operations.length).toBeGreaterThan(60);
    expect(operations.map((o) => o.key).filter((k) => !(k in REST))).toEqual([]);
    expect(Object.keys(REST).filter((k) => !operations.some((o) => o.key === k)), "rows for routes that no longer exist").toEqual([]);
    expect(handledEvents().filter((e) => !(e in SOCKET) && !e.startsWith("test_"))).toEqual([]);
  });

  for (const { key, method } of operations) {
    it(`REST ${key}`, { timeout: 60_000 }, async () => {
      const row = REST[key];
      if (!row) return; // reported by the first test
      const w = method === "get" ? await sharedWorld() : await makeWorld();
      const got: Record<string, string> = {};
      for (const role of ROLES) {
        const u = caller(w, role);
        if (u && row.setup) await row.setup(w, u);
        const req = row.req(w, role);
        const headers: Record<string, string> = {};
        if (u) headers.authorization = `Bearer ${u.token}`;
        let body: BodyInit | undefined;
        if (req.raw) (body = req.raw.body), (headers["content-type"] = req.raw.type);
        else if (req.body !== undefined) (body = JSON.stringify(req.body)), (headers["content-type"] = "application/json");
        const res = await exports.default.fetch(new Request(`${BASE}${req.path}`, { method: method.toUpperCase(), headers, body }));
        const text = await res.text();
        stats.cells++;
        if (!matches(row.expect[role], res.status)) {
          stats.mismatches++;
          got[role] = `expected ${row.expect[role]}, got ${res.status} ${text.slice(0, 160)}`;
        }
      }
      expect(got).toEqual({});
    });
  }

  for (const event of Object.keys(SOCKET)) {
    it(`socket ${event}`, { timeout: 60_000 }, async () => {
      const row = SOCKET[event];
      const w = await sharedWorld();
      const got: Record<string, string> = {};
      for (const role of ROLES) {
        if (role === "anonymous") continue; // below: a socket without a token never reaches a handler
        const sock = fakeSocket(caller(w, role)!, row.dialect ?? "standard");
        let status = 200;
        let detail = "";
        try {
          await sock.call(event, row.payload(w, role));
        } catch (err: any) {
          status = typeof err?.status === "number" ? err.status : typeof err?.statusCode === "number" ? err.statusCode : 500;
          detail = String(err?.message ?? err);
        }
        stats.cells++;
        if (!matches(row.expect[role], status)) {
          stats.mismatches++;
          got[role] = `expected ${row.expect[role]}, got ${status} ${detail.slice(0, 160)}`;
        }
      }
      expect(got).toEqual({});
    });
  }

  it("anonymous: a CONNECT without a token is refused and an event before CONNECT reaches no handler", async () => {
    const { client } = await wsHandshake();
    client.send("40");
    expect(await client.nextText()).toBe('44{"message":"Authentication error: No token provided"}');
    for (const [i, event] of Object.keys(SOCKET).entries()) client.send(`42${i}${JSON.stringify([event, {}])}`);
    // an EVENT outside a connected namespace is a protocol error: the connection closes, never an ack
    const frames: string[] = [];
    const collecting = client.until((f) => (typeof f === "string" && frames.push(f), false), 10_000).catch(() => null);
    await client.waitClosed(10_000);
    await collecting;
    expect(frames.filter((f) => f.startsWith("43"))).toEqual([]);
    stats.cells += Object.keys(SOCKET).length;
    client.close();
  });
});

describe("paths no other test reached (issue 11 item 8)", () => {
  it("POST /api/conversations/:id/members: adding someone who blocked the adder is 403", async () => {
    const w = await makeWorld();
    // B (blocked by O) created a group with M, and tries to put O in it
    const g = must(await api("POST", "/api/conversations/group", { token: w.B.token, body: { name: "B's", members: [w.M._id] } }), "B's group").data._id;
    const res = await api("POST", `/api/conversations/${g}/members`, { token: w.B.token, body: { members: [w.O._id] } });
    expect(res.status).toBe(403);
    expect(res.body.message).toBe("Access denied");
    // and the blocker may add the blocked user (the blocker can still write)
    const ok = await api("POST", `/api/conversations/${w.group}/members`, { token: w.O.token, body: { members: [w.B._id] } });
    expect(ok.status).toBeLessThan(300);
  });

  it("socket createGroup / joinGroup: the blocked user cannot put the blocker in a group; non-members cannot join", async () => {
    const w = await makeWorld();
    await expect(fakeSocket(w.B).call("createGroup", { name: "x", members: [w.O._id] })).rejects.toMatchObject({ status: 403 });
    const created = await fakeSocket(w.M).call("createGroup", { name: "y", members: [w.X1._id] });
    const id = created?.data?._id;
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    await expect(fakeSocket(w.N).call("joinGroup", { conversationId: id })).rejects.toMatchObject({ status: 404 });
    await expect(fakeSocket(w.X1).call("joinGroup", { conversationId: id })).resolves.toBeTruthy();
  });

  it("typing_start {conversation_id}: non-member 404; in a 1-on-1 with someone who blocked you 403", async () => {
    const w = await makeWorld();
    await expect(fakeSocket(w.N).call("typing_start", { conversation_id: w.group })).rejects.toMatchObject({ status: 404 });
    await expect(fakeSocket(w.B).call("typing_start", { conversation_id: w.blockedPair })).rejects.toMatchObject({ status: 403 });
    await expect(fakeSocket(w.B).call("typing_start", { receiverId: w.O._id })).rejects.toMatchObject({ status: 403 });
    await fakeSocket(w.M).call("typing_start", { conversation_id: w.group }); // a member: no error
  });

  it("003 sendMessage {conversationId} over a real socket: non-member 404, member 201", async () => {
    const w = await makeWorld();
    const conn = async (u: TestUser) => {
      const { client } = await wsHandshake();
      client.send(`40${JSON.stringify({ token: u.token })}`);
      expect(await client.nextText()).toMatch(/^40/);
      return client;
    };
    const ackOf = async (client: WsClient, id: number) => {
      const f = (await client.until((x) => typeof x === "string" && x.startsWith(`43${id}[`), 5000)) as string;
      return JSON.parse(f.slice(`43${id}`.length))[0];
    };
    const n = await conn(w.N);
    n.send(`421${JSON.stringify(["sendMessage", { conversationId: w.group, message: "let me in" }])}`);
    expect(await ackOf(n, 1)).toMatchObject({ success: false, statusCode: 404 });
    n.close();
    const m = await conn(w.M);
    m.send(`422${JSON.stringify(["sendMessage", { conversationId: w.group, message: "hello" }])}`);
    expect(await ackOf(m, 2)).toMatchObject({ success: true, statusCode: 201 });
    m.close();
  });

  it("attachments: a sender may only attach an upload they can read (socket 003/001/004 sends; 002 has no attachment, REST 003 and 004 file_url)", async () => {
    const w = await makeWorld();
    const foreign = w.unattached; // O's upload, attached nowhere: only O can read it
    const s = fakeSocket(w.M);
    await expect(s.call("sendMessage", { conversationId: w.group, message: "x", fileUrl: foreign, messageType: "image" })).rejects.toMatchObject({ status: 403 });
    await expect(s.call("sendMessage", { recipientId: w.O._id, text: "x", attachment: { type: "image", url: foreign } })).rejects.toMatchObject({ status: 403 });
    await expect(fakeSocket(w.M, "chat-socket").call("send_message", { conversation_id: w.group, message: "x", message_type: "file", file_url: foreign })).rejects.toMatchObject({
      status: 403,
    });
    const rest003 = await api("POST", "/api/messages", { token: w.M.token, body: { conversationId: w.group, message: "x", fileUrl: foreign, messageType: "image" } });
    expect(rest003.status).toBe(403);
    const rest004 = await api("POST", "/api/messages/send", { token: w.M.token, body: { conversation_id: w.group, message: "x", message_type: "file", file_url: foreign } });
    expect(rest004.status).toBe(403);
    // the uploader may attach it, after which members may read it
    const own = await api("POST", "/api/messages/send", { token: w.O.token, body: { conversation_id: w.group, message: "x", message_type: "file", file_url: foreign } });
    expect(own.status).toBe(200);
    expect((await api("GET", new URL(foreign).pathname, { token: w.M.token })).status).toBe(200);
  });

  it("figures", () => {
    console.log(`authz matrix: ${operations.length} operations + ${Object.keys(SOCKET).length} socket events × 5 roles = ${stats.cells} cells checked, ${stats.mismatches} mismatches`);
  });
});

/**
 * Connecting as each document says, against `wrangler dev` with the stock
 * socket.io-client:
 * - the three CONNECT_ERROR messages of 002 (`Authentication error: No token
 *   provided` / `Invalid token` / `User not found`), in every transport mode
 *   (default polling -> upgrade, websocket only, polling only) and with the
 *   token in `auth` (000/002/004) or `query` (001);
 * - the dialect a connection speaks: the token's (000 register/login ->
 *   standard, 004 form login -> chat-socket), overridden by `dialect` in the
 *   handshake query or the auth payload (CONTRACT.md "API dialect").
 */
import { SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { http, uniquePhone } from "./client";
import { connectWith, emitAck, next, type SeedUser, user000, user004 } from "./seed-socket-helpers";
import { closeAll, connectError, record, type TransportMode } from "./sockets";

afterEach(() => closeAll());

/** The local dev secret (wrangler.ts / .dev.vars.example) and the configured issuer/audience. */
const SECRET = "e2e-secret-0123456789abcdef";
const sign = (sub: string, opts: { secret?: string; exp?: string | number } = {}) =>
  new SignJWT({ uid: crypto.randomUUID(), dlc: "standard" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuer("edge-chat-presence")
    .setAudience("edge-chat-presence-clients")
    .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
    .setExpirationTime(opts.exp ?? "1h")
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));

describe.each<TransportMode>(["default", "websocket", "polling"])("CONNECT_ERROR messages, %s transports", (mode) => {
  it.each(["auth", "query"] as const)("token in %s: no token, invalid token, user not found", async (placement) => {
    const o = { mode, placement };
    expect(await connectError(undefined, o)).toBe("Authentication error: No token provided");
    expect(await connectError("", o)).toBe("Authentication error: No token provided");
    expect(await connectError("not-a-jwt", o)).toBe("Authentication error: Invalid token");
    expect(await connectError(await sign("0123456789abcdef01234567", { secret: "some-other-secret" }), o)).toBe("Authentication error: Invalid token");
    // expired (002: "Expired or invalid JWT token")
    expect(await connectError(await sign("0123456789abcdef01234567", { exp: Math.floor(Date.now() / 1000) - 60 }), o)).toBe(
      "Authentication error: Invalid token",
    );
    // well signed, but nobody has that id
    expect(await connectError(await sign("0123456789abcdef01234567"), o)).toBe("Authentication error: User not found");
  });
});

describe("token formats", () => {
  it("002's 'Bearer token' may carry its Bearer prefix; an Authorization header on the handshake works too", async () => {
    const u = await user000("Bearer User");
    const { socket: a } = await connectWith(`Bearer ${u.token}`, ["connection"]);
    expect(a.connected).toBe(true);
    const { socket: b } = await connectWith(`Bearer ${u.token}`, [], { placement: "query", transports: ["websocket"] });
    expect(b.connected).toBe(true);
    const { socket: c, first } = await connectWith(undefined, ["connection"], { transports: ["polling"], extraHeaders: { Authorization: `Bearer ${u.token}` } });
    expect(c.connected).toBe(true);
    expect(first.connection).toMatchObject({ user: { _id: u._id } });
    expect(await connectError(`Bearer not-a-jwt`)).toBe("Authentication error: Invalid token");
  });
});

describe("after a CONNECT_ERROR", () => {
  it("the same client connects once it has a valid token (the documented retry)", async () => {
    const u = await user004("Retry Later");
    const { socketFor } = await import("./sockets");
    const socket = socketFor(undefined, { autoConnect: false });
    const failed = new Promise<string>((resolve) => socket.once("connect_error", (e) => resolve(e.message)));
    socket.connect();
    expect(await failed).toBe("Authentication error: No token provided");
    socket.auth = { token: u.token };
    const connected = new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.connect();
    await connected;
    expect(await emitAck(socket, "get_online_users")).toEqual({ users: [] });
  });
});

/** A message from `from` to `to` over REST (001 body), to see which events `to`'s socket gets. */
async function send(from: SeedUser, to: SeedUser, text: string) {
  const res = await http("POST", "/api/messages/send", { token: from.token, body: { recipientId: to._id, text } });
  expect(res.status).toBe(201);
  return res.body;
}

describe("dialects", () => {
  it("a 000 register token speaks standard: connection, online_users (array), receive_message / receiveMessage", async () => {
    const me = await user000("Std Register");
    const other = await user000("Std Other");
    const { socket, first } = await connectWith(me.token, ["connection", "online_users", "contacts_status_initial"]);
    expect(first.connection).toMatchObject({ success: true, user: { _id: me._id } });
    expect(first.online_users).toEqual([]);
    expect(first.contacts_status_initial).toEqual([]);
    const legacy = record(socket, "new_message");
    const r002 = next(socket, "receive_message");
    const r001 = next(socket, "receiveMessage");
    const m = await send(other, me, "to a standard socket");
    expect(await r002).toMatchObject({ _id: m._id, content: "to a standard socket" });
    expect(await r001).toMatchObject({ _id: m._id, text: "to a standard socket" });
    // standard sockets get get_online_users in 002's shape (the sender is offline: empty)
    expect(await emitAck(socket, "get_online_users")).toEqual([]);
    expect(legacy.events).toEqual([]);
  });

  it("a 000 login token (phoneNumber + password) speaks standard too", async () => {
    const phoneNumber = uniquePhone();
    const reg = await http("POST", "/api/auth/register", {
      body: { name: "Std Login", email: `std-login-${Math.random().toString(36).slice(2, 8)}@example.com`, phoneNumber, password: "password123" },
    });
    expect(reg.status).toBe(201);
    const login = await http("POST", "/api/auth/login", { body: { phoneNumber, password: "password123" } });
    expect(login.status).toBe(200);
    const { first } = await connectWith(login.body.data.token, ["connection", "online_users"], { transports: ["websocket"] });
    expect(first.connection).toMatchObject({ success: true, user: { _id: reg.body.data._id, name: "Std Login" } });
    expect(Array.isArray(first.online_users)).toBe(true);
  });

  it("a 004 form-login token speaks chat-socket: connection, new_message, online_users {users} only as the answer", async () => {
    const me = await user004("Chat Dialect");
    const other = await user000("Chat Other");
    // 002's `connection` is named by no other document: every dialect gets it
    const { socket, first } = await connectWith(me.token, ["connection"]);
    expect(first.connection).toMatchObject({ success: true, user: { _id: me._id, name: "Chat Dialect" } });
    const std = record(socket, "receive_message");
    const std001 = record(socket, "receiveMessage");
    const pushed = record(socket, "online_users");
    const arrived = next(socket, "new_message");
    const m = await send(other, me, "to a chat-socket socket");
    expect(await arrived).toMatchObject({ id: m._id, message: "to a chat-socket socket", sender_email: other.email });
    expect(await emitAck(socket, "get_online_users")).toEqual({ users: [] });
    expect(std.events).toEqual([]);
    expect(std001.events).toEqual([]);
    expect(pushed.events.map(([p]) => p)).toEqual([{ users: [] }]);
  });

  it("`dialect` in the handshake query or the auth payload overrides the token's", async () => {
    const four = await user004("Override Four");
    const zero = await user000("Override Zero");
    const sender = await user000("Override Sender");
    // 004 token, query dialect=standard (with the token in auth, and with the 001 query token)
    const { socket: a, first } = await connectWith(four.token, ["connection"], { query: { dialect: "standard" } });
    expect(first.connection).toMatchObject({ success: true, user: { _id: four._id } });
    const { socket: b } = await connectWith(four.token, [], { placement: "query", query: { dialect: "standard" }, transports: ["websocket"] });
    // 000 token, auth {token, dialect: "chat-socket"}
    const { socket: c } = await connectWith(undefined, [], { auth: { token: zero.token, dialect: "chat-socket" }, transports: ["polling"] });

    const atA = next(a, "receive_message");
    const atB = next(b, "receiveMessage");
    await send(sender, four, "override to standard");
    expect(await atA).toMatchObject({ content: "override to standard", senderName: "Override Sender" });
    expect(await atB).toMatchObject({ text: "override to standard", senderId: sender._id });

    const atC = next(c, "new_message");
    await send(sender, zero, "override to chat-socket");
    expect(await atC).toMatchObject({ message: "override to chat-socket", sender_email: sender.email });
    expect(await emitAck(c, "get_online_users")).toEqual({ users: [] });
  });
});

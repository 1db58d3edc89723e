/**
 * The product's Socket.IO endpoint with the stock socket.io-client against
 * `wrangler dev`: all three transport modes, both token placements, acks,
 * binary, presence between related users, several devices, reconnect after a
 * dropped connection, and the three authentication errors of 002.
 */
import { SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { type FormUser, formLogin, http } from "./client";
import { ack, closeAll, connect, connectError, eventually, record, type Socket, socketFor, type TransportMode, upgraded, waitFor } from "./sockets";

type U = FormUser;

const user = (name: string) => formLogin(name, "sock");

/** `watcher` keeps `watched` as a contact (000), so it hears about `watched`'s presence. */
async function watch(watcher: U, watched: U) {
  const res = await http("POST", "/api/contacts", { token: watcher.token, body: { userId: watched._id } });
  if (res.status !== 201) throw new Error(`contact: ${res.status} ${JSON.stringify(res.body)}`);
}

const standard = { query: { dialect: "standard" } };
const bytesOf = (b: unknown) => [...new Uint8Array(b instanceof ArrayBuffer ? b : (b as Uint8Array))];

afterEach(() => closeAll());

describe.each<TransportMode>(["default", "websocket", "polling"])("%s transports", (mode) => {
  it.each(["auth", "query"] as const)("connects with the token in %s; acks and binary round-trip", async (placement) => {
    const u = await user(`Mode ${mode} ${placement}`);
    const socket = await connect(u.token, { mode, placement });
    expect(socket.connected).toBe(true);
    expect(typeof socket.id).toBe("string");

    // ack round-trip with a real handler (004 dialect: emails of online watched users)
    expect(await ack(socket, "get_online_users")).toEqual({ users: [] });
    expect(await ack(socket, "echo", { text: "héllo", n: [1, 2, 3] })).toEqual({ text: "héllo", n: [1, 2, 3] });

    // binary both ways
    const payload = Uint8Array.from([0, 1, 2, 127, 128, 254, 255]);
    const reply = await ack(socket, "echo", payload);
    expect(bytesOf(reply)).toEqual([...payload]);
    const nested = await ack(socket, "echo", { name: "file.bin", data: payload.buffer });
    expect(nested.name).toBe("file.bin");
    expect(bytesOf(nested.data)).toEqual([...payload]);

    if (mode === "default") await upgraded(socket);
    if (mode === "websocket") expect(socket.io.engine.transport.name).toBe("websocket");
    if (mode === "polling") {
      await ack(socket, "echo", "still polling");
      expect(socket.io.engine.transport.name).toBe("polling");
    }
  });

  it("refuses a missing token with 002's message", async () => {
    expect(await connectError(undefined, { mode })).toBe("Authentication error: No token provided");
  });
});

describe("authentication errors (CONNECT_ERROR, 002)", () => {
  it("no token, invalid token, user not found", async () => {
    expect(await connectError(undefined)).toBe("Authentication error: No token provided");
    expect(await connectError("")).toBe("Authentication error: No token provided");
    expect(await connectError("not-a-jwt")).toBe("Authentication error: Invalid token");
    expect(await connectError("not-a-jwt", { placement: "query" })).toBe("Authentication error: Invalid token");
    const forged = await new SignJWT({ uid: crypto.randomUUID(), dlc: "standard" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("0123456789abcdef01234567")
      .setIssuer("edge-chat-presence")
      .setAudience("edge-chat-presence-clients")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("wrong-secret"));
    expect(await connectError(forged)).toBe("Authentication error: Invalid token");
    const orphan = await new SignJWT({ uid: crypto.randomUUID(), dlc: "standard" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("0123456789abcdef01234567")
      .setIssuer("edge-chat-presence")
      .setAudience("edge-chat-presence-clients")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("e2e-secret-0123456789abcdef"));
    expect(await connectError(orphan)).toBe("Authentication error: User not found");
    expect(await connectError(orphan, { placement: "query", mode: "websocket" })).toBe("Authentication error: User not found");
  });
});

describe("the seeds' client snippets, unmodified", () => {
  it("002 (auth, websocket first), 001 (query token), 000/004 (auth, defaults)", async () => {
    const u = await user("Snippets");
    const { io } = await import("socket.io-client");
    const { baseUrl } = await import("./client");
    const s002 = io(baseUrl(), { auth: { token: u.token }, transports: ["websocket", "polling"], forceNew: true });
    const s001 = io(baseUrl(), { query: { token: u.token }, forceNew: true });
    const s000 = io(baseUrl(), { auth: { token: u.token }, forceNew: true });
    try {
      await eventually(() => s002.connected && s001.connected && s000.connected, 8000, "all three snippets to connect");
      expect(s002.io.engine.transport.name).toBe("websocket");
    } finally {
      for (const s of [s002, s001, s000]) s.close();
    }
  });
});

describe("presence between related users", () => {
  it("online/offline reach watchers once per user, in each dialect's names", async () => {
    const alice = await user("Alice Presence");
    const bob = await user("Bob Presence"); // standard dialect watcher
    const carol = await user("Carol Presence"); // chat-socket dialect watcher
    await watch(bob, alice);
    await watch(carol, alice);

    const b = await connect(bob.token, { ...standard, mode: "websocket" });
    const c = await connect(carol.token, { mode: "polling" });
    const bOnline = record(b, "user_online");
    const bStatus = record(b, "userStatus");
    const cOnline = record(c, "user_online");
    const cStatus = record(c, "userStatus");

    // first device: one online event to each watcher
    const bSawOnline = waitFor(b, "userStatus", { filter: (p) => p.isOnline === true });
    const cSawOnline = waitFor(c, "user_online");
    const a1 = await connect(alice.token, { mode: "default" });
    const [status] = await bSawOnline;
    expect(status).toMatchObject({ userId: alice.userId, _id: alice._id, isOnline: true });
    expect(typeof status.lastSeen).toBe("string");
    const [online004] = await cSawOnline;
    expect(online004).toMatchObject({ userId: alice.userId, _id: alice._id, email: alice.email, name: alice.name });
    await eventually(() => bOnline.events.length === 1, 5000, "user_online at bob");
    expect(bOnline.events[0][0]).toMatchObject({ userId: alice.userId, _id: alice._id, name: alice.name, email: alice.email });
    expect(typeof bOnline.events[0][0].username).toBe("string");

    // a newcomer watching alice sees her in 002's online_users on connect
    const dave = await user("Dave Presence");
    await watch(dave, alice);
    const d = socketFor(dave.token, { ...standard, mode: "websocket" });
    const [connection, [onlineUsers]] = await Promise.all([waitFor(d, "connection"), waitFor(d, "online_users")]);
    expect(connection[0]).toMatchObject({ success: true, user: { _id: dave._id, name: "Dave Presence" } });
    expect(onlineUsers).toEqual([
      expect.objectContaining({ userId: alice.userId, _id: alice._id, name: alice.name, email: alice.email, role: "user" }),
    ]);
    expect(await ack(c, "get_online_users")).toEqual({ users: [alice.email] });

    // second device: no second online event; first device leaving: not offline
    const a2 = await connect(alice.token, { mode: "websocket", placement: "query" });
    a1.close();
    // ...last device leaving: offline, exactly once, after which nothing else can be pending
    const bOffline = waitFor(b, "user_offline");
    const cOffline = waitFor(c, "user_offline");
    const bStatusOff = waitFor(b, "userStatus", { filter: (p) => p.isOnline === false });
    a2.close();
    const [off] = await bOffline;
    expect(off).toMatchObject({ userId: alice.userId, _id: alice._id, email: alice.email });
    expect(Date.parse(off.lastSeen)).not.toBeNaN();
    expect((await cOffline)[0]).toMatchObject({ _id: alice._id, email: alice.email });
    expect((await bStatusOff)[0]).toMatchObject({ userId: alice.userId, isOnline: false });

    expect(bOnline.events).toHaveLength(1);
    expect(cOnline.events).toHaveLength(1);
    expect(bStatus.events.map(([p]) => p.isOnline)).toEqual([true, false]);
    expect(cStatus.events).toHaveLength(0); // 001's name is not sent to chat-socket connections
  });

  it("presence is not sent to unrelated users", async () => {
    const erin = await user("Erin");
    const gina = await user("Gina"); // watches erin
    const frank = await user("Frank"); // not related
    await watch(gina, erin);
    const g = await connect(gina.token, standard);
    const f = await connect(frank.token, standard);
    const seen = record(f, "user_online");
    const ginaSaw = waitFor(g, "user_online");
    const e = await connect(erin.token);
    // erin's presence has been fanned out once her watcher has it
    expect((await ginaSaw)[0]).toMatchObject({ _id: erin._id });
    await ack(f, "echo", "sync");
    e.close();
    expect(seen.events).toHaveLength(0);
  });
});

describe("reconnect after a dropped connection", () => {
  it.each<TransportMode>(["default", "websocket", "polling"])("%s: the client reconnects and works again", async (mode) => {
    const u = await user(`Reconnect ${mode}`);
    const socket: Socket = await connect(u.token, { mode, reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
    if (mode === "default") await upgraded(socket);
    const firstId = socket.id;
    const dropped = waitFor(socket, "disconnect");
    const back = waitFor(socket, "connect", { timeout: 8000 });
    // a malformed Socket.IO packet makes the server drop this connection
    socket.io.engine.write("not a socket.io packet");
    const [reason] = await dropped;
    expect(["transport close", "transport error"]).toContain(reason);
    await back;
    expect(socket.connected).toBe(true);
    expect(socket.id).not.toBe(firstId);
    expect(await ack(socket, "echo", "again")).toBe("again");
  });
});

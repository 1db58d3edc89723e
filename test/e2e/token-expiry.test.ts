/**
 * Token lifecycle with the stock socket.io-client (issue 11, item 5): a
 * connection is not served past its token's `exp`; the server answers the
 * event's ack with a 401 error body and closes the Engine.IO connection, so
 * the client reconnects by itself and asks its `auth` callback for a fresh
 * token. A token revoked by logout-all cannot connect again.
 */
import { SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { http } from "./client";
import { emitAck, user000 } from "./seed-socket-helpers";
import { closeAll, connect, connectError, type TransportMode } from "./sockets";

afterEach(() => closeAll());

/** The e2e secret (wrangler.ts) and the configured issuer/audience. */
const SECRET = "e2e-secret-0123456789abcdef";
const shortLived = (sub: string, uid: string, exp: number) =>
  new SignJWT({ uid, dlc: "standard", ver: 0 })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuer("edge-chat-presence")
    .setAudience("edge-chat-presence-clients")
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(SECRET));

/** Resolves once the wall clock has passed `epochMs` (checked every 50 ms). */
const clockPast = (epochMs: number) =>
  new Promise<void>((resolve) => {
    const tick = () => (Date.now() > epochMs ? resolve() : setTimeout(tick, 50));
    tick();
  });

describe.each<TransportMode>(["default", "websocket", "polling"])("past exp, %s transports", (mode) => {
  it("the event is answered 401, the client reconnects through its auth callback with a fresh token", async () => {
    const u = await user000(`Expiring ${mode}`);
    const exp = Math.floor(Date.now() / 1000) + 3;
    let current = await shortLived(u._id, u.userId, exp);
    const tokensGiven: string[] = [];
    const socket = await connect(undefined, {
      mode,
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 200,
      auth: (cb: (data: object) => void) => (tokensGiven.push(current), cb({ token: current })),
    });
    expect(await emitAck(socket, "get_online_users")).toEqual([]);

    current = u.token; // what a client would fetch once its token is about to expire
    const disconnected = new Promise<string>((resolve) => socket.once("disconnect", (reason) => resolve(reason)));
    const reconnected = new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    await clockPast(exp * 1000 + 100);
    const refused = await emitAck(socket, "get_online_users");
    expect(refused).toMatchObject({ success: false, statusCode: 401, error: "Unauthorized" });
    // a transport close, not "io server disconnect" (after which socket.io-client would stay down)
    expect(await disconnected).toBe("transport close");
    await reconnected;
    expect(socket.connected).toBe(true);
    expect(tokensGiven.at(-1)).toBe(u.token);
    expect(await emitAck(socket, "get_online_users")).toEqual([]);
  });
});

describe("revocation", () => {
  it("after logout-all the old token is refused at CONNECT; a new login connects", async () => {
    const u = await user000("Logout All");
    const before = await connect(u.token);
    expect(before.connected).toBe(true);
    const out = await http("POST", "/api/auth/logout-all", { token: u.token });
    expect(out.status).toBe(200);
    expect(await connectError(u.token)).toBe("Authentication error: Invalid token");
    expect((await http("GET", "/api/users/me", { token: u.token })).status).toBe(401);
  });
});

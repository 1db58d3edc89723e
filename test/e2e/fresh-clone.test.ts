/**
 * Plain `npx wrangler dev` on a fresh clone: wrangler.toml only, no
 * .dev.vars, no --var. Registration, 004's form login (twice: the shipped
 * configuration lets a password-less account log in again) and Socket.IO
 * work, with JWT_SECRET's development-only fallback announced in the log.
 */
import { io, type Socket } from "socket.io-client";
import { eventually } from "./sockets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWrangler, type WranglerServer } from "./wrangler";

let server: WranglerServer;
beforeAll(async () => {
  server = await startWrangler({ freshClone: true });
});
afterAll(async () => {
  await server?.stop();
});

async function post(path: string, init: { json?: unknown; form?: Record<string, string> }) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: init.json ? { "content-type": "application/json" } : {},
    body: init.json ? JSON.stringify(init.json) : new URLSearchParams(init.form),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe("npx wrangler dev on a fresh clone", () => {
  it("registers, logs in twice with 004's form and connects, announcing the dev-only JWT secret", async () => {
    const tag = Math.random().toString(36).slice(2, 10);
    const reg = await post("/api/auth/register", {
      json: { name: "Fresh", email: `fresh-${tag}@example.com`, phoneNumber: `+1202555${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}`, password: "password123" },
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    // the Worker's log reaches wrangler's output a little after the response: wait for the line
    const announcement = /JWT_SECRET is not set: this `wrangler dev` session signs tokens with a development-only fallback secret/;
    await eventually(() => announcement.test(server.log()), 10_000, "the dev-only secret announcement");

    const email = `fresh-form-${tag}@example.com`;
    expect((await post("/api/auth/login", { form: { email, name: "Fresh Form" } })).status).toBe(200);
    const again = await post("/api/auth/login", { form: { email, name: "Fresh Form" } });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const me = await fetch(`${server.baseUrl}/api/users/me`, { headers: { authorization: `Bearer ${again.body.access_token}` } });
    expect(me.status).toBe(200);

    const socket: Socket = io(server.baseUrl, { auth: { token: again.body.access_token }, forceNew: true, reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
      });
      const online = await socket.timeout(8000).emitWithAck("get_online_users");
      expect(online).toEqual({ users: expect.any(Array) });
    } finally {
      socket.close();
    }
  });
});

/**
 * A Worker built for deployment (not `wrangler dev`) without the JWT_SECRET
 * secret refuses every request loudly, saying what to do, and never signs
 * with a default. (`wrangler dev` without it: test/e2e/fresh-clone.test.ts.)
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { isDevBuild, issueToken } from "../../src/lib/tokens";
import { api, BASE, uniquePhone } from "./helpers";

const noSecret = { ...env, JWT_SECRET: "" } as typeof env;
const call = (path: string, init: RequestInit = {}) => worker.fetch!(new Request(`${BASE}${path}`, init) as any, noSecret as any, createExecutionContext());

describe("JWT_SECRET missing outside `wrangler dev`", () => {
  it("is not a dev build here", () => expect(isDevBuild()).toBe(false));

  it("answers 500 naming the fix, for the API, health and Socket.IO, and writes nothing", async () => {
    const email = `nosecret-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const phoneNumber = uniquePhone();
    const reg = await call("/api/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "No Secret", email, phoneNumber, password: "password123" }),
    });
    expect(reg.status).toBe(500);
    const body = (await reg.json()) as any;
    expect(body.detail).toContain("npx wrangler secret put JWT_SECRET");
    expect((await call("/api/auth/login", { method: "POST", body: new URLSearchParams({ email }) })).status).toBe(500);
    expect((await call("/health")).status).toBe(500);
    expect((await call("/socket.io/?EIO=4&transport=polling")).status).toBe(500);
    // nothing was created (checked with the configured Worker)
    expect((await api("POST", "/api/auth/check", { body: { phoneNumber } })).body).toMatchObject({ exists: false });
    // the web client's page is still served
    expect((await call("/")).status).toBe(200);
  });

  it("a loopback hostname does not help a non-dev build", async () => {
    const res = await worker.fetch!(new Request("http://127.0.0.1/health") as any, noSecret as any, createExecutionContext());
    expect(res.status).toBe(500);
  });

  it("never signs with a default", async () => {
    await expect(issueToken(noSecret, { sub: "a".repeat(24), uid: crypto.randomUUID(), dlc: "standard" })).rejects.toThrow(/JWT_SECRET/);
  });
});

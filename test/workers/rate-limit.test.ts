import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { checkMessageRate, connectAllowed } from "../../src/lib/rate-limit";
import { api, withinOneRateWindow } from "./helpers";

describe("004 rate limits", () => {
  it("answers 429 with the error body once an IP exceeds its API budget", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const statuses: number[] = [];
    await withinOneRateWindow(40_000);
    for (let i = 0; i < 1001; i++) {
      const res = await api("GET", "/api/users/me", { headers: { "cf-connecting-ip": ip } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body).toMatchObject({ success: false, statusCode: 429 });
        expect(res.headers.get("retry-after")).toBe("60");
        break;
      }
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(1000);
    expect(statuses.at(-1)).toBe(429);
    // another IP is unaffected
    const other = await api("GET", "/api/users/me", { headers: { "cf-connecting-ip": "203.0.113.9" } });
    expect(other.status).toBe(401);
  }, 120_000);

  it("exempts configured IPs (loopback in local dev)", async () => {
    const req = (ip: string) => new Request("http://x/socket.io/", { headers: { "cf-connecting-ip": ip } });
    const exemptEnv = { ...env, RATE_LIMIT_EXEMPT_IPS: "127.0.0.1,::1" };
    for (let i = 0; i < 20; i++) expect(await connectAllowed(exemptEnv, req("127.0.0.1"))).toBe(true);
    const results: boolean[] = [];
    await withinOneRateWindow(10_000);
    for (let i = 0; i < 11; i++) results.push(await connectAllowed(exemptEnv, req("192.0.2.77")));
    expect(results.slice(0, 10).every(Boolean)).toBe(true);
    expect(results[10]).toBe(false);
  }, 60_000);

  it("allows 100 messages a minute per user, then 429", async () => {
    const user = crypto.randomUUID();
    await withinOneRateWindow(10_000);
    for (let i = 0; i < 100; i++) await checkMessageRate(env, user);
    await expect(checkMessageRate(env, user)).rejects.toMatchObject({ status: 429 });
    await expect(checkMessageRate(env, crypto.randomUUID())).resolves.toBeUndefined();
  }, 60_000);
});

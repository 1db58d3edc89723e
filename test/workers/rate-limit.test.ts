import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { checkMessageRate, connectAllowed } from "../../src/domain/rate-limits";
import { assess, HOUR_MS } from "../../src/objects/api-rate-ledger";
import { api, BASE, withinOneRateWindow } from "./helpers";
import { ledgerStub } from "./objects";

/** One API request from `ip` with the hourly budget set to `limit`; background reports are awaited like the runtime would finish them. */
async function apiCallWithHourly(ip: string, limit: number) {
  const ctx = createExecutionContext();
  const res = await worker.fetch!(
    new Request(`${BASE}/api/users/me`, { headers: { "cf-connecting-ip": ip } }) as any,
    { ...env, API_HOURLY_LIMIT: String(limit) } as any,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as any };
}

describe("004 rate limits", () => {
  it("answers 429 with the error body once an IP exceeds its API budget", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const statuses: number[] = [];
    // the per-minute binding (1000 a minute) or the hourly tally (1000 an hour, reported in
    // batches of 50) stops it, whichever comes first
    await withinOneRateWindow(40_000);
    for (let i = 0; i < 1100; i++) {
      const res = await api("GET", "/api/users/me", { headers: { "cf-connecting-ip": ip } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body).toMatchObject({ success: false, statusCode: 429 });
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(60);
        break;
      }
    }
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(1000);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(1050);
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

  it("enforces the budget per hour, not per minute: an IP over its hourly budget gets 429 until the hour slides on", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const limit = 40; // batches of 2: at most one unreported batch per isolate
    const statuses: number[] = [];
    let blocked: Awaited<ReturnType<typeof apiCallWithHourly>> | undefined;
    for (let i = 0; i < limit + 5; i++) {
      const res = await apiCallWithHourly(ip, limit);
      statuses.push(res.status);
      if (res.status === 429) {
        blocked = res;
        break;
      }
    }
    expect(blocked, `statuses: ${statuses}`).toBeDefined();
    expect(statuses.length).toBeGreaterThan(limit - 1);
    expect(statuses.length).toBeLessThanOrEqual(limit + 3);
    expect(blocked!.body).toMatchObject({ success: false, statusCode: 429 });
    expect(blocked!.body.message).toMatch(/per hour/);
    // far beyond the per-minute window: the answer is in minutes, not "60"
    expect(Number(blocked!.retryAfter)).toBeGreaterThan(60);
    // the ledger holds the IP's count for the hour
    const ledger = ledgerStub(ip);
    const standing = await ledger.add(0, limit);
    expect(standing.count).toBeGreaterThanOrEqual(limit);
    expect(standing.blockedUntil).toBeGreaterThan(Date.now() + 60_000);
    // another IP is unaffected
    expect((await apiCallWithHourly("203.0.113.77", limit)).status).toBe(401);
  });

  it("slides the hour: the previous hour counts in proportion to how much of it the window still covers", () => {
    const hourStart = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    // 800 last hour, 300 this hour, half-way through: 400 + 300 = 700 < 1000
    expect(assess({ hour: hourStart / HOUR_MS, current: 300, previous: 800 }, 1000, hourStart + HOUR_MS / 2)).toEqual({ count: 700, blockedUntil: 0 });
    // 1000 last hour, 500 this hour, 10% in: 900 + 500 = 1400: blocked until 1000*(1-e) + 500 < 1000, e = 0.5
    const a = assess({ hour: hourStart / HOUR_MS, current: 500, previous: 1000 }, 1000, hourStart + HOUR_MS / 10);
    expect(a.count).toBeCloseTo(1400);
    expect(a.blockedUntil).toBe(hourStart + HOUR_MS / 2);
    // 1200 this hour alone: blocked into the next hour, until 1200*(1-e) < 1000
    const b = assess({ hour: hourStart / HOUR_MS, current: 1200, previous: 0 }, 1000, hourStart + 1000);
    expect(b.blockedUntil).toBe(hourStart + HOUR_MS + Math.ceil((1 - 1000 / 1200) * HOUR_MS));
    // two hours later nothing is left
    expect(assess({ hour: hourStart / HOUR_MS - 2, current: 5000, previous: 5000 }, 1000, hourStart + 1)).toEqual({ count: 0, blockedUntil: 0 });
  });
});

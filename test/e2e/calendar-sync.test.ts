/**
 * Calendar sync through real HTTP: this file's own `wrangler dev` reaches a
 * local fake of the three providers (a Node HTTP server on 127.0.0.1 that
 * serves recorded-shape responses) through CALENDAR_API_BASE.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCalendarFake, EXPECTED, type FakeOptions, USER_ZONE, WINDOW } from "../workers/calendar.fakes";
import { startWrangler, type WranglerServer } from "./wrangler";

let server: Server;
let fakeBase = "";
let fake: ReturnType<typeof createCalendarFake>;
let wrangler: WranglerServer;

function useFake(opts: FakeOptions = {}) {
  fake = createCalendarFake(fakeBase, opts);
}

async function toRequest(req: IncomingMessage): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  return new Request(`${fakeBase}${req.url}`, { method: req.method, headers, body: body && req.method !== "GET" ? body : undefined });
}

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${wrangler.baseUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    try {
      const out = await fake.handle(await toRequest(req));
      const headers: Record<string, string> = {};
      out.headers.forEach((v, k) => (headers[k] = v));
      res.writeHead(out.status, headers);
      res.end(Buffer.from(await out.arrayBuffer()));
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fakeBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  useFake();
  wrangler = await startWrangler({ vars: { CALENDAR_API_BASE: fakeBase } });
});

afterAll(async () => {
  await wrangler?.stop();
  await new Promise((r) => server?.close(r));
});

async function newUser() {
  const tag = Math.random().toString(36).slice(2, 10);
  const reg = await call("POST", "/api/auth/register", undefined, {
    name: "Calendar User",
    email: `cal-${tag}@example.com`,
    phoneNumber: `2026${String(Math.floor(Math.random() * 1_000_000)).padStart(6, "0")}`,
    password: "password123",
  });
  expect(reg.status).toBe(201);
  const token = reg.body.data.token as string;
  const tz = await call("PUT", "/api/users/profile", token, { timezone: USER_ZONE });
  expect(tz.status).toBe(200);
  return { token: tz.body.token as string, _id: reg.body.data._id as string, userId: reg.body.data.userId as string };
}

const key = (s: { customStatus: string; startTime: string; endTime: string; status: string; repeat: string }) =>
  [s.status, s.customStatus, s.startTime, s.endTime, s.repeat].join("|");
const expectedKeys = (type: keyof typeof EXPECTED) =>
  EXPECTED[type].map(([, status, customStatus, startTime, endTime, repeat]) => key({ status, customStatus, startTime, endTime, repeat })).sort();

describe("POST /api/bulk/sync/calendar over real HTTP", () => {
  it("syncs each provider from the local fake, idempotently", async () => {
    const u = await newUser();
    for (const type of ["google", "outlook", "apple"] as const) {
      useFake();
      const body = { calendarType: type, accessToken: type === "apple" ? "ada@icloud.com:app-pass" : "ya29.token", ...WINDOW };
      const first = await call("POST", "/api/bulk/sync/calendar", u.token, body);
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      expect(first.body.success).toBe(true);
      expect(first.body.count).toBe(EXPECTED[type].length);
      expect(first.body.data.map(key).sort()).toEqual(expectedKeys(type));
      for (const s of first.body.data) expect(s).toMatchObject({ user: u._id, userId: u.userId, active: true, source: type });
      expect(fake.requests.length).toBeGreaterThan(0);

      const again = await call("POST", "/api/bulk/sync/calendar", u.token, body);
      expect(again.status).toBe(201);
      expect(again.body.data.map((s: any) => s._id).sort()).toEqual(first.body.data.map((s: any) => s._id).sort());
    }
    const all = await call("GET", `/api/users/${u._id}/schedules?limit=100`, u.token);
    expect(all.body.pagination.total).toBe(EXPECTED.google.length + EXPECTED.outlook.length + EXPECTED.apple.length);
  });

  it("reports provider failures as clear errors", async () => {
    const u = await newUser();
    const body = { calendarType: "google", accessToken: "expired", ...WINDOW };
    useFake({ fail: { status: 401, headers: { "content-type": "application/json" }, body: '{"error":{"code":401,"message":"Invalid Credentials"}}' } });
    const rejected = await call("POST", "/api/bulk/sync/calendar", u.token, body);
    expect(rejected.status).toBe(400);
    expect(rejected.body).toMatchObject({ success: false, statusCode: 400 });
    expect(rejected.body.message).toContain("accessToken");
    expect(rejected.body.message).toContain("Invalid Credentials");

    useFake({ fail: { status: 429, headers: { "retry-after": "42" } } });
    const limited = await call("POST", "/api/bulk/sync/calendar", u.token, body);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("42");

    useFake({ fail: { status: 502, body: "upstream" } });
    expect((await call("POST", "/api/bulk/sync/calendar", u.token, body)).status).toBe(502);
    const none = await call("GET", `/api/users/${u._id}/schedules`, u.token);
    expect(none.body.data).toEqual([]);
  });
});

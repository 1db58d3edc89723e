/**
 * Schedules on `wrangler dev`: the user's Durable Object alarm (a real one,
 * nothing run by hand) sets the scheduled status at the start and restores
 * the previous one at the end; upcoming and suggestions answer over HTTP.
 */
import { describe, expect, it } from "vitest";
import { http, register } from "./client";

/** Polls until `check` passes or the deadline passes (then fails with the last value). */
async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  return last;
}

describe("schedules act on time under wrangler dev", () => {
  it("sets the status at the start and restores the previous one at the end", async () => {
    const u = await register("Schedule Runner");
    const put = await http("PUT", "/api/status-management", { token: u.token, body: { status: "at_home" } });
    expect(put.status).toBe(200);

    const start = Date.now() + 1500;
    const end = start + 2500;
    const created = await http("POST", `/api/users/${u.userId}/schedules`, {
      token: u.token,
      body: { status: "meeting", customStatus: "Quick sync", startTime: new Date(start).toISOString(), endTime: new Date(end).toISOString() },
    });
    expect(created.status).toBe(201);

    const upcoming = await http("GET", "/api/status/schedules/upcoming", { token: u.token });
    expect(upcoming.body.data[0]).toMatchObject({ _id: created.body.data._id, startTime: new Date(start).toISOString() });

    const status = () => http("GET", "/api/status-management", { token: u.token }).then((r) => r.body.data);
    const during = await eventually(status, (d) => d.status === "meeting");
    expect(during).toMatchObject({ customStatus: "Quick sync", statusUntil: new Date(end).toISOString() });
    expect(Date.now()).toBeGreaterThanOrEqual(start);

    const after = await eventually(status, (d) => d.status === "at_home");
    expect(after).toMatchObject({ status: "at_home", customStatus: "", statusUntil: null });

    const history = await http("GET", `/api/users/${u._id}/history?limit=50`, { token: u.token });
    expect(history.body.data.map((h: any) => h.status)).toContain("meeting");
  });

  it("bulk and suggestions answer over HTTP", async () => {
    const u = await register("Bulk User");
    const bulk = await http("POST", "/api/bulk/templates/bulk", {
      token: u.token,
      body: [
        { name: "Meeting", status: "busy", customStatus: "In a meeting", duration: 60 },
        { name: "Lunch", status: "eating", customStatus: "Having lunch", duration: 45 },
      ],
    });
    expect(bulk.status).toBe(201);
    expect(bulk.body.count).toBe(2);
    const bad = await http("POST", "/api/bulk/schedules/bulk", {
      token: u.token,
      body: [{ status: "busy", startTime: "2030-01-01T09:00:00Z", endTime: "2030-01-01T10:00:00Z" }, { status: "nope" }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("[1].status");
    const suggestions = await http("GET", "/api/bulk/suggestions", { token: u.token });
    expect(suggestions.status).toBe(200);
    expect(suggestions.body).toEqual({ success: true, data: [] });
  });
});

/**
 * Bounded input (issue 11, item 4): every body is limited before it is
 * parsed, streamed bodies are counted and dropped at the limit, passwords
 * are capped on every route.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AUTH_BODY_MAX_BYTES, JSON_BODY_MAX_BYTES, MULTIPART_SLACK } from "../../src/lib/body-limit";
import { api, BASE, makeUser, registerUser } from "./helpers";
import { pollingHandshake, poll } from "./realtime-helpers";

const UPLOAD_MAX = 10 * 1024 * 1024;
const MAX_PAYLOAD = 1_000_000;

/** A body of `count` chunks of `size` bytes, produced on demand; `pulled` says how much the server asked for. */
function sizedStream(size: number, count: number, fill = 0x61) {
  const state = { pulled: 0 };
  let n = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(ctrl) {
        if (n++ >= count) return ctrl.close();
        state.pulled += size;
        ctrl.enqueue(new Uint8Array(size).fill(fill));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

async function post(path: string, body: BodyInit, headers: Record<string, string>) {
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { method: "POST", headers, body }));
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe("REST body limit", () => {
  it("a streamed 4 MB login body is cut off at the auth limit with 413, unread beyond it", async () => {
    const { stream, state } = sizedStream(64 * 1024, 64);
    const res = await post("/api/auth/login", stream, { "content-type": "application/json" });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ success: false, statusCode: 413, error: "Payload Too Large" });
    expect(res.body.detail).toMatch(/at most/);
    expect(state.pulled).toBeLessThan(AUTH_BODY_MAX_BYTES + 4 * 64 * 1024);
  });

  it("JSON sent as text/plain is bounded too", async () => {
    const { stream, state } = sizedStream(64 * 1024, 64, 0x7b);
    const res = await post("/api/auth/login", stream, { "content-type": "text/plain;charset=UTF-8" });
    expect(res.status).toBe(413);
    expect(state.pulled).toBeLessThan(AUTH_BODY_MAX_BYTES + 4 * 64 * 1024);
  });

  it("a declared Content-Length over the JSON limit is refused unread; a body within it still works", async () => {
    const u = await makeUser();
    const big = JSON.stringify({ name: "x".repeat(JSON_BODY_MAX_BYTES) });
    const res = await api("PUT", "/api/users/profile", { token: u.token, body: big });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ success: false, statusCode: 413 });
    const fine = await api("PUT", "/api/users/profile", { token: u.token, body: JSON.stringify({ name: "Fine" }), headers: { "content-type": "text/plain" } });
    expect(fine.status).toBe(200);
  });

  it("passwords are capped at login (no KDF run on a huge password)", async () => {
    const u = await registerUser();
    const res = await api("POST", "/api/auth/login", { body: { email: u.email, password: "p".repeat(5000) } });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/password: must be at most 200 characters/);
    const form = await api("POST", "/api/auth/login", { form: { email: u.email, password: "p".repeat(5000) } });
    expect(form.status).toBe(422);
  });
});

describe("streamed uploads", () => {
  it("a multipart upload without Content-Length stops at the limit with 413", async () => {
    const u = await makeUser();
    const chunk = 512 * 1024;
    const { stream, state } = sizedStream(chunk, 40); // 20 MB
    const res = await post("/api/uploads", stream, {
      authorization: `Bearer ${u.token}`,
      "content-type": "multipart/form-data; boundary=xyz",
    });
    expect(res.status).toBe(413);
    expect(state.pulled).toBeLessThan(UPLOAD_MAX + MULTIPART_SLACK + 4 * chunk);
  });
});

describe("polling POST", () => {
  it("a streamed payload over maxPayload is cut off at the limit: 413, session closed", async () => {
    const { sid } = await pollingHandshake();
    const chunk = 64 * 1024;
    const { stream, state } = sizedStream(chunk, 64, 0x34); // 4 MB of "4444..."
    const res = await exports.default.fetch(
      new Request(`${BASE}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: stream, headers: { "content-type": "text/plain" } }),
    );
    expect(res.status).toBe(413);
    await res.text();
    expect(state.pulled).toBeLessThan(MAX_PAYLOAD + 4 * chunk);
    expect((await poll(sid)).status).toBe(400);
  });
});

/** Pages served from public/ through the Worker. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE } from "./helpers";

describe("static pages", () => {
  it("serves 004's Socket.IO test page at /client_example.html (the web client)", async () => {
    const res = await exports.default.fetch(new Request(`${BASE}/client_example.html`));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<script src="/vendor/socket.io.min.js"></script>');
    const root = await exports.default.fetch(new Request(`${BASE}/`));
    expect(html).toBe(await root.text());
  });
});

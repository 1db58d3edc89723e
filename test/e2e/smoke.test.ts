import { describe, expect, it } from "vitest";
import { baseUrl, http, register } from "./client";

describe("wrangler dev smoke", () => {
  it("serves /health and /docs", async () => {
    const health = await http("GET", "/health");
    expect(health.status).toBe(200);
    expect(health.body.status).toBe("healthy");
    const docs = await http("GET", "/docs");
    expect(docs.status).toBe(200);
    expect(String(docs.body)).toContain("<html");
    expect(String(docs.body)).toContain("/vendor/swagger-ui-bundle.js");
    const bundle = await fetch(`${baseUrl()}/vendor/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    const spec = await http("GET", "/openapi.json");
    expect(spec.status).toBe(200);
    expect(spec.body.paths["/api/auth/register"]).toBeDefined();
  });

  it("registers, logs in and reads /api/users/me over real HTTP", async () => {
    const u = await register("Smoke Tester");
    const login = await http("POST", "/api/auth/login", { body: { phoneNumber: u.phoneNumber, password: "password123" } });
    expect(login.status).toBe(200);
    expect(login.body.data.userId).toBe(u.userId);
    const me = await http("GET", "/api/users/me", { token: login.body.data.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ _id: u._id, userId: u.userId, name: "Smoke Tester", email: u.email });
  });

  it("004 form login-or-register works without configuration", async () => {
    const email = `form-${Date.now()}@example.com`;
    const res = await http("POST", "/api/auth/login", { form: { email, name: "Form Person" } });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe("bearer");
    const me = await http("GET", "/api/users/me", { token: res.body.access_token });
    expect(me.body.email).toBe(email);
  });
});

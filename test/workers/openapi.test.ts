/**
 * OpenAPI response schemas (issue 12 item 6): every operation in
 * /openapi.json documents a non-empty 2xx response schema (the views'
 * shapes, src/views/schemas/) and the error body for its error answers.
 */
import { describe, expect, it } from "vitest";
import { api } from "./helpers";

describe("OpenAPI response schemas", () => {
  it("every operation documents a non-empty 2xx response schema, and error bodies", async () => {
    const res = await api("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const spec = res.body;
    const missing: string[] = [];
    let count = 0;
    for (const [path, item] of Object.entries<any>(spec.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
        count++;
        const ok = Object.entries<any>(op.responses).filter(([code]) => /^2\d\d$/.test(code));
        const schemas = ok.flatMap(([, r]) => Object.values<any>(r.content ?? {}).map((c) => c.schema));
        if (!ok.length || !schemas.length || schemas.some((s) => !s || Object.keys(s).length === 0)) missing.push(`${method.toUpperCase()} ${path}`);
        for (const [code, r] of Object.entries<any>(op.responses)) {
          if (/^[45]\d\d$/.test(code)) expect(r.content?.["application/json"]?.schema, `${method} ${path} ${code}`).toEqual({ $ref: "#/components/schemas/Error" });
        }
      }
    }
    expect(count).toBeGreaterThan(60);
    expect(missing).toEqual([]);
    expect(spec.components.schemas.Message004.required).toEqual(expect.arrayContaining(["id", "conversation_id", "sender_email"]));
  });
});

/**
 * Every socket event name the server can emit is in the served AsyncAPI
 * document: a scan of src/ for emitted names (`emit("name", ...)`,
 * `emitWithAck("name", ...)` and event tuples `["name", payload]` as built
 * for the emit layer), compared with the document's `send` operations. The
 * handled names are checked against the registry in
 * test/workers/asyncapi.test.ts, with real connections too.
 *
 * Not scanned: src/realtime/compliance.ts (the protocol test suites' own
 * app, only in compliance mode) and the files that define the catalog.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { http } from "./client";

const ROOT = join(import.meta.dirname, "../..");
const SKIP = new Set(["src/realtime/compliance.ts", "src/realtime/asyncapi.ts", "src/realtime/socket/budgets.ts", "src/views/socket-schemas.ts"]);
const SKIP_DIRS = ["src/realtime/catalog/"];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

const stripComments = (code: string) => code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");

/** `emit("x", …)`, `emitWithAck("x", …)`, and `["x", <not a string or number>` (an event tuple, not a list of words). */
const EMITTED = /(?:\b(?:emit|emitWithAck)\(\s*|\[\s*)"([A-Za-z_][A-Za-z0-9_]*)"\s*,\s*(?![\s'"`\d\]])/g;

export function emittedNames(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of sources(join(ROOT, "src"))) {
    const rel = relative(ROOT, file);
    if (SKIP.has(rel) || SKIP_DIRS.some((d) => rel.startsWith(d))) continue;
    for (const m of stripComments(readFileSync(file, "utf8")).matchAll(EMITTED)) {
      found.set(m[1], [...(found.get(m[1]) ?? []), rel]);
    }
  }
  return found;
}

describe("AsyncAPI document vs. the source", () => {
  it("documents every event name src/ emits", async () => {
    const names = emittedNames();
    // the scan finds the emit layer's events (sanity: it is not matching nothing)
    for (const n of ["receive_message", "new_message", "contact_status_update", "user_typing", "user_online", "error", "message_status"]) {
      expect([...names.keys()]).toContain(n);
    }
    const doc = (await http("GET", "/asyncapi.json")).body;
    const sent = new Set(Object.values<any>(doc.operations).filter((op) => op.action === "send").map((op) => op.title));
    const missing = [...names].filter(([n]) => !sent.has(n)).map(([n, files]) => `${n} (${files.join(", ")})`);
    expect(missing).toEqual([]);
  });

  it("serves /docs/socket", async () => {
    const page = await http("GET", "/docs/socket");
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain("/asyncapi.json");
  });
});

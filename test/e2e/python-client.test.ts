/**
 * 004's Python client example, as written (test/e2e/python/chat_client_004.py
 * is the document's code block verbatim), against `wrangler dev`: its
 * fixed-arity handlers `on_new_message(data)` and `on_user_online(data)` run.
 * Needs Debian's python3-socketio and python3-requests (`.ci/run` installs
 * them); without them the file says why it did not run.
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { baseUrl } from "./client";

const PYTHON = process.env.PYTHON3_PATH ?? "/usr/bin/python3";
const probe = spawnSync(PYTHON, ["-c", "import socketio, requests"], { encoding: "utf8" });
const available = probe.status === 0;
const why = `${PYTHON} cannot import socketio and requests (install Debian's python3-socketio python3-requests)`;
if (!available) console.warn(`SKIPPED 004's Python client example: ${why}`);

function runPython(script: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, ["-u", script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("004's Python client example", () => {
  it.skipIf(!available)(`runs unmodified, handlers included${available ? "" : ` (skipped: ${why})`}`, async () => {
    const res = await runPython(fileURLToPath(new URL("./python/run_004_example.py", import.meta.url)), [baseUrl()], 50_000);
    const report = `exit ${res.code}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`;
    expect(res.stderr, report).not.toMatch(/TypeError|handler error/);
    expect(res.stdout, report).toMatch(/^New message: hello from python from Bob$/m);
    expect(res.stdout, report).toMatch(/^User py-bob-\w+@example\.com came online$/m);
    expect(res.code, report).toBe(0);
  }, 60_000);
});

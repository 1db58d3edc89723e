/**
 * Starts `wrangler dev` on a free loopback port with a fresh local state
 * directory (D1 migrated first), exactly as `npm run dev` does. Used by the
 * global setup, and by test files that need their own server (another
 * wrangler environment, extra vars).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export interface WranglerServer {
  baseUrl: string;
  port: number;
  /** the DevTools protocol endpoint of the Worker's isolate (CPU profiles) */
  inspectorPort: number;
  /** everything wrangler printed so far */
  log(): string;
  stop(): Promise<void>;
}

export async function startWrangler(
  opts: {
    env?: string;
    vars?: Record<string, string>;
    port?: number;
    /** plain `wrangler dev` as on a fresh clone: wrangler.toml only (no --var, no .dev.vars, no secrets from the shell) */
    freshClone?: boolean;
  } = {},
): Promise<WranglerServer> {
  const procEnv: Record<string, string | undefined> = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true", NO_COLOR: "1" };
  const stateDir = mkdtempSync(join(tmpdir(), "e2e-wrangler-"));
  let freshArgs: string[] = [];
  if (opts.freshClone) {
    delete procEnv.JWT_SECRET;
    // vitest sets NODE_ENV=test, which wrangler would build in; a developer's shell has none
    delete procEnv.NODE_ENV;
    // an empty env file replaces .dev.vars (which a developer's `npm run dev` may have created)
    const empty = join(stateDir, "empty.env");
    writeFileSync(empty, "");
    freshArgs = ["--env-file", empty];
  }
  const envArgs = opts.env ? ["--env", opts.env] : [];
  const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir, ...envArgs], {
    env: procEnv,
    encoding: "utf8",
  });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
  const port = opts.port ?? (await freePort());
  const inspectorPort = await freePort();
  const vars = opts.freshClone
    ? (opts.vars ?? {})
    : { JWT_SECRET: "e2e-secret-0123456789abcdef", AUTH_PASSWORDLESS: "true", RATE_LIMIT_EXEMPT_IPS: "127.0.0.1,::1", ...(opts.vars ?? {}) };
  const child: ChildProcess = spawn(
    "npx",
    [
      "wrangler", "dev", ...envArgs, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort),
      "--persist-to", stateDir, ...freshArgs, ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
      "--show-interactive-dev-session=false",
    ],
    { env: procEnv, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d));
  child.stderr?.on("data", (d: Buffer) => (log += d));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      await new Promise((r) => setTimeout(r, 500));
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }
    rmSync(stateDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited early:\n${log}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not become ready:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { baseUrl, port, inspectorPort, log: () => log, stop };
}

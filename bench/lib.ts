/**
 * Bench plumbing: the clock and progress lines, the servers' processes
 * (started, measured through /proc, killed on every exit path), statistics.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../test/e2e/wrangler.ts";

export const T0 = performance.now();
export const elapsed = () => (performance.now() - T0) / 1000;
export const log = (s: string) => console.log(`[${elapsed().toFixed(1).padStart(5)}s] ${s}`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- cleanup on every exit path ----

const cleanups: (() => Promise<void> | void)[] = [];
export const onCleanup = (f: () => Promise<void> | void) => void cleanups.push(f);
let cleaning: Promise<void> | null = null;
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const f of cleanups.reverse()) {
      try {
        await Promise.race([f(), sleep(3000)]);
      } catch {}
    }
  })();
  return cleaning;
}

// ---- statistics ----

export interface Lat {
  n: number;
  p50: number;
  p99: number;
}

export function lat(samples: number[]): Lat | null {
  if (!samples.length) return null;
  const s = Float64Array.from(samples).sort();
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: round(q(0.5)), p99: round(q(0.99)) };
}

export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

// ---- processes ----

function children(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = map.get(ppid) ?? [];
      list.push(Number(d));
      map.set(ppid, list);
    } catch {}
  }
  return map;
}

/** `pid` and every process below it. */
export function tree(pid: number): number[] {
  const kids = children();
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of kids.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

export const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
};

/** VmRSS in kB (0 when the process is gone). */
export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The `wrangler dev` process listening on `port` (found by its command line). */
export function wranglerPid(port: number): number | null {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const args = cmdline(Number(d));
    const i = args.indexOf("--port");
    if (i >= 0 && args[i + 1] === String(port) && args.some((a) => a.endsWith("wrangler") || a.includes("wrangler-dist")) && args.includes("dev")) {
      // the innermost such process (npx -> node wrangler)
      const deeper = tree(Number(d)).slice(1).find((p) => {
        const a = cmdline(p);
        return a.includes("dev") && a.indexOf("--port") >= 0;
      });
      return deeper ?? Number(d);
    }
  }
  return null;
}

/** RSS (kB) of the workerd processes below `root`, and of the whole tree. */
export function serverRss(root: number): { workerdKb: number; treeKb: number; pids: number[] } {
  const pids = tree(root);
  let workerdKb = 0;
  let treeKb = 0;
  for (const p of pids) {
    const kb = rssKb(p);
    treeKb += kb;
    if (cmdline(p)[0]?.includes("workerd")) workerdKb += kb;
  }
  return { workerdKb, treeKb, pids };
}

export interface Started {
  baseUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/** The ceiling + skeleton Worker under `wrangler dev -c bench/ceiling/wrangler.toml`. */
export async function startCeiling(): Promise<Started> {
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true", NO_COLOR: "1" };
  const port = await freePort();
  const inspector = await freePort();
  const state = mkdtempSync(join(tmpdir(), "bench-ceiling-"));
  const child = spawn(
    "npx",
    ["wrangler", "dev", "-c", "bench/ceiling/wrangler.toml", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", state, "--show-interactive-dev-session=false", "--log-level", "warn"],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  return waitReady(child, `http://127.0.0.1:${port}`, "/health", () => rmSync(state, { recursive: true, force: true }));
}

/** The socket.io peer (bench/peer.ts) as its own Node process. */
export async function startPeer(): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, ["bench/peer.ts"], { env: { ...process.env, PEER_PORT: String(port) }, stdio: ["pipe", "pipe", "pipe"], detached: true });
  return waitReady(child, `http://127.0.0.1:${port}`, "/health", () => {});
}

async function waitReady(child: ChildProcess, baseUrl: string, path: string, after: () => void): Promise<Started> {
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out = (out + d).slice(-20_000)));
  child.stderr?.on("data", (d: Buffer) => (out = (out + d).slice(-20_000)));
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      await sleep(400);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }
    after();
  };
  onCleanup(stop);
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${baseUrl} exited early:\n${out}`);
    try {
      if ((await fetch(baseUrl + path)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${baseUrl} not ready:\n${out}`);
    await sleep(250);
  }
  return { baseUrl, pid: child.pid!, stop };
}

/** Runs `fn` over `items` with at most `n` at a time. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** Resolves with `p`, or rejects after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms))),
  ]);
}

/**
 * `npm run bench:profile`: a CPU profile of the Worker's isolate (the Worker
 * and its Durable Objects run in it) while socket pairs relay 002
 * `send_message` -> `receive_message` over WebSocket, through the DevTools
 * protocol of `wrangler dev --inspector-port`. Prints the functions with the
 * most self time, time per message by module, and writes
 * bench/results/profile.cpuprofile (open it in Chrome DevTools).
 *
 *   PROFILE_PAIRS=20 PROFILE_MESSAGES=30 npm run bench:profile
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { io, type Socket } from "socket.io-client";
// the `ws` client (a dependency of socket.io's): wrangler's inspector proxy refuses Node's built-in WebSocket
import WebSocket from "ws";
import { startWrangler } from "../test/e2e/wrangler.ts";

const PAIRS = Number(process.env.PROFILE_PAIRS ?? 20);
const MESSAGES = Number(process.env.PROFILE_MESSAGES ?? 30);

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

async function inspector(port: number) {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
  const target = list.find((t) => t.webSocketDebuggerUrl) ?? list[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
  let next = 1;
  const waiting = new Map<number, (r: any) => void>();
  ws.on("message", (data: Buffer) => {
    const msg = JSON.parse(String(data));
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)!(msg.result ?? msg.error);
      waiting.delete(msg.id);
    }
  });
  const call = (method: string, params: object = {}) =>
    new Promise<any>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { call, close: () => ws.close() };
}

async function login(base: string, name: string) {
  const res = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email: `${name}-${crypto.randomUUID().slice(0, 8)}@profile.test`, name }),
  });
  const body = (await res.json()) as { access_token: string; user: { _id: string } };
  return { token: body.access_token, id: body.user._id };
}

function connect(base: string, token: string): Promise<Socket> {
  const s = io(base, { auth: { token }, query: { dialect: "standard" }, transports: ["websocket"], reconnection: false });
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

/** Which part of the system a frame belongs to. */
function moduleOf(f: CallFrame): string {
  const u = f.url;
  if (!u) return f.functionName ? `(native) ${f.functionName}` : "(program/idle)";
  const m = /\/src\/(.+?)\.ts/.exec(u) ?? /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  return m ? m[1] : u.replace(/^.*\//, "");
}

async function main() {
  mkdirSync("bench/results", { recursive: true });
  const server = await startWrangler();
  try {
    const base = server.baseUrl;
    console.log(`project on ${base}; ${PAIRS} pairs x ${MESSAGES} messages`);
    const pairs = await Promise.all(
      Array.from({ length: PAIRS }, async (_, i) => {
        const [a, b] = [await login(base, `a${i}`), await login(base, `b${i}`)];
        return { a, b, sa: await connect(base, a.token), sb: await connect(base, b.token) };
      }),
    );
    const send = (p: (typeof pairs)[number], text: string) =>
      new Promise<void>((resolve) => {
        p.sb.once("receive_message", () => resolve());
        p.sa.emit("send_message", { receiverId: p.b.id, content: text });
      });
    // warm-up: conversations created, objects loaded
    await Promise.all(pairs.map((p) => send(p, "warm-up")));
    const insp = await inspector(server.inspectorPort);
    await insp.call("Profiler.enable");
    await insp.call("Profiler.setSamplingInterval", { interval: 200 });
    await insp.call("Profiler.start");
    const t0 = performance.now();
    await Promise.all(pairs.map(async (p) => {
      for (let i = 0; i < MESSAGES; i++) await send(p, `m${i}`);
    }));
    const seconds = (performance.now() - t0) / 1000;
    const { profile } = (await insp.call("Profiler.stop")) as { profile: Profile };
    insp.close();
    writeFileSync("bench/results/profile.cpuprofile", JSON.stringify(profile));
    const messages = PAIRS * MESSAGES;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const fnTime = new Map<string, number>();
    const modTime = new Map<string, number>();
    let busy = 0;
    for (const [id, us] of self) {
      const f = byId.get(id)!.callFrame;
      const mod = moduleOf(f);
      if (mod === "(program/idle)" || f.functionName === "(idle)") continue;
      busy += us;
      fnTime.set(`${f.functionName || "(anonymous)"} ${mod}:${f.lineNumber + 1}`, (fnTime.get(`${f.functionName || "(anonymous)"} ${mod}:${f.lineNumber + 1}`) ?? 0) + us);
      modTime.set(mod, (modTime.get(mod) ?? 0) + us);
    }
    const perMsg = (us: number) => (us / 1000 / messages).toFixed(3);
    console.log(`\n${messages} messages in ${seconds.toFixed(1)} s (${(messages / seconds).toFixed(0)}/s); JavaScript busy ${(busy / 1000).toFixed(0)} ms = ${perMsg(busy)} ms per message\n`);
    console.log("| module | ms per message | share |\n| --- | ---: | ---: |");
    for (const [m, us] of [...modTime].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`| ${m} | ${perMsg(us)} | ${((100 * us) / busy).toFixed(1)}% |`);
    console.log("\n| function (self time) | ms per message | share |\n| --- | ---: | ---: |");
    for (const [f, us] of [...fnTime].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`| ${f} | ${perMsg(us)} | ${((100 * us) / busy).toFixed(1)}% |`);
    for (const p of pairs) p.sa.close(), p.sb.close();
  } finally {
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

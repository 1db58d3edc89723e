/**
 * `npm run bench`: starts `wrangler dev` on loopback (fresh state) and measures,
 * through the same path real clients use, each figure against a reference
 * measured in the same run: the plain `GET /health` round trip (the cost of the
 * local proxy + Worker with no storage), so figures stay comparable across
 * machines. Bounded in count and time; writes bench/results/latest.json.
 *
 *   npm run bench                 # default sizes
 *   BENCH_N=100 npm run bench     # fewer iterations
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { io, type Socket } from "socket.io-client";
import { startWrangler } from "../test/e2e/wrangler.ts";

const N = Number(process.env.BENCH_N ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const THROUGHPUT_MS = Number(process.env.BENCH_THROUGHPUT_MS ?? 3000);

interface Stats {
  n: number;
  median: number;
  p95: number;
  mean: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: q(0.5), p95: q(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function timeSeq(n: number, op: (i: number) => Promise<void>): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < Math.min(10, n); i++) await op(-1 - i); // warm-up
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op(i);
    samples.push(performance.now() - t);
  }
  return stats(samples);
}

/** Operations completed per second by `CONCURRENCY` workers within THROUGHPUT_MS. */
async function throughput(op: (worker: number, i: number) => Promise<void>): Promise<number> {
  let done = 0;
  const deadline = performance.now() + THROUGHPUT_MS;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await op(w, i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

/**
 * 004's message rate limit (100 a minute per user) applies to the bench too:
 * sends rotate over a pool of sender users, none of which sends more than
 * BUDGET messages in a minute; users are added (outside the timed work when
 * `prepare` is used) as the pool runs out.
 */
const BUDGET = 90;

class SenderPool<T> {
  private readonly users: { user: T; used: number; since: number }[] = [];
  private next = 0;
  private readonly create: () => Promise<T>;
  constructor(create: () => Promise<T>) {
    this.create = create;
  }

  /** Creates enough users for `messages` sends up front. */
  async prepare(messages: number) {
    const wanted = Math.ceil(messages / BUDGET);
    while (this.users.length < wanted) this.users.push({ user: await this.create(), used: 0, since: performance.now() });
  }

  async take(): Promise<T> {
    const now = performance.now();
    for (let tried = 0; tried < this.users.length; tried++) {
      const slot = this.users[this.next++ % this.users.length];
      if (now - slot.since > 60_000) Object.assign(slot, { used: 0, since: now });
      if (slot.used < BUDGET) {
        slot.used++;
        return slot.user;
      }
    }
    const slot = { user: await this.create(), used: 1, since: now };
    this.users.push(slot);
    return slot.user;
  }

  get size() {
    return this.users.length;
  }
}

async function main() {
  const server = await startWrangler();
  const base = server.baseUrl;
  const json = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
    return data as any;
  };
  const login = async (name: string) => {
    const email = `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@bench.test`;
    const res = await fetch(`${base}/api/auth/login`, { method: "POST", body: new URLSearchParams({ email, name }) });
    const data = (await res.json()) as any;
    return { token: data.access_token as string, _id: data.user._id as string, email };
  };
  const sockets: Socket[] = [];
  const connect = (token: string, transports: string[]) =>
    new Promise<Socket>((resolve, reject) => {
      const s = io(base, { auth: { token }, transports, forceNew: true, reconnection: false, query: { dialect: "standard" } });
      sockets.push(s);
      s.once("connect", () => resolve(s));
      s.once("connect_error", reject);
    });

  try {
    const alice = await login("alice");
    const bob = await login("bob");
    const results: Record<string, { stats?: Stats; perSecond?: number; ratio: number; unit: string }> = {};

    // Reference: the bare Worker round trip.
    const health = await timeSeq(N, async () => {
      await (await fetch(`${base}/health`)).arrayBuffer();
    });
    const healthRps = await throughput(async () => {
      await (await fetch(`${base}/health`)).arrayBuffer();
    });
    results["reference: GET /health"] = { stats: health, ratio: 1, unit: "latency" };
    results["reference: GET /health throughput"] = { perSecond: healthRps, ratio: 1, unit: "req/s" };

    const me = await timeSeq(N, async () => {
      await json("GET", "/api/users/me", alice.token);
    });
    results["GET /api/users/me (JWT + D1 read)"] = { stats: me, ratio: me.median / health.median, unit: "latency" };

    // senders to bob, rotated (each sender has its own conversation with bob)
    const toBob = new SenderPool(() => login("sender"));
    await toBob.prepare(N + 10 + 2 * (Math.min(N, 100) + 10));
    const send = await timeSeq(N, async (i) => {
      const sender = await toBob.take();
      await json("POST", "/api/messages/send", sender.token, { recipientId: bob._id, text: `bench ${i}` });
    });
    results["POST /api/messages/send (ConversationRoom seq + D1 batch + fan-out)"] = {
      stats: send,
      ratio: send.median / health.median,
      unit: "latency",
    };

    for (const transports of [["websocket"], ["polling"]]) {
      const receiver = await connect(bob.token, transports);
      let pending: { resolve: () => void; text: string } | undefined;
      receiver.on("receiveMessage", (m: { text: string }) => {
        if (pending && m.text === pending.text) pending.resolve();
      });
      const delivery = await timeSeq(Math.min(N, 100), async (i) => {
        const text = `rt-${transports[0]}-${i}-${Math.random()}`;
        const arrived = new Promise<void>((resolve, reject) => {
          pending = { resolve, text };
          setTimeout(() => reject(new Error("delivery timeout")), 10_000);
        });
        await json("POST", "/api/messages/send", (await toBob.take()).token, { recipientId: bob._id, text });
        await arrived;
      });
      results[`REST send -> socket receiveMessage (${transports[0]})`] = {
        stats: delivery,
        ratio: delivery.median / health.median,
        unit: "latency",
      };
      receiver.close();
    }

    // Many senders into one conversation: ordered writes through one Durable Object.
    const group = await json("POST", "/api/conversations/group", alice.token, { name: "bench", members: [bob._id] });
    const groupId = group.data._id;
    const groupSenders = new SenderPool(async () => {
      const member = await login("member");
      await json("POST", `/api/conversations/${groupId}/members`, alice.token, { members: [member._id] });
      return member;
    });
    await groupSenders.prepare(Number(process.env.BENCH_GROUP_PREPARE ?? 1000));
    const sendRate = await throughput(async (w, i) => {
      const sender = await groupSenders.take();
      await json("POST", "/api/messages", sender.token, { conversationId: groupId, message: `t ${w}.${i}` });
    });
    results["concurrent sends into one conversation"] = { perSecond: sendRate, ratio: sendRate / healthRps, unit: "msg/s" };

    // Report
    console.log(
      `\nwrangler dev on ${base}; N=${N}, concurrency=${CONCURRENCY}, throughput window ${THROUGHPUT_MS} ms; ` +
        `senders rotated to stay under 100 messages/min/user (${toBob.size} to bob, ${groupSenders.size} in the group)\n`,
    );
    console.log("| measurement | median ms | p95 ms | per second | ratio to reference |");
    console.log("| --- | ---: | ---: | ---: | ---: |");
    for (const [name, r] of Object.entries(results)) {
      console.log(
        `| ${name} | ${r.stats ? r.stats.median.toFixed(2) : ""} | ${r.stats ? r.stats.p95.toFixed(2) : ""} | ${
          r.perSecond ? r.perSecond.toFixed(0) : ""
        } | ${r.ratio.toFixed(2)}× |`,
      );
    }
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/latest.json", JSON.stringify({ at: new Date().toISOString(), N, CONCURRENCY, results }, null, 2));
  } finally {
    for (const s of sockets) s.close();
    await server.stop();
  }
}

await main();
process.exit(0);

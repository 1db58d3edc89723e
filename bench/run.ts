/**
 * `npm run bench`: one run, on loopback, of four servers driven by one load
 * generator (adapters in bench/targets.ts):
 *
 *   ours      the project under `wrangler dev` (test/e2e/wrangler.ts: fresh state, migrations)
 *   peer      bench/peer.ts: socket.io + JWT + a synchronous SQLite insert per message
 *   ceiling   bench/ceiling/worker.ts: one hibernatable Durable Object per pair, relaying frames
 *   skeleton  the same Worker: our two-hop topology (connection object -> conversation
 *             object with SQLite -> recipient's connection object), no framing, no auth
 *
 * Scenarios (issue item 8), each as absolute figures and as ratios ours/ceiling and ours/peer:
 *   relay      pairs x messages, closed loop, WebSocket and polling: msg/s, p50, p99
 *   fan-out    one sender, N connected members: p50/p99 until the last member has it,
 *              against one idle pair (a conversation of two) measured the same way
 *   sustained  M members each sending R msg/s for S s while connections drop at random:
 *              ack p50/p99; every member got every message exactly once, in one order
 *   idle       N idle sockets: memory per connection of the server processes; hibernation
 *   scale      a history page and an unread count at 1,000 and 100,000 stored messages
 *
 * Bounded: every scenario has a time box (what was achieved within it is
 * reported), the whole run a deadline (BENCH_DEADLINE_S, default 345 s), and
 * every process started is killed on exit, error or SIGINT. Progress lines go
 * to stdout while it runs; the final table to stdout and bench/results/latest.json.
 *
 *   npm run bench                  # full sizes
 *   BENCH_SMALL=1 npm run bench    # reduced sizes (a quick check)
 *   BENCH_ONLY=relay,idle npm run bench
 * Sizes: BENCH_PAIRS, BENCH_PER_PAIR, BENCH_FANOUT_MEMBERS, BENCH_FANOUT_MSGS,
 * BENCH_SUSTAIN_MEMBERS, BENCH_SUSTAIN_S, BENCH_IDLE, BENCH_IDLE_WAIT_S,
 * BENCH_SCALE_MAX (see `cfg` below).
 *
 * The project's per-user message limit (100 a minute, MESSAGE_LIMITER) is a
 * Rate Limiting binding, which `--var` cannot lift, so the bench keeps every
 * user under it instead: each relay pair's sender sends at most BENCH_PER_PAIR
 * (<= 100) messages and fresh users are made for every scenario; a sustained
 * member sends 1.3/s (78 a minute); the scale seeding spreads its sends over
 * enough senders. No figure below includes a 429.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { AsyncLocalStorage } from "node:async_hooks";
import { loadavg } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { conversationTag } from "../src/lib/ids.ts";
import { startWrangler } from "../test/e2e/wrangler.ts";
import {
  cleanup,
  cmdline,
  elapsed,
  type Lat,
  lat,
  log,
  onCleanup,
  pool,
  round,
  serverRss,
  sleep,
  startCeiling,
  startPeer,
  wranglerPid,
  within,
} from "./lib.ts";
import {
  type BenchUser,
  ceilingTarget,
  type Client,
  httpJson,
  oursTarget,
  peerTarget,
  type Received,
  skeletonTarget,
  type Target,
  type TargetName,
  type Transport,
} from "./targets.ts";

const SMALL = process.env.BENCH_SMALL === "1";
const num = (name: string, full: number, small: number) => Number(process.env[name] ?? (SMALL ? small : full));
const cfg = {
  small: SMALL,
  pairs: num("BENCH_PAIRS", 50, 5),
  perPair: Math.min(100, num("BENCH_PER_PAIR", 100, 20)),
  fanoutMembers: num("BENCH_FANOUT_MEMBERS", 50, 10),
  fanoutMsgs: num("BENCH_FANOUT_MSGS", 30, 10),
  sustainMembers: num("BENCH_SUSTAIN_MEMBERS", 20, 5),
  sustainRate: Number(process.env.BENCH_SUSTAIN_RATE ?? 1.3),
  sustainS: num("BENCH_SUSTAIN_S", 60, 15),
  /** one random member's connection is dropped this often */
  dropEveryMs: num("BENCH_DROP_EVERY_MS", 2000, 2000),
  idle: num("BENCH_IDLE", 2000, 100),
  idleWaitS: num("BENCH_IDLE_WAIT_S", 11, 11),
  scaleSmall: num("BENCH_SCALE_SMALL", 1000, 200),
  scaleMax: num("BENCH_SCALE_MAX", 100_000, 2000),
  deadlineS: num("BENCH_DEADLINE_S", 345, 345),
  only: (process.env.BENCH_ONLY ?? "relay,fanout,sustained,idle,scale").split(","),
};

// ---- time budget ----

const timeLeft = () => cfg.deadlineS - elapsed();

// ---- results ----

type Row = Record<string, unknown>;
const results: Record<string, Partial<Record<TargetName, Row>>> = {};
const notes: string[] = [];
const put = (scenario: string, target: TargetName, row: Row) => ((results[scenario] ??= {})[target] = row);

const allClients: Client[] = [];
/** A scenario run: its clients are closed and its loops stop when its time is up. */
interface Scope {
  clients: Client[];
  cancelled: boolean;
}
const scopes = new AsyncLocalStorage<Scope>();
const live = () => !scopes.getStore()?.cancelled;
const track = (c: Client) => {
  allClients.push(c);
  const scope = scopes.getStore();
  scope?.clients.push(c);
  if (scope?.cancelled) c.close();
  return c;
};

/** Connects `items` (at most `n` at a time) until `until`; those not connected by then are left out. */
async function connectUntil<T, C>(items: T[], n: number, until: number, connect: (item: T) => Promise<C>): Promise<C[]> {
  const out = await pool(items, n, async (item) => {
    if (performance.now() > until || !live()) return null;
    try {
      return await within(connect(item), Math.max(1000, until - performance.now() + 5000), "connect");
    } catch {
      return null;
    }
  });
  return out.filter((c): c is Awaited<C> => c !== null) as C[];
}
const closeAll = (list: Client[]) => {
  for (const c of list) c.close();
};
onCleanup(() => closeAll(allClients));

let seqId = 0;
const tag = (s: string) => `${s}|${++seqId}|${Math.random().toString(36).slice(2, 8)}`;

/** Progress every 2 s while `count()` moves. */
function progress(what: string, count: () => string): () => void {
  const t = setInterval(() => log(`  ${what}: ${count()}`), 2000);
  return () => clearInterval(t);
}

// ---- relay ----

async function relay(target: Target, transport: Transport, boxS: number, setupS: number): Promise<Row> {
  const setupUntil = performance.now() + setupS * 1000;
  const users = await target.users(cfg.pairs * 2, `relay-${transport}`, setupUntil);
  let ready = 0;
  const stopSetup = progress(`relay/${transport} ${target.name} set-up`, () => `${users.length} users, ${ready} pairs connected`);
  const pairs = await connectUntil(Array.from({ length: Math.floor(users.length / 2) }, (_, i) => i), 20, setupUntil, async (i) => {
    const a = users[2 * i];
    const b = users[2 * i + 1];
    const room = await target.pair(a, b);
    const [ca, cb] = await Promise.all([target.connect(a, { transport, room }).then(track), target.connect(b, { transport, room }).then(track)]);
    ready++;
    return { a: ca, b: cb };
  }).finally(stopSetup);
  if (!pairs.length) throw new Error(`no pair connected within the ${round(setupS, 0)} s set-up box`);
  const clients = pairs.flatMap((p) => [p.a, p.b]);
  const waiting = new Map<string, () => void>();
  for (const c of clients) c.onMessage = (m) => waiting.get(m.body)?.();
  const deliver = (from: Client, to: Client, body: string, timeoutMs: number) => {
    const t0 = performance.now();
    let ackMs = NaN;
    const got = new Promise<number>((resolve) => waiting.set(body, () => resolve(performance.now() - t0)));
    const acked = from.sendDirect(to.user, body, body, timeoutMs).then(() => (ackMs = performance.now() - t0));
    return within(Promise.all([got, acked]), timeoutMs, "relay message").then(([recvMs]) => ({ recvMs, ackMs })).finally(() => waiting.delete(body));
  };
  // warm-up, untimed: one message the other way (b -> a), so the sender's 100 stay within the limit
  await pool(pairs, 20, (p) => deliver(p.b, p.a, tag("warm"), 8_000).catch(() => null));

  const recv: number[] = [];
  const acks: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const stopAt = performance.now() + boxS * 1000;
  const start = performance.now();
  const planned = pairs.length * cfg.perPair;
  const stop = progress(`relay/${transport} ${target.name}`, () => `${recv.length}/${planned} delivered`);
  await Promise.all(
    pairs.map(async (p) => {
      for (let i = 0; i < cfg.perPair && performance.now() < stopAt && live(); i++) {
        try {
          const r = await deliver(p.a, p.b, tag("relay"), Math.max(1000, stopAt - performance.now() + 5000));
          recv.push(r.recvMs);
          acks.push(r.ackMs);
        } catch (err) {
          errors++;
          firstError ??= String((err as Error)?.message ?? err).slice(0, 160);
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  stop();
  closeAll(clients);
  const r = lat(recv);
  return {
    msgsPerSec: round(recv.length / seconds, 1),
    p50: r?.p50,
    p99: r?.p99,
    ackP50: lat(acks)?.p50,
    pairs: pairs.length,
    delivered: recv.length,
    planned,
    seconds: round(seconds, 1),
    errors,
    capped: recv.length + errors < planned,
    firstError,
  };
}

// ---- group fan-out ----

async function fanout(target: Target, boxS: number, setupS: number): Promise<Row> {
  const setupUntil = performance.now() + setupS * 1000;
  const [owner, ...members] = await target.users(cfg.fanoutMembers + 1, "fanout", setupUntil);
  const conv = await target.group(owner, members);
  const sender = track(await target.connect(owner, { transport: "websocket", room: conv }));
  const clients = await connectUntil(members, 20, setupUntil, async (u) => track(await target.connect(u, { transport: "websocket", room: conv })));
  if (!clients.length) throw new Error(`no member connected within the ${round(setupS, 0)} s set-up box`);
  const counts = new Map<string, { n: number; done: () => void }>();
  let firstError: string | undefined;
  for (const c of clients) {
    c.onMessage = (m) => {
      const w = counts.get(m.body);
      if (w && ++w.n === clients.length) w.done();
    };
  }
  const send = (body: string, timeoutMs: number) => {
    const t0 = performance.now();
    const all = new Promise<number>((resolve) => counts.set(body, { n: 0, done: () => resolve(performance.now() - t0) }));
    sender.sendGroup(conv, body, body, timeoutMs).catch((err) => (firstError ??= String(err?.message ?? err).slice(0, 160)));
    return within(all, timeoutMs, "fan-out").finally(() => counts.delete(body));
  };
  await send(tag("warm"), 8_000).catch(() => null);
  const samples: number[] = [];
  let errors = 0;
  const stopAt = performance.now() + boxS * 1000;
  const stop = progress(`fan-out ${target.name}`, () => `${samples.length}/${cfg.fanoutMsgs} messages reached all ${clients.length}`);
  for (let i = 0; i < cfg.fanoutMsgs && performance.now() < stopAt && live(); i++) {
    try {
      samples.push(await send(tag("fan"), Math.max(1000, stopAt - performance.now() + 5000)));
    } catch {
      errors++;
    }
  }
  stop();
  closeAll([sender, ...clients]);
  const l = lat(samples);
  const pair = await idlePair(target, Math.min(cfg.fanoutMsgs, 20)).catch(() => null);
  return {
    members: clients.length,
    messages: samples.length,
    planned: cfg.fanoutMsgs,
    p50: l?.p50,
    p99: l?.p99,
    pairP99: pair?.p99,
    pairMessages: pair?.n,
    p99OverPair: l && pair?.p99 ? l.p99 / pair.p99 : undefined,
    errors,
    firstError,
  };
}

/**
 * The same measure for one idle pair, in the same run (issue 10: fan-out p99
 * against one idle pair's p99): a conversation of two, `n` messages one at a
 * time, emit -> the other member has it.
 */
async function idlePair(target: Target, n: number): Promise<{ p99: number; n: number }> {
  const until = performance.now() + 12_000;
  const [a, b] = await target.users(2, "fanout-pair");
  const conv = await target.group(a, [b]);
  const sender = track(await target.connect(a, { transport: "websocket", room: conv }));
  const receiver = track(await target.connect(b, { transport: "websocket", room: conv }));
  const waiting = new Map<string, () => void>();
  receiver.onMessage = (m) => waiting.get(m.body)?.();
  const samples: number[] = [];
  const once = async (body: string) => {
    const t0 = performance.now();
    const got = new Promise<void>((resolve) => waiting.set(body, resolve));
    sender.sendGroup(conv, body, body, 8_000).catch(() => {});
    await within(got, 8_000, "pair").finally(() => waiting.delete(body));
    return performance.now() - t0;
  };
  await once(tag("pair-warm")).catch(() => null);
  for (let i = 0; i < n && performance.now() < until && live(); i++) {
    samples.push(await once(tag("pair")));
  }
  closeAll([sender, receiver]);
  return { p99: lat(samples)!.p99, n: samples.length };
}

// ---- sustained group with random drops ----

async function sustained(target: Target, seconds: number, setupS: number): Promise<Row> {
  const setupUntil = performance.now() + setupS * 1000;
  const users = await target.users(cfg.sustainMembers, "sustain", setupUntil);
  const conv = await target.group(users[0], users.slice(1));
  const clients = await connectUntil(users, 20, setupUntil, async (u) => track(await target.connect(u, { transport: "websocket", reconnect: true, room: conv })));
  if (clients.length < 2) throw new Error(`fewer than 2 members connected within the ${round(setupS, 0)} s set-up box`);
  const got: Received[][] = clients.map(() => []);
  clients.forEach((c, i) => (c.onMessage = (m) => m.body.startsWith("sus|") && got[i].push(m)));
  const sentBy: string[][] = clients.map(() => []);
  const acked = new Set<string>();
  const ackMs: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let drops = 0;
  const stopAt = performance.now() + seconds * 1000;
  const interval = 1000 / cfg.sustainRate;
  const stop = progress(`sustained ${target.name}`, () => `${acked.size} acked, ${failed} failed, ${drops} drops`);
  const dropper = setInterval(() => {
    clients[Math.floor(Math.random() * clients.length)].drop();
    drops++;
  }, cfg.dropEveryMs);
  const inflight: Promise<void>[] = [];
  await Promise.all(
    clients.map(async (c, i) => {
      await sleep(Math.random() * interval);
      while (performance.now() < stopAt && live()) {
        const body = `sus|${tag(target.name)}`;
        sentBy[i].push(body);
        const t0 = performance.now();
        inflight.push(
          c.sendGroup(conv, body, body, 15_000).then(
            () => {
              ackMs.push(performance.now() - t0);
              acked.add(body);
            },
            (err) => {
              failed++;
              firstError ??= String(err?.message ?? err).slice(0, 160);
            },
          ),
        );
        await sleep(interval * (0.8 + Math.random() * 0.4));
      }
    }),
  );
  clearInterval(dropper);
  await within(Promise.all(inflight), 16_000, "acks").catch(() => {});
  // drain: until every member has every acknowledged message of the others (or 5 s)
  const expected = (i: number) => [...acked].filter((b) => !sentBy[i].includes(b));
  const complete = () => got.every((list, i) => new Set(list.map((m) => m.body)).size >= expected(i).length);
  const drainUntil = performance.now() + 5_000;
  while (!complete() && performance.now() < drainUntil && live()) await sleep(250);
  stop();
  closeAll(clients);

  // exactly once, in one order
  let missing = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let mismatchedSeq = 0;
  const reference = new Map<string, number>();
  const haveSeq = got.every((list) => list.every((m) => typeof m.seq === "number"));
  if (haveSeq) {
    for (const list of got) {
      for (const m of list) {
        const prev = reference.get(m.body);
        if (prev !== undefined && prev !== m.seq) mismatchedSeq++;
        reference.set(m.body, m.seq!);
      }
    }
  } else {
    got[0].forEach((m, i) => reference.has(m.body) || reference.set(m.body, i));
  }
  got.forEach((list, i) => {
    const bodies = list.map((m) => m.body);
    const unique = new Set(bodies);
    duplicates += bodies.length - unique.size;
    for (const b of expected(i)) if (!unique.has(b)) missing++;
    let high = -Infinity;
    const seen = new Set<string>();
    for (const b of bodies) {
      if (seen.has(b)) continue;
      seen.add(b);
      const pos = reference.get(b);
      if (pos === undefined) continue;
      if (pos < high) outOfOrder++;
      high = Math.max(high, pos);
    }
  });
  const l = lat(ackMs);
  const sent = sentBy.reduce((a, s) => a + s.length, 0);
  return {
    members: clients.length,
    seconds,
    sent,
    acked: acked.size,
    failed,
    drops,
    reconnects: clients.reduce((a, c) => a + c.reconnects, 0),
    ackP50: l?.p50,
    ackP99: l?.p99,
    missing,
    duplicates,
    outOfOrder,
    mismatchedSeq,
    exactlyOnceInOrder: acked.size > 0 && missing === 0 && duplicates === 0 && outOfOrder === 0 && mismatchedSeq === 0,
    firstError,
    orderBy: haveSeq ? "seq" : "first member's arrival order",
  };
}

// ---- idle sockets ----

interface Servers {
  oursRoot: () => number | null;
  peerPid: number;
  ceilingRoot: number;
  ceilingUrl: string;
}

async function idle(target: Target, servers: Servers, n: number, connectBoxS: number): Promise<Row> {
  // logins are slow on ours: 50 sockets per user (ceiling: rooms of two, no users)
  const perUser = target.name === "ceiling" ? 1 : 50;
  const stopAt = performance.now() + connectBoxS * 1000;
  const users = await target.users(Math.ceil(n / perUser), "idle", stopAt);
  const rss = () => {
    if (target.name === "peer") return serverRss(servers.peerPid);
    const root = target.name === "ours" ? servers.oursRoot() : servers.ceilingRoot;
    return root ? serverRss(root) : { workerdKb: 0, treeKb: 0, pids: [] };
  };
  const stats = async () => (target.name === "ceiling" || target.name === "skeleton" ? httpJson(servers.ceilingUrl, "GET", "/stats") : null);
  const kb = (r: ReturnType<typeof rss>) => (target.name === "peer" ? r.treeKb : r.workerdKb);
  await sleep(1000);
  const before = rss();
  const clients: Client[] = [];
  let errors = 0;
  const stop = progress(`idle ${target.name}`, () => `${clients.length}/${n} connected`);
  await pool(
    Array.from({ length: n }, (_, i) => i),
    25,
    async (i) => {
      if (performance.now() > stopAt || !live()) return;
      const user = users[Math.floor(i / perUser)];
      if (!user) return;
      try {
        clients.push(track(await within(target.connect(user, { transport: "websocket", room: `idle-${Math.floor(i / 2)}` }), 20_000, "connect")));
      } catch {
        errors++;
      }
    },
  );
  stop();
  await sleep(1000);
  const connected = rss();
  const statsConnected = await stats();
  log(`  idle ${target.name}: ${clients.length} connected; waiting ${cfg.idleWaitS} s idle`);
  await sleep(cfg.idleWaitS * 1000);
  const afterIdle = rss();
  // wake one object of each kind and see whether it had to be constructed again
  let woke: unknown = null;
  if (statsConnected && clients.length > 1) {
    await clients[0].sendDirect(clients[1].user, "probe", `probe-${Math.random()}`, 5000).catch(() => {});
    await sleep(300);
    const s = await stats();
    woke = { constructedAfterConnect: statsConnected, constructedAfterIdleAndProbe: s };
  }
  closeAll(clients);
  const count = clients.length;
  const per = (a: number, b: number) => (count ? round((a - b) / count, 1) : null);
  const hibernated =
    target.name === "peer"
      ? "n/a (one Node process)"
      : target.name === "ours"
        ? "not observable from outside (see idle RSS)"
        : woke && (woke as any).constructedAfterIdleAndProbe[target.name === "ceiling" ? "ceiling" : "connection"] > (woke as any).constructedAfterConnect[target.name === "ceiling" ? "ceiling" : "connection"]
          ? "yes (woken object was constructed again)"
          : "no (woken object was still in memory)";
  return {
    connected: count,
    planned: n,
    errors,
    rssBeforeMb: round(kb(before) / 1024, 1),
    rssConnectedMb: round(kb(connected) / 1024, 1),
    rssAfterIdleMb: round(kb(afterIdle) / 1024, 1),
    kbPerConnection: per(kb(connected), kb(before)),
    kbPerConnectionAfterIdle: per(kb(afterIdle), kb(before)),
    measured: target.name === "peer" ? "peer Node process RSS" : "workerd processes' RSS",
    processes: (target.name === "peer" ? before.pids : before.pids.filter((p) => cmdline(p)[0]?.includes("workerd"))).length,
    hibernated,
    wake: woke,
  };
}

// ---- scale: history page and unread count at two sizes ----

async function timeIt(n: number, op: () => Promise<void>): Promise<Lat | null> {
  const s: number[] = [];
  await op();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op();
    s.push(performance.now() - t);
  }
  return lat(s);
}

/**
 * Tops a conversation up to `upTo` messages by inserting straight into its
 * room's SQLite file under `wrangler dev`'s state directory (messages live
 * in the conversation's Durable Object, src/db/room-schema.ts): the file is
 * the one whose message ids carry the conversation's tag (src/lib/ids.ts).
 * The room keeps its log position in memory, so the caller then leaves the
 * room idle until the runtime evicts it (a request reloads it from the file).
 */
function seedRoom(stateDir: string, conversationId: string, senderId: string, upTo: number): number {
  const dir = join(stateDir, "v3", "do", "edge-chat-presence-ConversationRoom");
  const tag = conversationTag(conversationId);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")) {
    const db = new DatabaseSync(join(dir, file));
    try {
      db.exec("PRAGMA busy_timeout = 10000");
      const has = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'messages'").get();
      if (!has || !db.prepare("SELECT 1 FROM messages WHERE substr(id, 9, 8) = ? LIMIT 1").get(tag)) continue;
      const last = (db.prepare("SELECT coalesce(max(seq), 0) AS s, coalesce(max(created_at), 0) AS at FROM messages").get() as { s: number; at: number });
      const add = upTo - last.s;
      if (add <= 0) return 0;
      const at = Math.max(Date.now(), last.at);
      db.exec("BEGIN IMMEDIATE");
      // ids as the room makes them: seconds, the conversation's tag, the seq (8 hex each)
      db.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO messages (seq, id, sender_id, type, text, created_at)
         SELECT ? + i, printf('%08x%s%08x', ?, ?, ? + i), ?, 'text', 'seeded ' || i, ? FROM n`,
      ).run(add, last.s, Math.floor(at / 1000), tag, last.s, senderId, at);
      db.prepare("UPDATE reads SET unread = unread + ? WHERE active = 1 AND user_id != ?").run(add, senderId);
      // seeded history is not news: the room must not fan it out as owed when it wakes
      db.prepare("UPDATE fan_out_mark SET done = ?").run(upTo);
      db.exec("COMMIT");
      return add;
    } finally {
      db.close();
    }
  }
  throw new Error(`no room file in ${dir} holds conversation ${conversationId}`);
}

/** Until the room has been idle long enough for the runtime to evict it (it then reloads its log from storage). */
const ROOM_EVICTION_WAIT_MS = 12_000;

async function scale(target: Target, stateDir: string | null, boxS: number): Promise<Row> {
  const row: Row = {};
  // ours: each sender stays within its connection's message burst (30, then 2 a second:
  // src/realtime/socket/budgets.ts) and its per-user limit (100 a minute)
  const senders = Math.max(2, Math.ceil(cfg.scaleSmall / (target.name === "ours" ? 28 : 80)));
  const [reader, ...others] = await target.users(senders + 1, "scale");
  const conv = await target.group(reader, others);
  const measure = async (label: string) => {
    if (target.name === "ours") {
      let total = 0;
      let unread = 0;
      const history = await timeIt(20, async () => {
        const r = await httpJson(target.baseUrl, "GET", `/api/messages/conversation/${conv}?page=1&limit=50`, reader.token);
        total = r.data.pagination.totalMessages;
      });
      const count = await timeIt(20, async () => {
        unread = (await httpJson(target.baseUrl, "GET", `/api/messages/unread/count/${conv}`, reader.token)).data.unreadCount;
      });
      row[label] = { stored: total, unread, historyP50: history?.p50, historyP99: history?.p99, unreadP50: count?.p50, unreadP99: count?.p99 };
    } else if (target.name === "peer") {
      let unread = 0;
      const history = await timeIt(20, async () => void (await httpJson(target.baseUrl, "GET", `/api/conversations/${conv}/messages?limit=50`, reader.token)));
      const count = await timeIt(20, async () => void (unread = (await httpJson(target.baseUrl, "GET", `/api/unread/${conv}`, reader.token)).count));
      row[label] = { stored: unread, unread, historyP50: history?.p50, historyP99: history?.p99, unreadP50: count?.p50, unreadP99: count?.p99 };
    } else {
      let unread = 0;
      const history = await timeIt(20, async () => void (await httpJson(target.baseUrl, "GET", `/skeleton/conv/${conv}/history?limit=50`)));
      const count = await timeIt(20, async () => void (unread = (await httpJson(target.baseUrl, "GET", `/skeleton/conv/${conv}/unread?user=${reader.id}`)).count));
      row[label] = { stored: unread, unread, historyP50: history?.p50, historyP99: history?.p99, unreadP50: count?.p50, unreadP99: count?.p99 };
    }
  };
  /** ours: until the stored count stops moving (sends still queued in the server), at most 15 s */
  const quiet = async () => {
    let last = -1;
    for (let until = performance.now() + 15_000; performance.now() < until; ) {
      const r = await httpJson(target.baseUrl, "GET", `/api/messages/conversation/${conv}?page=1&limit=1`, reader.token).catch(() => null);
      const total = r?.data?.pagination?.totalMessages ?? -2;
      if (total === last) return;
      last = total;
      await sleep(1000);
    }
  };
  const bulk = async (upTo: number, have: number) => {
    if (target.name === "peer") await httpJson(target.baseUrl, "POST", `/api/conversations/${conv}/seed?n=${upTo - have}`, others[0].token);
    else await httpJson(target.baseUrl, "GET", `/skeleton/conv/${conv}/seed?n=${upTo - have}&from=${others[0].id}`);
  };
  const stopAt = performance.now() + boxS * 1000;
  if (target.name === "ours") {
    // the first size through the real send path (socket sendMessage), senders in parallel
    const clients = await pool(others, 10, async (u) => track(await target.connect(u, { transport: "websocket" })));
    let sent = 0;
    const stop = progress(`scale ${target.name}`, () => `${sent}/${cfg.scaleSmall} sent`);
    await Promise.all(
      clients.map(async (c) => {
        while (sent < cfg.scaleSmall && performance.now() < stopAt && live()) {
          sent++;
          await c.sendGroup(conv, tag("scale"), tag("scale-id"), 20_000).catch(() => sent--);
        }
      }),
    );
    stop();
    closeAll(clients);
    row.seededSmallVia = `${sent} via socket sendMessage (time box ${round(boxS, 0)} s)`;
    if (sent < cfg.scaleSmall) {
      try {
        if (!stateDir) throw new Error("state directory of wrangler dev not found");
        await quiet();
        const added = seedRoom(stateDir, conv, others[0].id, cfg.scaleSmall);
        await sleep(ROOM_EVICTION_WAIT_MS);
        row.seededSmallVia += `, ${added} by direct insert into the room's SQLite file`;
      } catch (err) {
        row.seededSmallVia += `; top-up failed: ${(err as Error).message}`;
      }
    }
  } else {
    await bulk(cfg.scaleSmall, 0);
    row.seededSmallVia = "bulk insert";
  }
  await measure("small");
  if (target.name === "ours") {
    try {
      if (!stateDir) throw new Error("state directory of wrangler dev not found");
      const t = performance.now();
      const added = seedRoom(stateDir, conv, others[0].id, cfg.scaleMax);
      row.seededLargeVia = `direct insert into the room's SQLite file (${added} rows in ${round((performance.now() - t) / 1000, 1)} s)`;
      await sleep(ROOM_EVICTION_WAIT_MS);
    } catch (err) {
      row.seededLargeVia = `failed: ${(err as Error).message}`;
    }
  } else {
    await bulk(cfg.scaleMax, cfg.scaleSmall);
    row.seededLargeVia = "bulk insert";
  }
  await measure("large");
  return row;
}

// ---- report ----

const fmt = (x: unknown, d = 1) => (typeof x === "number" ? (Number.isInteger(x) ? String(x) : x.toFixed(d)) : x == null ? "n/a" : String(x));
const ratio = (a: unknown, b: unknown) => (typeof a === "number" && typeof b === "number" && b > 0 ? `${(a / b).toFixed(2)}×` : "n/a");

function table(): string {
  const lines: string[] = [];
  const T: TargetName[] = ["ours", "peer", "ceiling", "skeleton"];
  const section = (title: string, metrics: [string, (r: Row) => unknown][], scenarios: string[]) => {
    if (!scenarios.some((s) => results[s])) return;
    lines.push(`\n### ${title}\n`, `| scenario | metric | ours | peer | ceiling | skeleton | ours/ceiling | ours/peer |`, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const s of scenarios) {
      const rows = results[s];
      if (!rows) continue;
      for (const [name, get] of metrics) {
        const v = (t: TargetName) => (rows[t] ? (rows[t]!.note ?? rows[t]!.error ?? get(rows[t]!)) : undefined);
        const noRatio = /connected|measured|sending for|stored|planned|messages$|own idle pair/.test(name);
        const r = (b: TargetName) => (noRatio ? "" : ratio(v("ours"), v(b)));
        lines.push(`| ${s} | ${name} | ${T.map((t) => fmt(v(t))).join(" | ")} | ${r("ceiling")} | ${r("peer")} |`);
      }
    }
  };
  section(
    `Relay: ${cfg.pairs} pairs × ${cfg.perPair} messages, closed loop (latency = emit → receiver's event, ms)`,
    [
      ["messages/s", (r) => r.msgsPerSec],
      ["p50 ms", (r) => r.p50],
      ["p99 ms", (r) => r.p99],
      ["ack p50 ms", (r) => r.ackP50],
      ["delivered / planned", (r) => `${r.delivered}/${r.planned}${r.capped ? " (time box)" : ""}${r.errors ? `, ${r.errors} errors` : ""}`],
      ["pairs connected", (r) => r.pairs],
      ["measured for s", (r) => r.seconds],
    ],
    ["relay websocket", "relay polling"],
  );
  section(
    `Group fan-out: one sender, ${cfg.fanoutMembers} connected members (emit → last member has it, ms)`,
    [
      ["p50 ms", (r) => r.p50],
      ["p99 ms", (r) => r.p99],
      ["one idle pair p99 ms", (r) => r.pairP99],
      ["p99 / its own idle pair's p99", (r) => (typeof r.p99OverPair === "number" ? `${r.p99OverPair.toFixed(2)}×` : undefined)],
      ["messages", (r) => `${r.messages}/${r.planned}${r.errors ? `, ${r.errors} errors` : ""}; pair ${r.pairMessages ?? 0}`],
      ["members connected", (r) => r.members],
    ],
    ["fan-out"],
  );
  section(
    `Sustained group: ${cfg.sustainMembers} members × ${cfg.sustainRate} msg/s, random drops every ${cfg.dropEveryMs} ms`,
    [
      ["sending for s", (r) => r.seconds],
      ["members connected", (r) => r.members],
      ["ack p50 ms", (r) => r.ackP50],
      ["ack p99 ms", (r) => r.ackP99],
      ["sent / acked / failed", (r) => `${r.sent}/${r.acked}/${r.failed}`],
      ["drops / reconnects", (r) => `${r.drops}/${r.reconnects}`],
      ["missing / dup / out of order", (r) => `${r.missing}/${r.duplicates}/${r.outOfOrder}`],
      ["exactly once, one order", (r) => (r.exactlyOnceInOrder ? "yes" : "NO")],
    ],
    ["sustained"],
  );
  section(
    `Idle sockets (target ${cfg.idle}; memory = RSS of the server processes)`,
    [
      ["connected", (r) => r.connected],
      ["RSS before MB", (r) => r.rssBeforeMb],
      ["RSS connected MB", (r) => r.rssConnectedMb],
      ["RSS after idle MB", (r) => r.rssAfterIdleMb],
      ["kB / connection", (r) => r.kbPerConnection],
      ["kB / connection after idle", (r) => r.kbPerConnectionAfterIdle],
      ["hibernated", (r) => r.hibernated],
    ],
    ["idle"],
  );
  const sc = (k: string, f: string) => (r: Row) => (r[k] as any)?.[f];
  section(
    `Scale: one conversation at ${cfg.scaleSmall} and ${cfg.scaleMax} stored messages (ms)`,
    [
      [`stored (small)`, sc("small", "stored")],
      [`history page p50 (small)`, sc("small", "historyP50")],
      [`unread count p50 (small)`, sc("small", "unreadP50")],
      [`stored (large)`, sc("large", "stored")],
      [`history page p50 (large)`, sc("large", "historyP50")],
      [`history page p99 (large)`, sc("large", "historyP99")],
      [`unread count p50 (large)`, sc("large", "unreadP50")],
      [`unread count p99 (large)`, sc("large", "unreadP99")],
    ],
    ["scale"],
  );
  return lines.join("\n");
}

const loadAtStart = loadavg()[0];

function report(status: string) {
  const out = table();
  const load = `load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end (1 min)`;
  notes.push(load);
  console.log(`\n## npm run bench (${status}; ${round(elapsed(), 0)} s${cfg.small ? ", BENCH_SMALL" : ""})`);
  console.log(out);
  if (notes.length) console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join("\n")}`);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/latest.json", JSON.stringify({ at: new Date().toISOString(), status, seconds: round(elapsed(), 1), cfg, results, notes }, null, 2));
  console.log("\nwritten: bench/results/latest.json");
}

// ---- main ----

async function main() {
  log(`starting: wrangler dev (project), wrangler dev (ceiling + skeleton), socket.io peer; deadline ${cfg.deadlineS} s`);
  const [server, ceiling, peer] = await Promise.all([
    startWrangler().then((s) => (onCleanup(() => s.stop()), s)),
    startCeiling(),
    startPeer(),
  ]);
  const oursRoot = () => wranglerPid(server.port);
  const root = oursRoot();
  const persist = root ? cmdline(root)[cmdline(root).indexOf("--persist-to") + 1] ?? null : null;
  log(`up: ours ${server.baseUrl} (wrangler pid ${root}), ceiling ${ceiling.baseUrl}, peer ${peer.baseUrl}`);
  const targets: Record<TargetName, Target> = {
    ours: oursTarget(server.baseUrl),
    peer: peerTarget(peer.baseUrl),
    ceiling: ceilingTarget(ceiling.baseUrl),
    skeleton: skeletonTarget(ceiling.baseUrl),
  };
  const order: TargetName[] = ["ceiling", "skeleton", "peer", "ours"];
  const run = async (scenario: string, t: TargetName, f: () => Promise<Row>, capS: number) => {
    log(`${scenario} ${t} (at most ${round(capS, 0)} s with set-up)`);
    const scope: Scope = { clients: [], cancelled: false };
    try {
      const row = await within(
        scopes.run(scope, f),
        (capS + 20) * 1000,
        `${scenario} ${t}`,
      ).finally(() => {
        scope.cancelled = true;
        closeAll(scope.clients);
      });
      put(scenario, t, row);
      log(`${scenario} ${t}: ${JSON.stringify(row)}`);
    } catch (err) {
      put(scenario, t, { error: String((err as Error).message ?? err).slice(0, 200) });
      log(`${scenario} ${t} FAILED: ${(err as Error).message}`);
    }
  };
  // Time: each phase gets a share of what is left of the run (by weight), so a
  // slow start or a slow phase shortens what follows instead of breaking the
  // deadline. Within a phase, each target's measured part is boxed; its set-up
  // (users, connections) is estimated and left out of the box.
  const has = (s: string) => cfg.only.includes(s);
  const weights: [string, number][] = (
    [
      ["idle", 55],
      ["relay websocket", 50],
      ["relay polling", 28],
      ["fanout", 28],
      ["sustained", 110],
      ["scale", 25],
    ] as [string, number][]
  ).filter(([p]) => has(p.split(" ")[0]));
  const phaseBudget = (phase: string) => {
    const i = weights.findIndex(([p]) => p === phase);
    const rest = weights.slice(i).reduce((a, [, w]) => a + w, 0);
    const b = Math.max(5, ((timeLeft() - 5) * weights[i][1]) / rest);
    log(`== ${phase}: ${round(b, 0)} s of the ${round(timeLeft(), 0)} s left`);
    return b;
  };
  /** Up to 8 s for ours to answer GET /health quickly again (work queued by the previous phase). */
  const settle = async () => {
    for (let until = performance.now() + 8000; performance.now() < until; ) {
      const t = performance.now();
      const ok = await fetch(`${server.baseUrl}/health`, { signal: AbortSignal.timeout(2000) }).then(
        () => true,
        () => false,
      );
      if (ok && performance.now() - t < 50) break;
      await sleep(500);
    }
  };
  /** a target's share of a phase: ours counts `oursUnits`, a reference 1; `setupFrac` of it may go to set-up */
  const shares = (budget: number, targets: TargetName[], oursUnits = 2) => {
    const units = targets.reduce((a, t) => a + (t === "ours" ? oursUnits : 1), 0);
    return (t: TargetName) => (budget * (t === "ours" ? oursUnits : 1)) / units;
  };
  const split = (share: number, setupFrac: number) => ({ setup: Math.max(3, share * setupFrac), box: Math.max(2, share * (1 - setupFrac) - 3) });
  if (has("idle")) {
    // first, while the servers are fresh (later phases leave ours's memory moving for a while).
    // ours, peer and ceiling at the same time (separate processes: each RSS is its own), then
    // the skeleton (it shares the ceiling's workerd); each waits idleWaitS after connecting
    const servers = { oursRoot, peerPid: peer.pid, ceilingRoot: ceiling.pid, ceilingUrl: ceiling.baseUrl };
    const budget = phaseBudget("idle") - 2 * (cfg.idleWaitS + 5);
    const oursBox = Math.max(5, budget * 0.65);
    const refBox = Math.max(3, Math.min(oursBox, budget * 0.35));
    notes.push(
      `idle: connections made for at most ${round(oursBox, 0)} s (ours, peer, ceiling at the same time) or ${round(refBox, 0)} s (skeleton, after them); then ${cfg.idleWaitS} s idle`,
    );
    await Promise.all(
      (["ours", "peer", "ceiling"] as TargetName[]).map((t) => run("idle", t, () => idle(targets[t], servers, cfg.idle, t === "ours" ? oursBox : Math.min(oursBox, refBox)), oursBox + cfg.idleWaitS + 15)),
    );
    await run("idle", "skeleton", () => idle(targets.skeleton, servers, cfg.idle, refBox), refBox + cfg.idleWaitS + 10);
    await settle();
  }
  if (has("relay")) {
    for (const [phase, transport, list] of [
      ["relay websocket", "websocket", order],
      ["relay polling", "polling", ["peer", "ours"]],
    ] as [string, Transport, TargetName[]][]) {
      const share = shares(phaseBudget(phase), list);
      for (const t of list) {
        const { setup, box } = split(share(t), t === "ours" ? 0.6 : 0.4);
        await run(phase, t, () => relay(targets[t], transport, box, setup), setup + box + 8);
      }
    }
    put("relay polling", "ceiling", { note: "n/a: WebSocket only" });
    put("relay polling", "skeleton", { note: "n/a: WebSocket only" });
  }
  if (has("fanout")) {
    const share = shares(phaseBudget("fanout"), order);
    for (const t of order) {
      const { setup, box } = split(share(t), t === "ours" ? 0.6 : 0.4);
      await run("fan-out", t, () => fanout(targets[t], box, setup), setup + box + 25);
    }
  }
  if (has("sustained")) {
    // ours alone (the figure the issue asks for), then the ceiling alone, then skeleton and
    // peer together (separate processes); 60 s each in turn would not fit the run's deadline.
    // After the sending window: up to 16 s for acks, up to 5 s for deliveries.
    const budget = phaseBudget("sustained");
    const refS = Math.round(Math.min(cfg.sustainS, Number(process.env.BENCH_SUSTAIN_REF_S ?? (SMALL ? 10 : 12)), Math.max(5, budget / 8)));
    const setupOurs = SMALL ? 12 : 20;
    const oursS = Math.round(Math.min(cfg.sustainS, Math.max(10, budget - setupOurs - 16 - 5 - 8 - 2 * (refS + 3 + 5))));
    if (oursS < cfg.sustainS) notes.push(`sustained: ours ran ${oursS} s instead of ${cfg.sustainS} s (run deadline)`);
    notes.push(`sustained: ours ran alone, then the ceiling alone, then skeleton and peer at the same time, these three for ${refS} s`);
    await run("sustained", "ours", () => sustained(targets.ours, oursS, setupOurs), setupOurs + oursS + 26);
    // let ours finish what it still has queued before the references start
    await settle();
    await run("sustained", "ceiling", () => sustained(targets.ceiling, refS, 5), 5 + refS + 26);
    await Promise.all((["skeleton", "peer"] as TargetName[]).map((t) => run("sustained", t, () => sustained(targets[t], refS, 5), 5 + refS + 26)));
  }
  if (has("scale")) {
    const b = Math.max(3, phaseBudget("scale") - 3 * 8);
    for (const t of ["skeleton", "peer", "ours"] as TargetName[]) await run("scale", t, () => scale(targets[t], persist, b), b + 20);
    put("scale", "ceiling", { note: "n/a: no storage" });
  }
  report("complete");
}

let finished = false;
const abort = async (why: string, code: number) => {
  if (finished) return;
  finished = true;
  log(`stopping: ${why}`);
  try {
    report(why);
  } catch {}
  await cleanup();
  process.exit(code);
};
process.on("SIGINT", () => void abort("interrupted", 130));
process.on("SIGTERM", () => void abort("terminated", 143));
process.on("uncaughtException", (err) => void abort(`error: ${err.message}`, 1));
process.on("unhandledRejection", (err) => void abort(`error: ${(err as Error)?.message ?? err}`, 1));
const watchdog = setTimeout(() => void abort(`deadline of ${cfg.deadlineS + 10} s reached (partial results)`, 2), (cfg.deadlineS + 10) * 1000);
watchdog.unref();

try {
  await main();
  finished = true;
  await cleanup();
  process.exit(0);
} catch (err) {
  await abort(`error: ${(err as Error).message}`, 1);
}

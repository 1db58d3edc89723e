/**
 * One adapter per bench target, so one load generator drives all four:
 *
 * - `ours`: the project under `wrangler dev`, through socket.io-client
 *   (002 `send_message` / `receive_message`; groups: 003 `sendMessage` /
 *   `receiveMessage`), users from 004's passwordless form login, sockets in
 *   the `standard` dialect;
 * - `peer`: bench/peer.ts (socket.io + SQLite), the same events, JWTs minted
 *   here with the peer's secret;
 * - `ceiling`, `skeleton`: bench/ceiling/worker.ts, raw WebSocket (Node's
 *   global WebSocket) with its trivial JSON frames.
 *
 * Every client sends at least once: a send whose acknowledgement is lost
 * with a dropped connection is sent again, with the same client message id,
 * once the connection is back (ours, peer and skeleton deduplicate by it;
 * the ceiling has no storage and relays it again).
 */
import { SignJWT } from "jose";
import { io, type Socket } from "socket.io-client";
import { sleep } from "./lib.ts";
import { PEER_SECRET } from "./peer-secret.ts";

export type TargetName = "ours" | "peer" | "ceiling" | "skeleton";
export type Transport = "websocket" | "polling";

export interface BenchUser {
  id: string;
  name: string;
  token: string;
}

export interface Received {
  /** the body the sender sent (the generator's tag) */
  body: string;
  /** the server's message id */
  id: string;
  seq?: number;
  at: number;
}

export interface Client {
  user: BenchUser;
  /** resolves when the server acknowledged (at least once: resent after a drop) */
  sendDirect(to: BenchUser, body: string, clientId: string, timeoutMs: number): Promise<void>;
  sendGroup(conv: string, body: string, clientId: string, timeoutMs: number): Promise<void>;
  onMessage: (m: Received) => void;
  /** drops the transport; the client reconnects and recovers what it missed */
  drop(): void;
  close(): void;
  readonly reconnects: number;
}

export interface ConnectOpts {
  transport: Transport;
  /** reconnect after drops (sustained scenario) */
  reconnect?: boolean;
  /** ceiling: the room (pair or group); skeleton: the conversation to catch up on after a drop */
  room?: string;
}

export interface Target {
  name: TargetName;
  baseUrl: string;
  polling: boolean;
  /** up to `n` users; fewer when `until` (performance.now() ms) passes first */
  users(n: number, label: string, until?: number): Promise<BenchUser[]>;
  /** A 1-on-1 conversation's room id (ceiling room / skeleton conversation; ours and peer need none). */
  pair(a: BenchUser, b: BenchUser): Promise<string>;
  group(owner: BenchUser, members: BenchUser[]): Promise<string>;
  connect(user: BenchUser, opts: ConnectOpts): Promise<Client>;
}

const rand = () => Math.random().toString(36).slice(2, 10);

async function json(base: string, method: string, path: string, token?: string, body?: unknown, form?: Record<string, string>) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: form ? new URLSearchParams(form) : body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let data: any = text;
  try {
    data = JSON.parse(text);
  } catch {}
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return data;
}
export { json as httpJson };

// ---- socket.io targets (ours, peer) ----

interface SioFlavour {
  query?: Record<string, string>;
}

function sioClient(base: string, user: BenchUser, opts: ConnectOpts, flavour: SioFlavour): Promise<Client> {
  const socket: Socket = io(base, {
    auth: { token: user.token },
    transports: [opts.transport],
    forceNew: true,
    reconnection: !!opts.reconnect,
    reconnectionDelay: 100,
    reconnectionDelayMax: 1000,
    timeout: 20_000,
    query: flavour.query,
  });
  let reconnects = 0;
  const client: Client = {
    user,
    onMessage: () => {},
    get reconnects() {
      return reconnects;
    },
    sendDirect: (to, body, clientId, timeoutMs) => sioSend(socket, "send_message", { receiverId: to.id, content: body, clientMsgId: clientId }, timeoutMs),
    sendGroup: (conv, body, clientId, timeoutMs) => sioSend(socket, "sendMessage", { conversationId: conv, message: body, clientMsgId: clientId }, timeoutMs),
    drop: () => socket.io.engine?.close(),
    close: () => socket.close(),
  };
  // 002 direct messages; 003 group messages (001 view: text in `message`)
  // ours (standard dialect) emits both events for every message: count 1-on-1 messages by the one, group messages by the other
  socket.on("receive_message", (m: any) => {
    if (m.receiverId != null) client.onMessage({ body: m.content, id: String(m._id), seq: m.seq, at: performance.now() });
  });
  socket.on("receiveMessage", (m: any) => {
    if (m.conversationId && m.receiverId == null) client.onMessage({ body: m.message ?? m.content, id: String(m._id), seq: m.seq, at: performance.now() });
  });
  socket.io.on("reconnect", () => reconnects++);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(client));
    socket.once("connect_error", (err) => {
      if (!opts.reconnect) {
        socket.close();
        reject(err);
      }
    });
  });
}

/** Emits with an ack; an ack lost with the connection is asked for again once it is back (same client id). */
async function sioSend(socket: Socket, event: string, payload: unknown, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`${event}: no acknowledgement within ${timeoutMs} ms`);
    try {
      const reply: any = await socket.timeout(left).emitWithAck(event, payload);
      if (reply && reply.success === false) throw Object.assign(new Error(`${event}: ${reply.statusCode ?? ""} ${reply.message}`), { final: true });
      return;
    } catch (err: any) {
      if (err.final) throw err;
      if (!socket.connected && socket.io.opts.reconnection) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.max(0, deadline - performance.now()));
          socket.once("connect", () => (clearTimeout(t), r()));
        });
        continue;
      }
      if (/disconnected/.test(String(err?.message)) && socket.io.opts.reconnection) continue;
      throw err;
    }
  }
}

export function oursTarget(baseUrl: string): Target {
  return {
    name: "ours",
    baseUrl,
    polling: true,
    async users(n, label, until = Infinity) {
      const out: BenchUser[] = [];
      for (let i = 0; i < n && performance.now() < until; i += 16) {
        out.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(16, n - i) }, async (_, j) => {
              const name = `${label}-${i + j}`;
              const data = await json(baseUrl, "POST", "/api/auth/login", undefined, undefined, { email: `${name}-${rand()}@bench.test`, name });
              return { id: data.user._id as string, name, token: data.access_token as string };
            }),
          )),
        );
      }
      return out;
    },
    pair: async () => "",
    async group(owner, members) {
      const ids = members.map((m) => m.id);
      const first = await json(baseUrl, "POST", "/api/conversations/group", owner.token, { name: `bench ${rand()}`, members: ids.slice(0, 50) });
      const id = first.data._id as string;
      for (let i = 50; i < ids.length; i += 50) await json(baseUrl, "POST", `/api/conversations/${id}/members`, owner.token, { members: ids.slice(i, i + 50) });
      return id;
    },
    connect: (user, opts) => sioClient(baseUrl, user, opts, { query: { dialect: "standard" } }),
  };
}

export function peerTarget(baseUrl: string): Target {
  const secret = new TextEncoder().encode(PEER_SECRET);
  return {
    name: "peer",
    baseUrl,
    polling: true,
    async users(n, label) {
      return Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const id = `${label}-${i}-${rand()}`;
          const token = await new SignJWT({ name: id }).setProtectedHeader({ alg: "HS256" }).setSubject(id).setIssuedAt().setExpirationTime("2h").sign(secret);
          return { id, name: id, token };
        }),
      );
    },
    pair: async () => "",
    async group(owner, members) {
      return (await json(baseUrl, "POST", "/api/groups", owner.token, { members: members.map((m) => m.id) }))._id;
    },
    connect: (user, opts) => sioClient(baseUrl, user, opts, {}),
  };
}

// ---- raw WebSocket targets (ceiling, skeleton) ----

/** `url(since)`: where to (re)connect; `since` is the last seq seen, null on the first connection. */
function rawClient(url: (since: number | null) => string, user: BenchUser, opts: ConnectOpts): Promise<Client> {
  let ws: WebSocket;
  let open = false;
  let closed = false;
  let reconnects = 0;
  let lastSeq = 0;
  const queue: string[] = [];
  /** frames sent and not yet acked, by client id: resent after a reconnection */
  const unacked = new Map<string, { frame: string; resolve: () => void }>();

  const client: Client = {
    user,
    onMessage: () => {},
    get reconnects() {
      return reconnects;
    },
    sendDirect: (_to, body, clientId, timeoutMs) => send({ t: "send", id: clientId, conv: opts.room, body }, clientId, timeoutMs),
    sendGroup: (conv, body, clientId, timeoutMs) => send({ t: "send", id: clientId, conv, body }, clientId, timeoutMs),
    drop: () => {
      try {
        ws.close();
      } catch {}
    },
    close: () => {
      closed = true;
      try {
        ws.close();
      } catch {}
    },
  };

  function send(frame: object, clientId: string, timeoutMs: number): Promise<void> {
    const text = JSON.stringify(frame);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        unacked.delete(clientId);
        reject(new Error(`no ack within ${timeoutMs} ms`));
      }, timeoutMs);
      unacked.set(clientId, { frame: text, resolve: () => (clearTimeout(timer), resolve()) });
      if (open) ws.send(text);
      else queue.push(text);
    });
  }

  return new Promise<Client>((resolve, reject) => {
    let first = true;
    const dial = () => {
      const socket = new WebSocket(url(first ? null : lastSeq));
      ws = socket;
      ws.onopen = () => {
        open = true;
        if (!first) {
          reconnects++;
          for (const { frame } of unacked.values()) if (!queue.includes(frame)) ws.send(frame);
        }
        for (const f of queue.splice(0)) ws.send(f);
        if (first) {
          first = false;
          resolve(client);
        }
      };
      ws.onmessage = (e) => {
        // a socket this client closed (a drop) may still hand over frames during its close
        // handshake: they count as lost, the new connection's catch-up brings them
        if (socket !== ws) return;
        const f = JSON.parse(String(e.data));
        if (f.t === "ack") {
          unacked.get(f.id)?.resolve();
          unacked.delete(f.id);
        } else if (f.t === "msg") {
          if (typeof f.seq === "number" && f.seq > lastSeq) lastSeq = f.seq;
          client.onMessage({ body: f.body, id: f.id, seq: f.seq, at: performance.now() });
        }
      };
      ws.onerror = () => {
        if (first) reject(new Error(`WebSocket ${url(null)} failed`));
      };
      ws.onclose = () => {
        if (socket !== ws) return;
        open = false;
        if (!closed && !first && opts.reconnect) setTimeout(dial, 50 + Math.random() * 150);
      };
    };
    dial();
  });
}

function rawTarget(name: "ceiling" | "skeleton", baseUrl: string): Target {
  const ws = baseUrl.replace(/^http/, "ws");
  return {
    name,
    baseUrl,
    polling: false,
    users: async (n, label) => Array.from({ length: n }, (_, i) => ({ id: `${label}-${i}-${rand()}`, name: `${label}-${i}`, token: "" })),
    async pair(a, b) {
      const id = `pair-${a.id}-${b.id}`;
      if (name === "skeleton") await json(baseUrl, "POST", `/skeleton/conv/${id}/members`, undefined, [a.id, b.id]);
      return id;
    },
    async group(owner, members) {
      const id = `group-${rand()}`;
      if (name === "skeleton") await json(baseUrl, "POST", `/skeleton/conv/${id}/members`, undefined, [owner.id, ...members.map((m) => m.id)]);
      return id;
    },
    async connect(user, opts) {
      if (opts.transport !== "websocket") throw new Error(`${name}: WebSocket only`);
      const u = encodeURIComponent(user.id);
      const url =
        name === "ceiling"
          ? () => `${ws}/ceiling/${opts.room}?user=${u}`
          : (since: number | null) => `${ws}/skeleton/conn/${u}${since !== null && opts.room ? `?conv=${encodeURIComponent(opts.room)}&since=${since}` : ""}`;
      return rawClient(url, user, opts);
    },
  };
}

export const ceilingTarget = (baseUrl: string) => rawTarget("ceiling", baseUrl);
export const skeletonTarget = (baseUrl: string) => rawTarget("skeleton", baseUrl);

export { sleep };

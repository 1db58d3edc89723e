/**
 * The bench's reference Worker (see wrangler.toml beside this file). Speaks a
 * trivial JSON-over-WebSocket protocol, no Socket.IO framing, no auth:
 *
 *   client -> server  {t:"send", id, body}            (ceiling)
 *                     {t:"send", id, conv, body}      (skeleton)
 *   server -> client  {t:"ack", id, seq?}
 *                     {t:"msg", id, from, body, seq?}
 *
 * - ceiling, `/ceiling/<room>?user=<u>`: one hibernatable Durable Object per
 *   pair (or group) holds every socket of the room; each frame is written to
 *   the other sockets, then acked to the sender. No storage.
 * - skeleton, `/skeleton/conn/<user>`: the project's two-hop path. The
 *   user's connection object (hibernatable WebSockets) hands a send to the
 *   conversation object, which commits it to its SQLite (seq = row id), and
 *   answers (the ack goes back to the sender); its fan-out queue (sequence
 *   order, as ConversationRoom's) then calls each recipient's connection
 *   object, which writes the frame to that user's WebSockets. A reconnecting
 *   socket names `?conv=&since=<last seq>` and gets what it missed first.
 *   `/skeleton/conv/<id>/members` (POST JSON array), `/seed?n=`,
 *   `/history?limit=`, `/unread?user=` serve setup and the scale scenario.
 * - `/stats`: how many objects of each class were constructed in this
 *   isolate (a hibernated object is constructed again when it wakes).
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  PAIR: DurableObjectNamespace<PairRelay>;
  CONN: DurableObjectNamespace<SkeletonConnection>;
  CONV: DurableObjectNamespace<SkeletonConversation>;
}

const constructed = { ceiling: 0, connection: 0, conversation: 0 };

const upgrade = () => {
  const pair = new WebSocketPair();
  return { client: pair[0], server: pair[1], response: new Response(null, { status: 101, webSocket: pair[0] }) };
};

export class PairRelay extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    constructed.ceiling++;
  }

  async fetch(request: Request): Promise<Response> {
    const user = new URL(request.url).searchParams.get("user") ?? "anon";
    const { server, response } = upgrade();
    this.ctx.acceptWebSocket(server, [user]);
    return response;
  }

  webSocketMessage(ws: WebSocket, data: string | ArrayBuffer) {
    const frame = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
    if (frame.t !== "send") return;
    const from = this.ctx.getTags(ws)[0];
    const out = JSON.stringify({ t: "msg", id: frame.id, from, body: frame.body });
    for (const other of this.ctx.getWebSockets()) {
      if (other === ws) continue;
      try {
        other.send(out);
      } catch {}
    }
    ws.send(JSON.stringify({ t: "ack", id: frame.id }));
  }

  webSocketClose(ws: WebSocket, code: number) {
    try {
      ws.close(code === 1005 ? 1000 : code);
    } catch {}
  }
}

export class SkeletonConnection extends DurableObject<Env> {
  /**
   * Sockets catching up after a reconnection, by a key kept in the socket's
   * attachment (getWebSockets() need not return the same objects): live
   * frames wait here until the replay is written.
   */
  #catchingUp = new Map<string, { seq: number; frame: string }[]>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    constructed.connection++;
  }

  /** `?conv=<id>&since=<seq>` on a reconnection: replay what the socket missed, then what arrived meanwhile (as recovery does). */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const user = url.pathname.split("/").pop()!;
    const { server, response } = upgrade();
    this.ctx.acceptWebSocket(server, [user]);
    const conv = url.searchParams.get("conv");
    const since = url.searchParams.get("since");
    if (conv && since !== null) {
      const key = crypto.randomUUID();
      server.serializeAttachment({ catchingUp: key });
      this.#catchingUp.set(key, []);
      this.ctx.waitUntil(this.#replay(server, key, user, conv, Number(since) || 0));
    }
    return response;
  }

  async #replay(ws: WebSocket, key: string, user: string, conv: string, since: number) {
    let high = since;
    try {
      for (const m of await this.env.CONV.get(this.env.CONV.idFromName(conv)).since(since)) {
        high = Math.max(high, m.seq);
        if (m.from !== user) ws.send(JSON.stringify({ t: "msg", ...m }));
      }
    } finally {
      const waiting = (this.#catchingUp.get(key) ?? []).sort((a, b) => a.seq - b.seq);
      this.#catchingUp.delete(key);
      // the conversation's fan-out can lag behind its storage: live frames up to `high` were in the replay
      ws.serializeAttachment({ floor: high });
      for (const w of waiting) if (w.seq > high) ws.send(w.frame);
    }
  }

  async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer) {
    const frame = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
    if (frame.t !== "send") return;
    const user = this.ctx.getTags(ws)[0];
    const conv = this.env.CONV.get(this.env.CONV.idFromName(frame.conv));
    const { seq } = await conv.append(user, frame.id, frame.body);
    ws.send(JSON.stringify({ t: "ack", id: frame.id, seq }));
  }

  /** The conversation object's fan-out: write the frame to this user's sockets. */
  async deliver(frame: string, seq: number): Promise<number> {
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) {
      const att = ws.deserializeAttachment() as { catchingUp?: string; floor?: number } | null;
      const waiting = att?.catchingUp ? this.#catchingUp.get(att.catchingUp) : undefined;
      if (waiting) {
        waiting.push({ seq, frame });
        continue;
      }
      if (att?.floor !== undefined && seq <= att.floor) continue;
      try {
        ws.send(frame);
      } catch {}
    }
    return sockets.length;
  }

  webSocketClose(ws: WebSocket, code: number) {
    const key = (ws.deserializeAttachment() as { catchingUp?: string } | null)?.catchingUp;
    if (key) this.#catchingUp.delete(key);
    try {
      ws.close(code === 1005 ? 1000 : code);
    } catch {}
  }
}

export class SkeletonConversation extends DurableObject<Env> {
  #members: string[] | null = null;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    constructed.conversation++;
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, sender TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL)",
    );
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS members (user TEXT PRIMARY KEY, read_seq INTEGER NOT NULL DEFAULT 0)");
  }

  #list(): string[] {
    this.#members ??= this.ctx.storage.sql
      .exec<{ user: string }>("SELECT user FROM members")
      .toArray()
      .map((r) => r.user);
    return this.#members;
  }

  async setMembers(users: string[]) {
    for (const u of users) this.ctx.storage.sql.exec("INSERT OR IGNORE INTO members (user) VALUES (?)", u);
    this.#members = null;
  }

  /**
   * Commits the message (the answer is the sender's ack), then queues its
   * fan-out in sequence order. A repeated id (a client resending after a
   * dropped connection) answers the first seq and is not fanned out again.
   */
  async append(from: string, id: string, body: string): Promise<{ seq: number }> {
    const row = this.ctx.storage.sql
      .exec<{ seq: number }>("INSERT INTO messages (id, sender, body, at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING seq", id, from, body, Date.now())
      .toArray()[0];
    if (!row) return this.ctx.storage.sql.exec<{ seq: number }>("SELECT seq FROM messages WHERE id = ?", id).one();
    const frame = JSON.stringify({ t: "msg", id, from, body, seq: row.seq });
    const recipients = this.#list().filter((u) => u !== from);
    this.#tail = this.#tail.then(() =>
      Promise.all(recipients.map((u) => this.env.CONN.get(this.env.CONN.idFromName(u)).deliver(frame, row.seq))).catch(() => undefined),
    );
    this.ctx.waitUntil(this.#tail);
    return { seq: row.seq };
  }

  async since(seq: number): Promise<{ id: string; from: string; body: string; seq: number }[]> {
    return this.ctx.storage.sql
      .exec<{ id: string; sender: string; body: string; seq: number }>("SELECT id, sender, body, seq FROM messages WHERE seq > ? ORDER BY seq LIMIT 1000", seq)
      .toArray()
      .map((r) => ({ id: r.id, from: r.sender, body: r.body, seq: r.seq }));
  }

  /** Scale scenario: `n` more stored messages from `from`. */
  async seed(n: number, from: string): Promise<number> {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (let i = 0; i < n; i++) {
        this.ctx.storage.sql.exec("INSERT INTO messages (id, sender, body, at) VALUES (?, ?, ?, ?)", `seed-${now}-${i}`, from, `seeded ${i}`, now);
      }
    });
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM messages").one().n;
  }

  async history(limit: number) {
    return this.ctx.storage.sql
      .exec("SELECT seq, id, sender, body, at FROM messages ORDER BY seq DESC LIMIT ?", limit)
      .toArray()
      .reverse();
  }

  async unread(user: string): Promise<number> {
    const m = this.ctx.storage.sql.exec<{ read_seq: number }>("SELECT read_seq FROM members WHERE user = ?", user).toArray()[0];
    return this.ctx.storage.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM messages WHERE seq > ? AND sender != ?", m?.read_seq ?? 0, user)
      .one().n;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts[0] === "stats") return Response.json(constructed);
    if (parts[0] === "health") return new Response("ok");
    if (parts[0] === "ceiling" && parts[1]) return env.PAIR.get(env.PAIR.idFromName(parts[1])).fetch(request);
    if (parts[0] === "skeleton" && parts[1] === "conn" && parts[2]) return env.CONN.get(env.CONN.idFromName(parts[2])).fetch(request);
    if (parts[0] === "skeleton" && parts[1] === "conv" && parts[2]) {
      const conv = env.CONV.get(env.CONV.idFromName(parts[2]));
      switch (parts[3]) {
        case "members":
          await conv.setMembers((await request.json()) as string[]);
          return Response.json({ ok: true });
        case "seed":
          return Response.json({ total: await conv.seed(Number(url.searchParams.get("n") ?? 0), url.searchParams.get("from") ?? "seed") });
        case "history":
          return Response.json(await conv.history(Number(url.searchParams.get("limit") ?? 50)));
        case "unread":
          return Response.json({ count: await conv.unread(url.searchParams.get("user") ?? "") });
      }
    }
    return new Response("not found", { status: 404 });
  },
};

/**
 * The bench's **peer**: what 002 looks like on a plain Node server with the
 * `socket.io` package. Started by bench/run.ts as its own process (so its
 * memory is measured alone):
 *
 *   node bench/peer.ts            # prints "listening <port>" on stdout
 *
 * - JWT auth on the Socket.IO handshake (`auth.token`, HS256 via `jose`);
 * - 002 `send_message {receiverId, content, clientMsgId?}` -> synchronous
 *   SQLite insert -> `message_sent {success, message}` to the sender (and as
 *   the ack) and `receive_message` to the receiver's sockets;
 * - groups (as 003): `sendMessage {conversationId, content}` -> insert ->
 *   `receiveMessage` to the room, ack `{success, statusCode, data}`;
 * - connection-state recovery on (a dropped client gets what it missed);
 * - REST for setup and the scale scenario: POST /api/groups, GET
 *   /api/conversations/:id/messages?limit=, GET /api/unread/:id,
 *   POST /api/conversations/:id/seed?n= (bulk insert, bench only).
 *
 * SQLite: the issue asks for better-sqlite3. Its native addon cannot be built
 * for Node 24 here (no prebuilt download and no Node 24 headers offline: the
 * install compiled it for the system Node 20 and it fails to load), so the
 * peer uses Node 24's built-in `node:sqlite` DatabaseSync, which is the same
 * kind of thing: a synchronous SQLite call on the event loop, one per
 * message, on a WAL file database.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { jwtVerify } from "jose";
import { Server } from "socket.io";
import { PEER_SECRET } from "./peer-secret.ts";
const secret = new TextEncoder().encode(process.env.PEER_JWT_SECRET ?? PEER_SECRET);

const dir = mkdtempSync(join(tmpdir(), "bench-peer-"));
const db = new DatabaseSync(join(dir, "peer.sqlite"));
db.exec(`
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = NORMAL;
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    receiver_id TEXT,
    content TEXT NOT NULL,
    client_msg_id TEXT,
    sent_at TEXT NOT NULL,
    read INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX messages_conv ON messages (conversation_id, seq);
  CREATE UNIQUE INDEX messages_client ON messages (sender_id, client_msg_id);
  CREATE TABLE members (conversation_id TEXT NOT NULL, user_id TEXT NOT NULL, read_seq INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (conversation_id, user_id));
  CREATE INDEX members_user ON members (user_id);
`);
const insert = db.prepare(
  "INSERT INTO messages (conversation_id, sender_id, receiver_id, content, client_msg_id, sent_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
);
const byClientId = db.prepare("SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?");
const groupsOf = db.prepare("SELECT conversation_id FROM members WHERE user_id = ?");
const isMember = db.prepare("SELECT 1 AS ok FROM members WHERE conversation_id = ? AND user_id = ?");
const addMember = db.prepare("INSERT OR IGNORE INTO members (conversation_id, user_id) VALUES (?, ?)");
const page = db.prepare("SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?");
const unread = db.prepare(
  "SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND sender_id != ? AND seq > (SELECT read_seq FROM members WHERE conversation_id = ? AND user_id = ?)",
);

interface User {
  id: string;
  name: string;
}

async function verify(token: unknown): Promise<User | null> {
  if (typeof token !== "string" || !token) return null;
  try {
    const { payload } = await jwtVerify(token.replace(/^Bearer\s+/i, ""), secret);
    return { id: String(payload.sub), name: String(payload.name ?? payload.sub) };
  } catch {
    return null;
  }
}

const pairId = (a: string, b: string) => (a < b ? `${a}:${b}` : `${b}:${a}`);
let groupCounter = 0;

/** Stores a message (synchronously); a repeated clientMsgId returns the first one with `created: false`. */
function store(conversationId: string, sender: User, receiverId: string | null, content: string, clientMsgId: string | null) {
  if (clientMsgId) {
    const prior = byClientId.get(sender.id, clientMsgId) as any;
    if (prior) return { ...view(prior, sender), created: false };
  }
  const sentAt = new Date().toISOString();
  const { seq } = insert.get(conversationId, sender.id, receiverId, content, clientMsgId, sentAt) as { seq: number };
  return { ...view({ seq, conversation_id: conversationId, content, sent_at: sentAt, receiver_id: receiverId, client_msg_id: clientMsgId }, sender), created: true };
}

function view(row: any, sender: User) {
  const { seq } = row;
  return {
    _id: String(seq),
    seq,
    conversationId: row.conversation_id as string,
    content: row.content as string,
    sentAt: row.sent_at as string,
    read: false,
    senderId: sender.id,
    senderName: sender.name,
    receiverId: row.receiver_id as string | null,
    clientMsgId: row.client_msg_id as string | null,
  };
}

async function readBody(req: IncomingMessage): Promise<any> {
  let s = "";
  for await (const chunk of req) s += chunk;
  return s ? JSON.parse(s) : {};
}

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

const http = createServer(async (req, res) => {
  if (req.url?.startsWith("/socket.io")) return; // socket.io's own handler answers
  try {
    const url = new URL(req.url ?? "/", "http://peer");
    if (url.pathname === "/health") return reply(res, 200, { ok: true });
    const user = await verify(req.headers.authorization);
    if (!user) return reply(res, 401, { message: "Invalid token" });
    const parts = url.pathname.split("/").filter(Boolean);
    if (req.method === "POST" && url.pathname === "/api/groups") {
      const { members } = await readBody(req);
      const id = `g${++groupCounter}`;
      db.exec("BEGIN");
      for (const m of [user.id, ...members]) addMember.run(id, m);
      db.exec("COMMIT");
      return reply(res, 201, { _id: id });
    }
    if (parts[0] === "api" && parts[1] === "conversations" && parts[2]) {
      const id = parts[2];
      if (!isMember.get(id, user.id)) return reply(res, 404, { message: "Not a member" });
      if (req.method === "GET" && parts[3] === "messages") {
        const limit = Math.min(100, Number(url.searchParams.get("limit") ?? 50));
        return reply(res, 200, { messages: (page.all(id, limit) as any[]).reverse() });
      }
      if (req.method === "POST" && parts[3] === "seed") {
        const n = Number(url.searchParams.get("n") ?? 0);
        const at = new Date().toISOString();
        db.exec("BEGIN");
        for (let i = 0; i < n; i++) insert.get(id, user.id, null, `seeded ${i}`, null, at);
        db.exec("COMMIT");
        return reply(res, 200, { seeded: n });
      }
    }
    if (req.method === "GET" && parts[0] === "api" && parts[1] === "unread" && parts[2]) {
      const { n } = unread.get(parts[2], user.id, parts[2], user.id) as { n: number };
      return reply(res, 200, { count: n });
    }
    reply(res, 404, { message: "Not found" });
  } catch (err) {
    reply(res, 500, { message: String(err) });
  }
});

const io = new Server(http, {
  cors: { origin: "*" },
  connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000, skipMiddlewares: true },
});

io.use(async (socket, next) => {
  const user = await verify(socket.handshake.auth?.token);
  if (!user) return next(new Error("Authentication error: Invalid token"));
  socket.data.user = user;
  next();
});

io.on("connection", (socket) => {
  const me = socket.data.user as User;
  if (!socket.recovered) {
    socket.join(`user:${me.id}`);
    for (const row of groupsOf.all(me.id) as { conversation_id: string }[]) socket.join(`conv:${row.conversation_id}`);
  }
  socket.emit("connection", { success: true, user: { _id: me.id, name: me.name, username: me.name } });

  socket.on("send_message", (payload: any, ack?: (r: unknown) => void) => {
    const receiverId = payload?.receiverId;
    const content = String(payload?.content ?? "");
    if (!receiverId || !content.trim()) {
      const error = { success: false, message: "receiverId and content are required" };
      socket.emit("error", { message: error.message });
      return ack?.(error);
    }
    const { created, ...message } = store(pairId(me.id, receiverId), me, receiverId, content, payload.clientMsgId ?? null);
    const body = { success: true, message };
    socket.emit("message_sent", body);
    if (created) io.to(`user:${receiverId}`).emit("receive_message", message);
    ack?.(body);
  });

  socket.on("sendMessage", (payload: any, ack?: (r: unknown) => void) => {
    const conversationId = payload?.conversationId;
    const content = String(payload?.content ?? payload?.message ?? "");
    if (!conversationId || !isMember.get(conversationId, me.id)) {
      return ack?.({ success: false, statusCode: 404, message: "Conversation not found" });
    }
    const { created, ...message } = store(conversationId, me, null, content, payload.clientMsgId ?? null);
    if (created) socket.to(`conv:${conversationId}`).emit("receiveMessage", message);
    ack?.({ success: true, statusCode: 201, message: "Message sent successfully", data: message });
  });
});

const port = Number(process.env.PEER_PORT ?? 0);
http.listen(port, "127.0.0.1", () => {
  const addr = http.address();
  console.log(`listening ${typeof addr === "object" && addr ? addr.port : port}`);
});

const shutdown = () => {
  io.close();
  http.close();
  try {
    db.close();
  } catch {}
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
// the bench owns this process: go when it goes
process.stdin.on("end", shutdown);
process.stdin.resume();

/**
 * ConversationRoom: one Durable Object per conversation (named by its `_id`).
 *
 * The commit point of the conversation: its own SQLite storage holds the
 * message log (src/objects/message-log.ts): messages with their gap-free
 * `seq`, client-id idempotency, edits, soft deletes, receipts and every
 * member's read position and unread count. A send is checked, committed and
 * answered inside the object, with no D1 round trip: the members, their
 * profile fields and the block state between them are cached from D1 and
 * reloaded when a write that changes them calls `invalidate`.
 *
 * After a commit the room fans the message out (src/objects/hub-mail.ts):
 * one call per member to the member's UserHub, which keeps the member's
 * inbox (last message, unread count) and recovery log and passes the events
 * to every connected device. Members' lanes run side by side; each member
 * gets the conversation's messages in `seq` order.
 *
 * Also live here: typing (who is typing until when; the alarm ends it) and
 * the room of connections that joined (004 `join_conversation`, 003
 * `joinGroup`), by recovery session id so a recovered connection stays in.
 */
import { DurableObject } from "cloudflare:workers";
import { and, asc, eq, inArray, sql as dsql } from "drizzle-orm";
import { createDb } from "../db/client";
import { ROOM_SCHEMA } from "../db/room-schema";
import { type Conversation, conversationMembers, conversationMetadata, conversations, users } from "../db/schema";
import type { CatchUp, LastMessage, Message, MessagePage, MessageRecord, Person, Since } from "../domain/message-model";
import { person } from "../domain/message-model";
import type { Env } from "../env";
import type { HubCall, Outbound } from "../realtime/emit";
import {
  markedAsRead004,
  type MembershipChange,
  membershipEvents,
  messageChangeEvents,
  messageRead002,
  messageStatusPayload,
  typingEvents,
} from "../views/events";
import { messageEvents } from "../views/message";
import { BACKLOG_RETRY_MS, HubMail } from "./hub-mail";
import { MessageLog, type NewMessage } from "./message-log";

/** A typing indicator without a `stop` ends this long after the last `start`. */
export const TYPING_TTL_MS = 5_000;

/** What the room caches from D1 (reloaded by `invalidate`). */
interface Members {
  conversation: Conversation;
  /** current members, earliest joined first */
  people: Map<string, Person>;
  /** "blocker:blocked" pairs among the members */
  blocks: Set<string>;
}

export type RoomError = { ok: false; status: 400 | 403 | 404; error: string; rejoin?: true };

export interface SendRequest extends NewMessage {
  /** the connection that sent it over a socket and gets its own confirmation (standard dialect) */
  exceptSid: string | null;
  /** how the sender's document names the reply field, for the error message */
  replyField: string;
  /** the sender addressed the other user (not the conversation): someone who left a 1-on-1 is to be a member again */
  addressedUser: boolean;
}

export type SendOutcome = { ok: true; record: MessageRecord; created: boolean } | RoomError;

export interface ReadOutcome {
  record: MessageRecord | null;
  modifiedCount: number;
  readSeqBefore: number;
  readSeqAfter: number;
}

interface Typist extends Person {
  until: number;
}

const notFound = (error = "Conversation not found"): RoomError => ({ ok: false, status: 404, error });

export class ConversationRoom extends DurableObject<Env> {
  #members: Members | null = null;
  #loading: Promise<Members | null> | null = null;
  #log: MessageLog | null = null;
  readonly #mail: HubMail;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // the schema exists before any request is handled (SQLite storage is synchronous)
    for (const statement of ROOM_SCHEMA) ctx.storage.sql.exec(statement);
    this.#mail = new HubMail(ctx.storage.sql, env, () => void this.#armAlarm());
  }

  // ---- membership cache ----

  #conversationId(given?: string): string | null {
    const stored = this.ctx.storage.kv.get<string>("conversationId");
    if (given && given !== stored) this.ctx.storage.kv.put("conversationId", given);
    return given ?? stored ?? null;
  }

  #logFor(conversationId: string): MessageLog {
    if (!this.#log) this.#log = new MessageLog(this.ctx.storage.sql, conversationId);
    return this.#log;
  }

  /** The cached members, loaded from D1 once (one batch); null when the conversation does not exist. */
  async #load(conversationId: string): Promise<Members | null> {
    this.#conversationId(conversationId);
    if (this.#members) return this.#members;
    this.#loading ??= this.#fetchMembers(conversationId).finally(() => (this.#loading = null));
    return this.#loading;
  }

  async #fetchMembers(conversationId: string): Promise<Members | null> {
    const db = createDb(this.env.DB);
    const memberIds = db.select({ id: conversationMembers.userId }).from(conversationMembers).where(eq(conversationMembers.conversationId, conversationId));
    const [convRows, memberRows, userRows, blockRows] = await db.batch([
      db.select().from(conversations).where(eq(conversations.id, conversationId)),
      db
        .select({ userId: conversationMembers.userId, joinedAt: conversationMembers.joinedAt })
        .from(conversationMembers)
        .where(eq(conversationMembers.conversationId, conversationId))
        .orderBy(asc(conversationMembers.joinedAt), asc(dsql`${conversationMembers}.rowid`)),
      db.select().from(users).where(inArray(users.id, memberIds)),
      db
        .select({ blocker: conversationMetadata.userId, blocked: conversationMetadata.otherUserId })
        .from(conversationMetadata)
        .where(and(eq(conversationMetadata.isBlocked, true), inArray(conversationMetadata.userId, memberIds), inArray(conversationMetadata.otherUserId, memberIds))),
    ] as const);
    const conversation = convRows[0];
    if (!conversation) return null;
    const byId = new Map(userRows.map((u) => [u.id, person(u)]));
    const people = new Map<string, Person>();
    for (const m of memberRows) {
      const p = byId.get(m.userId);
      if (p) people.set(m.userId, p);
    }
    const members: Members = { conversation, people, blocks: new Set(blockRows.map((b) => `${b.blocker}:${b.blocked}`)) };
    const log = this.#logFor(conversationId);
    log.savePeople([...people.values()]);
    const { added, removed } = log.syncMembers(memberRows.filter((m) => people.has(m.userId)).map((m) => ({ id: m.userId, joinedAt: m.joinedAt.getTime() })));
    this.#members = members;
    // inboxes follow membership: a new member sees the conversation, a departed one no longer does
    if (added.length) for (const [id, inbox] of log.inboxEntries(added)) void this.#mail.send(id, { inbox });
    for (const id of removed) void this.#mail.send(id, { inbox: { conversationId, drop: true } });
    return members;
  }

  /**
   * Members, profiles or blocks changed in D1 (members added, removed or
   * leaving, a block, a profile edit): reload them now, so the next send
   * sees the change.
   */
  async invalidate(conversationId: string, change?: MembershipChange): Promise<void> {
    this.#members = null;
    const members = await this.#load(conversationId);
    if (members && change) await this.#announce(conversationId, members, change);
  }

  /** Members added, removed or leaving, or a rename, reach every member's devices at once (and those who were removed or left). */
  async #announce(conversationId: string, members: Members, change: MembershipChange) {
    const log = this.#logFor(conversationId);
    const gone = change.kind === "removed" ? change.userIds : change.kind === "left" ? [change.actorId] : [];
    const involved = [change.actorId, ...(change.kind === "added" || change.kind === "removed" ? change.userIds : [])];
    const people = new Map([...log.people(involved), ...members.people]);
    const out = membershipEvents(change, conversationId, people);
    const to = new Set([...members.people.keys(), ...gone]);
    await Promise.all([...to].map((id) => this.#mail.send(id, { out })));
  }

  async #member(conversationId: string, userId: string): Promise<{ members: Members; log: MessageLog } | null> {
    const members = await this.#load(conversationId);
    if (!members?.people.has(userId)) return null;
    return { members, log: this.#logFor(conversationId) };
  }

  #other(members: Members, me: string): string | null {
    if (members.conversation.type !== "1on1") return null;
    return [...members.people.keys()].find((id) => id !== me) ?? otherInPairKey(members.conversation.pairKey, me);
  }

  // ---- sending ----

  /** Checks, commits and answers a new message; delivery follows without holding up the answer. */
  async send(conversationId: string, req: SendRequest): Promise<SendOutcome> {
    const members = await this.#load(conversationId);
    const rejoin = req.addressedUser && members?.conversation.type === "1on1" && members.people.size < 2;
    if (!members || rejoin || !members.people.has(req.senderId)) return rejoin ? { ...notFound(), rejoin: true } : notFound();
    const log = this.#logFor(conversationId);
    const other = this.#other(members, req.senderId);
    if (other && members.blocks.has(`${other}:${req.senderId}`)) return { ok: false, status: 403, error: "Access denied" };
    if (req.replyTo && !log.byId(req.replyTo)) return { ok: false, status: 400, error: `${req.replyField}: must be a message in the same conversation` };
    if (req.clientMsgId) {
      const prior = log.byClientId(req.senderId, req.clientMsgId);
      if (prior) return { ok: true, record: log.hydrate([prior], members.people)[0], created: false };
    }
    const message = log.append({ ...req, recipientId: other }, Date.now());
    const record: MessageRecord = {
      message,
      sender: members.people.get(req.senderId)!,
      recipient: other ? (members.people.get(other) ?? log.people([other]).get(other) ?? null) : null,
      seenBy: [],
      read: false,
    };
    // answered once every member's hub has it (inboxes current, events queued to devices)
    await this.#fanOut(members, log, record, req.exceptSid);
    return { ok: true, record, created: true };
  }

  /**
   * One call per member, each on the member's lane (so every member gets the
   * conversation's messages in order); the lanes run side by side, and a hub
   * answers once it has logged and queued the events, not when devices got them.
   */
  async #fanOut(members: Members, log: MessageLog, record: MessageRecord, exceptSid: string | null) {
    const events = messageEvents(record);
    const m = record.message;
    const delivery = { messageId: m.id, conversationId: m.conversationId, senderId: m.senderId, seq: m.seq };
    const entries = log.inboxEntries(members.people.keys(), lastOf(record));
    const calls = [...members.people.keys()].map((userId) => {
      const inbox = entries.get(userId)!;
      const call: HubCall =
        userId === m.senderId
          ? { inbox, out: events.toSender, opts: { exceptSid } }
          : { inbox, out: events.toRecipients, opts: { delivery } };
      return this.#mail.send(userId, call);
    });
    await Promise.all(calls);
  }

  #delivered(seqs: number[]) {
    const log = this.#log;
    if (!log) return;
    const now = Date.now();
    for (const m of log.markDelivered(seqs, now)) {
      void this.#mail.send(m.senderId, { out: [["message_status", messageStatusPayload({ messageId: m.id, conversationId: m.conversationId, seq: m.seq }, "delivered", new Date(now))]] });
    }
  }

  /** Messages reached a recipient's connection (live, or replayed to a recovering one). */
  async markDelivered(conversationId: string, seqs: number[]): Promise<void> {
    await this.#load(conversationId);
    this.#delivered(seqs);
  }

  /** Resolves when every hub call queued so far has been made (tests). */
  async deliveriesIdle(): Promise<void> {
    await this.#mail.idle();
  }

  // ---- reading ----

  /** The newest-first window: skip the `skip` newest, take `limit`, oldest first. */
  async history(conversationId: string, viewerId: string, skip: number, limit: number): Promise<MessagePage | RoomError> {
    const found = await this.#member(conversationId, viewerId);
    if (!found) return notFound();
    const { log, members } = found;
    const total = log.lastSeq;
    const hi = Math.max(0, total - skip);
    const lo = Math.max(0, hi - limit);
    return { records: log.hydrate(log.range(lo, hi), members.people), total, hasOlder: lo > 0 };
  }

  /** The messages after `since` (a seq or a moment), oldest first, at most `limit`. */
  async since(conversationId: string, viewerId: string, since: Since, limit: number): Promise<CatchUp | RoomError> {
    const found = await this.#member(conversationId, viewerId);
    if (!found) return notFound();
    const { log, members } = found;
    const list = "seq" in since ? log.range(since.seq, Math.min(log.lastSeq, since.seq + limit + 1)) : log.after(since.at.getTime(), limit + 1);
    const hasMore = list.length > limit;
    const page = hasMore ? list.slice(0, limit) : list;
    return { records: log.hydrate(page, members.people), lastSeq: log.lastSeq, hasMore };
  }

  async message(conversationId: string, viewerId: string, messageId: string): Promise<MessageRecord | RoomError> {
    const found = await this.#member(conversationId, viewerId);
    if (!found) return notFound();
    const m = found.log.byId(messageId);
    return m ? found.log.hydrate([m], found.members.people)[0] : notFound("Message not found");
  }

  async unread(conversationId: string, viewerId: string): Promise<number | RoomError> {
    const found = await this.#member(conversationId, viewerId);
    if (!found) return notFound();
    return found.log.position(viewerId)?.unread ?? 0;
  }

  // ---- reads ----

  /**
   * `readerId` read one message (`messageId`: it and everything before it)
   * or the whole conversation. Every check runs before anything is written.
   * The reader's inbox is updated before this answers; senders whose
   * messages became read get `message_status` (+ 002 `message_read` for a
   * single message), and a whole-conversation read sends 004
   * `marked_as_read` to the connections that joined the room (except
   * `exceptPid`, which gets its own confirmation).
   */
  async read(conversationId: string, readerId: string, opts: { messageId?: string; exceptPid?: string | null } = {}): Promise<ReadOutcome | RoomError> {
    const found = await this.#member(conversationId, readerId);
    if (!found) return notFound();
    const { log, members } = found;
    const target = opts.messageId ? log.byId(opts.messageId) : null;
    if (opts.messageId && !target) return notFound("Message not found");
    const now = Date.now();
    let before: number;
    let after: number;
    let modified = 0;
    if (target) {
      if (target.senderId === readerId) {
        before = after = log.position(readerId)!.readSeq;
      } else {
        ({ before, after } = log.readUpTo(readerId, target.seq, now));
      }
    } else {
      ({ before, after, modified } = log.readAll(readerId, now));
    }
    const reader = members.people.get(readerId)!;
    const at = new Date(now);
    if (after > before) this.#readStatuses(log, members, reader, before, after, at);
    if (target && target.senderId !== readerId) {
      void this.#mail.send(target.senderId, { out: [["message_read", messageRead002(target.id, conversationId, reader, at)]] });
    }
    if (!target) void this.#emitJoined(conversationId, [["marked_as_read", markedAsRead004(conversationId, reader)]], { exceptPid: opts.exceptPid ?? null });
    await this.#mail.send(readerId, { inbox: log.inboxEntry(readerId) });
    return {
      record: target ? log.hydrate([log.byId(target.id)!], members.people)[0] : null,
      modifiedCount: modified,
      readSeqBefore: before,
      readSeqAfter: after,
    };
  }

  /** Senders whose messages became read (1-on-1: the recipient read them; group: every other member has) hear it. */
  #readStatuses(log: MessageLog, members: Members, reader: Person, lo: number, hi: number, at: Date) {
    const positions = log.positions();
    for (const senderId of log.sendersBetween(lo, hi, reader.id)) {
      const others = [...positions].filter(([id]) => id !== senderId && id !== reader.id).map(([, p]) => p.readSeq);
      const othersMin = others.length ? Math.min(...others) : Number.POSITIVE_INFINITY;
      const before = Math.min(lo, othersMin);
      const after = Math.min(hi, othersMin);
      if (after <= before || !members.people.has(senderId)) continue;
      const newest = log.newestOf(senderId, before, after);
      if (!newest) continue;
      const payload = messageStatusPayload({ messageId: newest.id, conversationId: newest.conversationId, seq: newest.seq }, "read", at, reader);
      void this.#mail.send(senderId, { out: [["message_status", payload]] });
    }
  }

  // ---- edits and deletes ----

  async edit(conversationId: string, userId: string, messageId: string, text: string): Promise<MessageRecord | RoomError> {
    return this.#change(conversationId, userId, messageId, "edit", (log, m) => {
      if (m.deleted) return { ok: false, status: 400, error: "messageId: a deleted message cannot be edited" };
      if (!text.trim() && !m.attachmentUrl && m.payload === null) return { ok: false, status: 400, error: "message: must not be empty" };
      log.edit(m.seq, text, Date.now());
      return null;
    });
  }

  /** Soft delete (sender only); deleting twice changes nothing. */
  async remove(conversationId: string, userId: string, messageId: string): Promise<MessageRecord | RoomError> {
    return this.#change(conversationId, userId, messageId, "delete", (log, m) => {
      log.remove(m.seq, userId, Date.now());
      return null;
    });
  }

  async #change(
    conversationId: string,
    userId: string,
    messageId: string,
    action: "edit" | "delete",
    apply: (log: MessageLog, m: Message) => RoomError | null,
  ): Promise<MessageRecord | RoomError> {
    const found = await this.#member(conversationId, userId);
    if (!found) return notFound("Message not found");
    const { log, members } = found;
    const m = log.byId(messageId);
    if (!m) return notFound("Message not found");
    if (m.senderId !== userId) return { ok: false, status: 403, error: `Only the sender can ${action} this message` };
    const refused = apply(log, m);
    if (refused) return refused;
    const record = log.hydrate([log.byId(messageId)!], members.people)[0];
    // every member's devices hear it at once; the last message and unread counts in inboxes may have changed
    const out = messageChangeEvents(action === "edit" ? "edited" : "deleted", record);
    const entries = log.inboxEntries(members.people.keys());
    await Promise.all([...entries].map(([id, inbox]) => this.#mail.send(id, { inbox, out })));
    return record;
  }

  // ---- typing ----

  #typists(): Map<string, Typist> {
    return new Map(Object.entries(this.ctx.storage.kv.get<Record<string, Typist>>("typing") ?? {}));
  }

  #saveTypists(map: Map<string, Typist>) {
    if (map.size) this.ctx.storage.kv.put("typing", Object.fromEntries(map));
    else this.ctx.storage.kv.delete("typing");
  }

  /** One alarm: the next typing expiry, or a retry of parked hub calls. */
  async #armAlarm() {
    const typing = [...this.#typists().values()].map((t) => t.until);
    const retry = this.#mail.hasBacklog() ? [Date.now() + BACKLOG_RETRY_MS] : [];
    const next = Math.min(...typing, ...retry);
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
  }

  /**
   * `user` (a member) starts (renews) or stops typing. The others hear about
   * changes only (a renewal is silent). Answers whether the user is now typing.
   */
  async typing(conversationId: string, userId: string, on: boolean): Promise<{ typing: boolean; changed: boolean } | RoomError> {
    const members = await this.#load(conversationId);
    const user = members?.people.get(userId);
    if (!members || !user) return notFound();
    const other = this.#other(members, userId);
    if (other && members.blocks.has(`${other}:${userId}`)) return { ok: false, status: 403, error: "Access denied" };
    const now = Date.now();
    const map = this.#typists();
    const was = (map.get(userId)?.until ?? 0) > now;
    if (on) map.set(userId, { ...user, until: now + TYPING_TTL_MS });
    else if (!map.delete(userId)) return { typing: false, changed: false };
    this.#saveTypists(map);
    await this.#armAlarm();
    const changed = on !== was;
    if (changed) await this.#emitTyping(conversationId, members, user, on);
    return { typing: on, changed };
  }

  /** Who is typing now (tests and diagnostics). */
  async typingNow(): Promise<{ userId: string; until: number }[]> {
    const now = Date.now();
    return [...this.#typists().values()].filter((t) => t.until > now).map((t) => ({ userId: t.id, until: t.until }));
  }

  /** Typing indicators whose time is up end by themselves; parked hub calls are tried again. */
  async alarm(): Promise<void> {
    const conversationId = this.#conversationId();
    const map = this.#typists();
    const now = Date.now();
    const expired = [...map.values()].filter((t) => t.until <= now);
    for (const t of expired) map.delete(t.id);
    this.#saveTypists(map);
    if (this.#mail.hasBacklog()) await this.#mail.drain();
    await this.#armAlarm();
    const members = conversationId ? await this.#load(conversationId) : null;
    if (conversationId && members) await Promise.all(expired.map((t) => this.#emitTyping(conversationId, members, t, false)));
  }

  /** Standard dialect: every connection of the other members. Chat-socket: the other members' connections that joined the room. */
  async #emitTyping(conversationId: string, members: Members, user: Person, isTyping: boolean) {
    const events = typingEvents(user, conversationId, isTyping);
    await Promise.all([
      ...[...members.people.keys()].filter((id) => id !== user.id).map((id) => this.#mail.send(id, { out: { standard: events.standard, "chat-socket": [] } })),
      this.#emitJoined(conversationId, { standard: [], "chat-socket": events["chat-socket"] }, { exceptUserId: user.id }),
    ]);
  }

  // ---- the room: connections that joined ----

  /** The connection (recovery session `pid`) of member `userId` joined the room. */
  async join(conversationId: string, userId: string, pid: string): Promise<boolean> {
    if (!(await this.#member(conversationId, userId))) return false;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO joined (pid, user_id, joined_at) VALUES (?, ?, ?)", pid, userId, Date.now());
    return true;
  }

  async isMember(conversationId: string, userId: string): Promise<boolean> {
    return (await this.#member(conversationId, userId)) !== null;
  }

  /** Answers whether that connection had joined. */
  async leave(userId: string, pid: string): Promise<boolean> {
    return this.ctx.storage.sql.exec("DELETE FROM joined WHERE pid = ? AND user_id = ?", pid, userId).rowsWritten > 0;
  }

  async joined(): Promise<{ pid: string; userId: string }[]> {
    return this.ctx.storage.sql
      .exec<{ pid: string; user_id: string }>("SELECT pid, user_id FROM joined ORDER BY joined_at")
      .toArray()
      .map((r) => ({ pid: r.pid, userId: r.user_id }));
  }

  /** Emits to the connections that joined the room (current members only); resolves to how many got it. */
  async emitToJoined(conversationId: string, out: Outbound, exceptPid: string | null = null): Promise<number> {
    return this.#emitJoined(conversationId, out, { exceptPid });
  }

  async #emitJoined(conversationId: string, out: Outbound, opts: { exceptPid?: string | null; exceptUserId?: string }): Promise<number> {
    const sql = this.ctx.storage.sql;
    const rows = await this.joined();
    if (!rows.length) return 0;
    const members = await this.#load(conversationId);
    const counts = await Promise.all(
      rows.map(async (r) => {
        if (!members?.people.has(r.userId)) {
          sql.exec("DELETE FROM joined WHERE pid = ?", r.pid);
          return 0;
        }
        if (r.pid === opts.exceptPid || r.userId === opts.exceptUserId) return 0;
        const reached = await this.#mail.send(r.userId, { out, opts: { onlyPid: r.pid } });
        if (reached === -1) sql.exec("DELETE FROM joined WHERE pid = ?", r.pid);
        return Math.max(reached ?? 0, 0);
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }
}

/** What an inbox shows of a message just sent. */
function lastOf(r: MessageRecord): LastMessage {
  const m = r.message;
  return { id: m.id, seq: m.seq, senderId: m.senderId, sender: r.sender, text: m.text, type: m.type, deleted: false, edited: false, createdAt: m.createdAt };
}

/** The other member of a 1-on-1 from its pair key (when that member left). */
function otherInPairKey(pairKey: string | null, me: string): string | null {
  if (!pairKey) return null;
  const [a, b] = pairKey.split(":");
  return a === me ? b : a;
}

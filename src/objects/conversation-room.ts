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
 * After a commit the room fans the message out (./room-fan-out.ts): one
 * call per member to the member's UserHub, which keeps the member's inbox
 * (last message, unread count) and recovery log and passes the events to
 * every connected device. Members' lanes run side by side; each member gets
 * the conversation's messages in `seq` order, also across a restart.
 *
 * Also live here: typing (who is typing until when; the alarm ends it) and
 * the room of connections that joined (004 `join_conversation`, 003
 * `joinGroup`), by recovery session id so a recovered connection stays in.
 */
import { DurableObject } from "cloudflare:workers";
import { ROOM_SCHEMA } from "../db/room-schema";
import type { CatchUp, Message, MessagePage, MessageRecord, Person, Since } from "../domain/message-model";
import type { MembershipChange } from "../domain/read-models";
import type { Env } from "../env";
import type { Outbound, RoomTargeting } from "../domain/outbound";
import { markedAsRead004, messageChangeEvents, messageRead002, messageStatusPayload, typingEvents } from "../views/events";
import { BACKLOG_RETRY_MS, HubMail } from "./hub-mail";
import { MessageLog } from "./message-log";
import { notFound, type ReadOutcome, type RoomError, type SendOutcome, type SendRequest } from "./room-api";
import { announcement, blockedIn, loadMembers, type Members, otherMember } from "./room-members";
import { RoomFanOut } from "./room-fan-out";
import { catchUp, historyPage, messageById, type RoomView, unreadOf } from "./room-reads";
import { TypingState } from "./room-typing";
import type { ConversationRoomRpc } from "./rpc";
import { ownName } from "./stubs";

export { TYPING_TTL_MS } from "./room-typing";
export type { ReadOutcome, RoomError, SendOutcome, SendRequest } from "./room-api";

/** A group send over a socket is answered once committed while fewer fan-outs than this are under way. */
export const EARLY_ANSWER_MAX_PENDING = 32;

export class ConversationRoom extends DurableObject<Env> implements ConversationRoomRpc {
  /** the conversation's `_id` (the name the room is reached by) */
  readonly #id: string;
  #members: Members | null = null;
  #loading: Promise<Members | null> | null = null;
  #log!: MessageLog;
  #mail!: HubMail;
  #fanOut!: RoomFanOut;
  readonly #typing: TypingState;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#id = ownName(ctx);
    this.#typing = new TypingState(ctx.storage.kv);
    // the schema exists, and the log and mail read their state, before any request is handled
    void ctx.blockConcurrencyWhile(async () => {
      for (const statement of ROOM_SCHEMA) ctx.storage.sql.exec(statement);
      this.#log = new MessageLog(ctx.storage.sql, this.#id);
      this.#mail = new HubMail(ctx.storage.sql, env, () => void this.#armAlarm());
      this.#fanOut = new RoomFanOut(ctx.storage.sql, this.#log, this.#mail);
      await this.#fanOutOwed();
    });
  }

  /**
   * After a restart: messages committed whose fan-out may not have reached
   * every hub go out again, before anything else is handled (so each member
   * still gets them in order; a hub skips what it already has).
   */
  async #fanOutOwed() {
    const messages = this.#fanOut.owed();
    if (!messages.length) return;
    try {
      const members = await this.#load();
      if (!members) return;
      for (const record of this.#log.hydrate(messages, members.people)) {
        this.ctx.waitUntil(this.#fanOut.message(members, record, null).then(({ done }) => done));
      }
    } catch (err) {
      // the mark stays behind them: the next start tries again
      console.error("fanning out owed messages failed", this.#id, err);
    }
  }

  // ---- membership cache ----

  /** The cached members, loaded from D1 once (one batch); null when the conversation does not exist. */
  async #load(): Promise<Members | null> {
    this.#fanOut.flushNoted();
    if (this.#members) return this.#members;
    this.#loading ??= this.#fetchMembers().finally(() => (this.#loading = null));
    return this.#loading;
  }

  async #fetchMembers(): Promise<Members | null> {
    const conversationId = this.#id;
    const members = await loadMembers(this.env.DB, conversationId);
    if (!members) return null;
    const log = this.#log;
    log.savePeople([...members.people.values()]);
    const { added, removed } = log.syncMembers(members.joined);
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
  async invalidate(change?: MembershipChange): Promise<void> {
    this.#members = null;
    const members = await this.#load();
    if (!members || !change) return;
    // members added, removed or leaving, or a rename, reach every member's devices at once (and those who were removed or left)
    const { out, to } = announcement(this.#log, members, change, this.#id);
    await Promise.all([...to].map((id) => this.#mail.send(id, { out })));
  }

  async #member(userId: string): Promise<RoomView | null> {
    const members = await this.#load();
    if (!members?.people.has(userId)) return null;
    return { members, log: this.#log };
  }

  // ---- sending ----

  /** Checks, commits and answers a new message; delivery follows without holding up the answer. */
  async send(req: SendRequest): Promise<SendOutcome> {
    const members = await this.#load();
    const rejoin = req.addressedUser && members?.conversation.type === "1on1" && members.people.size < 2;
    if (!members || rejoin || !members.people.has(req.senderId)) return rejoin ? { ...notFound(), rejoin: true } : notFound();
    const log = this.#log;
    const other = otherMember(members, req.senderId);
    if (blockedIn(members, req.senderId)) return { ok: false, status: 403, error: "Access denied" };
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
    // A socket send to a group is answered once committed (the fan-out mark makes its delivery
    // survive a restart), unless the fan-outs under way are many: then, as a 1-on-1 send, once the
    // recipients' hubs have it (so senders cannot outrun delivery, and the answer tells whether it
    // was delivered); a REST send once the sender's own inbox has it too.
    const early = req.senderCopyAfterAnswer && members.people.size > 2 && this.#fanOut.pending < EARLY_ANSWER_MAX_PENDING;
    const fanOut = this.#fanOut.message(members, record, req.exceptSid, !early);
    this.ctx.waitUntil(fanOut.then(({ done }) => done));
    if (early) return { ok: true, record, created: true };
    const { done, deliveredAt } = await fanOut;
    if (!req.senderCopyAfterAnswer) await done;
    return { ok: true, record, created: true, deliveredAt };
  }

  /** Messages reached a recipient's connection (live, or replayed to a recovering one). */
  async markDelivered(seqs: number[]): Promise<void> {
    await this.#load();
    const now = Date.now();
    for (const m of this.#log.markDelivered(seqs, now)) {
      void this.#mail.send(m.senderId, { out: [["message_status", messageStatusPayload({ messageId: m.id, conversationId: m.conversationId, seq: m.seq }, "delivered", new Date(now))]] });
    }
  }

  /** Resolves when every hub call queued so far has been made and noted deliveries are written (tests). */
  async deliveriesIdle(): Promise<void> {
    await this.#mail.idle();
    this.#fanOut.flushNoted();
  }

  // ---- reading ----

  async history(viewerId: string, skip: number, limit: number): Promise<MessagePage | RoomError> {
    const view = await this.#member(viewerId);
    return view ? historyPage(view, skip, limit) : notFound();
  }

  async since(viewerId: string, since: Since, limit: number): Promise<CatchUp | RoomError> {
    const view = await this.#member(viewerId);
    return view ? catchUp(view, since, limit) : notFound();
  }

  async message(viewerId: string, messageId: string): Promise<MessageRecord | RoomError> {
    const view = await this.#member(viewerId);
    return view ? messageById(view, messageId) : notFound();
  }

  async unread(viewerId: string): Promise<number | RoomError> {
    const view = await this.#member(viewerId);
    return view ? unreadOf(view, viewerId) : notFound();
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
  async read(readerId: string, opts: { messageId?: string } & Pick<RoomTargeting, "exceptPid"> = {}): Promise<ReadOutcome | RoomError> {
    const conversationId = this.#id;
    const found = await this.#member(readerId);
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
    if (!target) void this.#emitJoined([["marked_as_read", markedAsRead004(conversationId, reader)]], { exceptPid: opts.exceptPid ?? null });
    await this.#mail.send(readerId, { inbox: log.inboxEntry(readerId) });
    return {
      record: target ? log.hydrate([log.byId(target.id)!], members.people)[0] : null,
      modifiedCount: modified,
      readSeqBefore: before,
      readSeqAfter: after,
    };
  }

  /** Senders whose messages became read hear it: `message_status` "read" with their newest such message. */
  #readStatuses(log: MessageLog, members: Members, reader: Person, lo: number, hi: number, at: Date) {
    for (const newest of log.newlyRead(reader.id, lo, hi)) {
      if (!members.people.has(newest.senderId)) continue;
      const payload = messageStatusPayload({ messageId: newest.id, conversationId: newest.conversationId, seq: newest.seq }, "read", at, reader);
      void this.#mail.send(newest.senderId, { out: [["message_status", payload]] });
    }
  }

  // ---- edits and deletes ----

  async edit(userId: string, messageId: string, text: string): Promise<MessageRecord | RoomError> {
    return this.#change(userId, messageId, "edit", (log, m) => {
      if (m.deleted) return { ok: false, status: 400, error: "messageId: a deleted message cannot be edited" };
      if (!text.trim() && !m.attachmentUrl && m.payload === null) return { ok: false, status: 400, error: "message: must not be empty" };
      log.edit(m.seq, text, Date.now());
      return null;
    });
  }

  /** Soft delete (sender only); deleting twice changes nothing. */
  async remove(userId: string, messageId: string): Promise<MessageRecord | RoomError> {
    return this.#change(userId, messageId, "delete", (log, m) => {
      log.remove(m.seq, userId, Date.now());
      return null;
    });
  }

  async #change(
    userId: string,
    messageId: string,
    action: "edit" | "delete",
    apply: (log: MessageLog, m: Message) => RoomError | null,
  ): Promise<MessageRecord | RoomError> {
    const found = await this.#member(userId);
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

  /** One alarm: the next typing expiry, or a retry of parked hub calls. */
  async #armAlarm() {
    const typing = this.#typing.nextEnd() ?? Number.POSITIVE_INFINITY;
    const retry = this.#mail.hasBacklog() ? [Date.now() + BACKLOG_RETRY_MS] : [];
    const next = Math.min(typing, ...retry);
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
  }

  /**
   * `user` (a member) starts (renews) or stops typing. The others hear about
   * changes only (a renewal is silent). Answers whether the user is now typing.
   */
  async typing(userId: string, on: boolean): Promise<{ typing: boolean; changed: boolean } | RoomError> {
    const members = await this.#load();
    const user = members?.people.get(userId);
    if (!members || !user) return notFound();
    if (blockedIn(members, userId)) return { ok: false, status: 403, error: "Access denied" };
    const { changed } = this.#typing.set(user, on, Date.now());
    await this.#armAlarm();
    if (changed) await this.#emitTyping(members, user, on);
    return { typing: on, changed };
  }

  /** Who is typing now (tests and diagnostics). */
  async typingNow(): Promise<{ userId: string; until: number }[]> {
    return this.#typing.active(Date.now()).map((t) => ({ userId: t.id, until: t.until }));
  }

  /** Typing indicators whose time is up end by themselves; parked hub calls are tried again. */
  async alarm(): Promise<void> {
    const expired = this.#typing.expire(Date.now());
    if (this.#mail.hasBacklog()) await this.#mail.drain();
    await this.#armAlarm();
    const members = await this.#load();
    if (members) await Promise.all(expired.map((t) => this.#emitTyping(members, t, false)));
  }

  /** Standard dialect: every connection of the other members. Chat-socket: the other members' connections that joined the room. */
  async #emitTyping(members: Members, user: Person, isTyping: boolean) {
    const events = typingEvents(user, this.#id, isTyping);
    await Promise.all([
      ...[...members.people.keys()].filter((id) => id !== user.id).map((id) => this.#mail.send(id, { out: { standard: events.standard, "chat-socket": [] } })),
      this.#emitJoined({ standard: [], "chat-socket": events["chat-socket"] }, { exceptUserId: user.id }),
    ]);
  }

  // ---- the room: connections that joined ----

  /** The connection (recovery session `pid`) of member `userId` joined the room. */
  async join(userId: string, pid: string): Promise<boolean> {
    if (!(await this.#member(userId))) return false;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO joined (pid, user_id, joined_at) VALUES (?, ?, ?)", pid, userId, Date.now());
    return true;
  }

  async isMember(userId: string): Promise<boolean> {
    return (await this.#member(userId)) !== null;
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

  /** Emits to the connections that joined the room (current members only); forgets connections that are gone. */
  async #emitJoined(out: Outbound, opts: RoomTargeting): Promise<void> {
    const sql = this.ctx.storage.sql;
    const rows = await this.joined();
    if (!rows.length) return;
    const members = await this.#load();
    await Promise.all(
      rows.map(async (r) => {
        const gone = !members?.people.has(r.userId);
        if (!gone && (r.pid === opts.exceptPid || r.userId === opts.exceptUserId)) return;
        if (gone || (await this.#mail.send(r.userId, { out, opts: { onlyPid: r.pid } })) === -1) sql.exec("DELETE FROM joined WHERE pid = ?", r.pid);
      }),
    );
  }
}

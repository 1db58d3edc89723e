/**
 * The message log of one conversation, over its room's SQLite storage
 * (schema: src/db/room-schema.ts). Every method is synchronous: the room
 * calls it between awaits, so each write (an append with its counters, a
 * read, an edit, a delete) is one atomic step of the object.
 *
 *   unread(member) = messages from others, not deleted, with seq > read_seq
 *
 * is kept on write, so counting never scans history.
 */
import type { InboxEntry, LastMessage, Message, MessageRecord, Person } from "../domain/message-model";
import { messageId } from "../lib/ids";

type Row = {
  seq: number;
  id: string;
  sender_id: string;
  recipient_id: string | null;
  type: string;
  text: string;
  attachment_type: string | null;
  attachment_url: string | null;
  upload_id: string | null;
  payload: string | null;
  reply_to: string | null;
  client_msg_id: string | null;
  created_at: number;
  delivered_at: number | null;
  edited: number;
  edited_at: number | null;
  deleted: number;
  deleted_by: string | null;
  deleted_at: number | null;
};

type ReadRow = { user_id: string; read_seq: number; read_at: number | null; unread: number; joined_at: number; active: number };

export interface ReadPosition {
  readSeq: number;
  readAt: number | null;
  unread: number;
}

/** What a sender hands the log (the room fills seq, id and times). */
export type NewMessage = Pick<
  Message,
  "senderId" | "recipientId" | "type" | "text" | "attachmentType" | "attachmentUrl" | "uploadId" | "payload" | "replyTo" | "clientMsgId"
>;

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

export class MessageLog {
  #lastSeq: number;
  #lastAt: number;
  #rev: number;

  constructor(
    private readonly sql: SqlStorage,
    readonly conversationId: string,
  ) {
    const last = this.sql.exec<{ s: number | null; at: number | null }>("SELECT max(seq) AS s, max(created_at) AS at FROM messages").one();
    this.#lastSeq = last.s ?? 0;
    this.#lastAt = last.at ?? 0;
    this.#rev = 0;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  #message(r: Row): Message {
    return {
      id: r.id,
      conversationId: this.conversationId,
      seq: r.seq,
      senderId: r.sender_id,
      recipientId: r.recipient_id,
      type: r.type,
      text: r.text,
      attachmentType: r.attachment_type,
      attachmentUrl: r.attachment_url,
      uploadId: r.upload_id,
      payload: r.payload,
      replyTo: r.reply_to,
      clientMsgId: r.client_msg_id,
      createdAt: new Date(r.created_at),
      deliveredAt: date(r.delivered_at),
      edited: r.edited === 1,
      editedAt: date(r.edited_at),
      deleted: r.deleted === 1,
      deletedBy: r.deleted_by,
      deletedAt: date(r.deleted_at),
    };
  }

  #select(where: string, ...binds: (string | number)[]): Message[] {
    return this.sql
      .exec<Row>(`SELECT * FROM messages ${where}`, ...binds)
      .toArray()
      .map((r) => this.#message(r));
  }

  // ---- appending ----

  /** Stores the next message: gap-free `seq`, a time that never goes back against it, counters of the others +1. */
  append(m: NewMessage, now: number): Message {
    const seq = this.#lastSeq + 1;
    const at = Math.max(now, this.#lastAt);
    const id = messageId(at, this.conversationId, seq);
    this.sql.exec(
      `INSERT INTO messages (seq, id, sender_id, recipient_id, type, text, attachment_type, attachment_url, upload_id, payload, reply_to, client_msg_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      seq,
      id,
      m.senderId,
      m.recipientId,
      m.type,
      m.text,
      m.attachmentType,
      m.attachmentUrl,
      m.uploadId,
      m.payload,
      m.replyTo,
      m.clientMsgId,
      at,
    );
    this.sql.exec("UPDATE reads SET unread = unread + 1 WHERE active = 1 AND user_id != ?", m.senderId);
    this.#lastSeq = seq;
    this.#lastAt = at;
    return {
      ...m,
      id,
      conversationId: this.conversationId,
      seq,
      createdAt: new Date(at),
      deliveredAt: null,
      edited: false,
      editedAt: null,
      deleted: false,
      deletedBy: null,
      deletedAt: null,
    };
  }

  byClientId(senderId: string, clientMsgId: string): Message | null {
    return this.#select("WHERE sender_id = ? AND client_msg_id = ?", senderId, clientMsgId)[0] ?? null;
  }

  byId(id: string): Message | null {
    return this.#select("WHERE id = ?", id)[0] ?? null;
  }

  /** Messages with lo < seq <= hi, oldest first. */
  range(lo: number, hi: number): Message[] {
    if (hi <= lo) return [];
    return this.#select("WHERE seq > ? AND seq <= ? ORDER BY seq", lo, hi);
  }

  /** Up to `limit` messages after a moment, oldest first (times never go back against seq). */
  after(at: number, limit: number): Message[] {
    return this.#select("WHERE created_at > ? ORDER BY seq LIMIT ?", at, limit);
  }

  // ---- read positions ----

  position(userId: string): ReadPosition | null {
    const r = this.sql.exec<ReadRow>("SELECT * FROM reads WHERE user_id = ? AND active = 1", userId).toArray()[0];
    return r ? { readSeq: r.read_seq, readAt: r.read_at, unread: r.unread } : null;
  }

  positions(): Map<string, ReadPosition> {
    return new Map(
      this.sql
        .exec<ReadRow>("SELECT * FROM reads WHERE active = 1")
        .toArray()
        .map((r) => [r.user_id, { readSeq: r.read_seq, readAt: r.read_at, unread: r.unread }]),
    );
  }

  /**
   * Brings the read positions in line with the current members: a new (or
   * re-joined) member starts at the end of the log, with nothing unread; a
   * departed one is kept inactive. Answers who joined and who left.
   */
  syncMembers(members: { id: string; joinedAt: number }[]): { added: string[]; removed: string[] } {
    const rows = new Map(this.sql.exec<ReadRow>("SELECT * FROM reads").toArray().map((r) => [r.user_id, r]));
    const added: string[] = [];
    const current = new Set<string>();
    for (const m of members) {
      current.add(m.id);
      const r = rows.get(m.id);
      if (r && r.active === 1 && r.joined_at === m.joinedAt) continue;
      this.sql.exec(
        "INSERT OR REPLACE INTO reads (user_id, read_seq, read_at, unread, joined_at, active) VALUES (?, ?, NULL, 0, ?, 1)",
        m.id,
        this.#lastSeq,
        m.joinedAt,
      );
      added.push(m.id);
    }
    const removed = [...rows.values()].filter((r) => r.active === 1 && !current.has(r.user_id)).map((r) => r.user_id);
    for (const id of removed) this.sql.exec("UPDATE reads SET active = 0 WHERE user_id = ?", id);
    return { added, removed };
  }

  #recount(userId: string, position: number): number {
    return this.sql.exec<{ n: number }>(
      "SELECT count(*) AS n FROM messages WHERE seq > ? AND sender_id != ? AND deleted = 0",
      position,
      userId,
    ).one().n;
  }

  /** `userId` read message `seq` and everything before it (a receipt records when). */
  readUpTo(userId: string, seq: number, now: number): { before: number; after: number } {
    const p = this.position(userId)!;
    if (p.readSeq >= seq) {
      this.sql.exec("INSERT OR IGNORE INTO receipts (message_seq, user_id, read_at) VALUES (?, ?, ?)", seq, userId, now);
      return { before: p.readSeq, after: p.readSeq };
    }
    this.sql.exec("UPDATE reads SET read_seq = ?, read_at = ?, unread = ? WHERE user_id = ?", seq, now, this.#recount(userId, seq), userId);
    this.sql.exec("INSERT OR IGNORE INTO receipts (message_seq, user_id, read_at) VALUES (?, ?, ?)", seq, userId, now);
    return { before: p.readSeq, after: seq };
  }

  /** `userId` read everything: the position jumps to the end and the counter resets. */
  readAll(userId: string, now: number): { before: number; after: number; modified: number } {
    const p = this.position(userId)!;
    const after = Math.max(p.readSeq, this.#lastSeq);
    this.sql.exec("UPDATE reads SET read_seq = ?, read_at = ?, unread = 0 WHERE user_id = ?", after, now, userId);
    return { before: p.readSeq, after, modified: p.unread };
  }

  /**
   * After `readerId`'s position moved from `lo` to `hi`: for each sender
   * whose messages became read by it (1-on-1: the recipient read them;
   * group: every other member has read them too), the newest such message.
   */
  newlyRead(readerId: string, lo: number, hi: number): Message[] {
    const positions = this.positions();
    const senders = this.sql
      .exec<{ s: string }>("SELECT DISTINCT sender_id AS s FROM messages WHERE seq > ? AND seq <= ? AND sender_id != ?", lo, hi, readerId)
      .toArray()
      .map((r) => r.s);
    return senders.flatMap((senderId) => {
      const others = [...positions].filter(([id]) => id !== senderId && id !== readerId).map(([, p]) => p.readSeq);
      const othersMin = others.length ? Math.min(...others) : Number.POSITIVE_INFINITY;
      const before = Math.min(lo, othersMin);
      const after = Math.min(hi, othersMin);
      if (after <= before) return [];
      return this.#select("WHERE sender_id = ? AND seq > ? AND seq <= ? ORDER BY seq DESC LIMIT 1", senderId, before, after);
    });
  }

  // ---- edits, deletes, delivery ----

  edit(seq: number, text: string, now: number): void {
    this.sql.exec("UPDATE messages SET text = ?, edited = 1, edited_at = ? WHERE seq = ? AND deleted = 0", text, now, seq);
  }

  /** Soft delete: members who had not read it get their counter decremented. */
  remove(seq: number, by: string, now: number): void {
    const m = this.#select("WHERE seq = ?", seq)[0];
    if (!m || m.deleted) return;
    this.sql.exec("UPDATE messages SET deleted = 1, deleted_by = ?, deleted_at = ? WHERE seq = ?", by, now, seq);
    this.sql.exec("UPDATE reads SET unread = max(unread - 1, 0) WHERE active = 1 AND user_id != ? AND read_seq < ?", m.senderId, seq);
  }

  /**
   * New messages a live connection had, not yet written: noted in memory by
   * the send that learned it and written with the room's next write (or
   * read, or its flush timer), so a send costs one storage transaction, not two.
   */
  #deliveredSoon = new Map<number, number>();

  /** Notes message `seq` delivered at `at` (see flushDelivered); the first time counts. */
  noteDelivered(seq: number, at: number): void {
    if (!this.#deliveredSoon.has(seq)) this.#deliveredSoon.set(seq, at);
  }

  /** Writes the delivered times noted so far; every read and write of the room calls this first. */
  flushDelivered(): void {
    if (!this.#deliveredSoon.size) return;
    for (const [seq, at] of this.#deliveredSoon) this.sql.exec("UPDATE messages SET delivered_at = ? WHERE seq = ? AND delivered_at IS NULL", at, seq);
    this.#deliveredSoon.clear();
  }

  /** Marks messages delivered (first time only); answers the ones that changed. */
  markDelivered(seqs: number[], now: number): Message[] {
    this.flushDelivered();
    const changed: Message[] = [];
    for (const seq of new Set(seqs)) {
      const r = this.sql.exec<Row>("UPDATE messages SET delivered_at = ? WHERE seq = ? AND delivered_at IS NULL RETURNING *", now, seq).toArray()[0];
      if (r) changed.push(this.#message(r));
    }
    return changed;
  }

  // ---- people ----

  savePeople(people: Person[]): void {
    for (const p of people) this.sql.exec("INSERT OR REPLACE INTO people (user_id, json) VALUES (?, ?)", p.id, JSON.stringify(p));
  }

  people(ids: Iterable<string>): Map<string, Person> {
    const out = new Map<string, Person>();
    for (const id of new Set(ids)) {
      const r = this.sql.exec<{ json: string }>("SELECT json FROM people WHERE user_id = ?", id).toArray()[0];
      if (r) out.set(id, JSON.parse(r.json) as Person);
    }
    return out;
  }

  // ---- read models ----

  /** Attaches sender, recipient and read state (current members' positions and receipts). */
  hydrate(list: Message[], known: Map<string, Person> = new Map()): MessageRecord[] {
    if (!list.length) return [];
    const positions = this.positions();
    const missing = list.flatMap((m) => [m.senderId, m.recipientId]).filter((id): id is string => !!id && !known.has(id));
    const people = new Map([...known, ...this.people(missing)]);
    const lo = list[0].seq;
    const hi = list[list.length - 1].seq;
    const receipts = new Map(
      this.sql
        .exec<{ message_seq: number; user_id: string; read_at: number }>(
          "SELECT message_seq, user_id, read_at FROM receipts WHERE message_seq >= ? AND message_seq <= ?",
          Math.min(lo, hi),
          Math.max(lo, hi),
        )
        .toArray()
        .map((r) => [`${r.message_seq}:${r.user_id}`, r.read_at]),
    );
    return list.map((message) => {
      const others = [...positions].filter(([id]) => id !== message.senderId);
      const readers = others.filter(([, p]) => p.readSeq >= message.seq);
      const read = message.recipientId ? readers.some(([id]) => id === message.recipientId) : others.length > 0 && readers.length === others.length;
      const sender = people.get(message.senderId) ?? unknownPerson(message.senderId);
      return {
        message,
        sender,
        recipient: message.recipientId ? (people.get(message.recipientId) ?? null) : null,
        seenBy: readers.map(([userId, p]) => ({ userId, timestamp: date(receipts.get(`${message.seq}:${userId}`) ?? p.readAt) })),
        read,
      };
    });
  }

  lastMessage(): LastMessage | null {
    const m = this.#select("WHERE seq = ?", this.#lastSeq)[0];
    if (!m) return null;
    const sender = this.people([m.senderId]).get(m.senderId) ?? null;
    return {
      id: m.id,
      seq: m.seq,
      senderId: m.senderId,
      sender,
      text: m.deleted ? "" : m.text,
      type: m.type,
      deleted: m.deleted,
      edited: m.edited,
      createdAt: m.createdAt,
    };
  }

  /** The inbox entries of `userIds` for this conversation, at one new revision. */
  inboxEntries(userIds: Iterable<string>, last: LastMessage | null = this.lastMessage(), lastSeq = this.#lastSeq): Map<string, InboxEntry> {
    // revisions grow across restarts without being stored: microseconds of the clock, or one more
    this.#rev = Math.max(this.#rev + 1, Date.now() * 1000);
    const positions = this.positions();
    const entries = new Map<string, InboxEntry>();
    for (const id of userIds) {
      entries.set(id, { conversationId: this.conversationId, rev: this.#rev, lastSeq, last, unread: positions.get(id)?.unread ?? 0 });
    }
    return entries;
  }

  /** `userId`'s inbox entry for this conversation, at a new revision. */
  inboxEntry(userId: string, last?: LastMessage | null): InboxEntry {
    return this.inboxEntries([userId], last).get(userId)!;
  }
}

/** A sender whose profile the room never saw (should not happen; keeps views total). */
const unknownPerson = (id: string): Person => ({ id, userId: id, name: "", email: null, username: "", profileImage: null });

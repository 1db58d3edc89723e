/**
 * A conversation's room fanning its new messages out: one call per member
 * to the member's UserHub (src/objects/hub-mail.ts: one ordered lane per
 * member, lanes side by side), the recipients first, then the sender's own
 * copy. It keeps the fan-out mark (./fan-out-mark.ts), so that after a
 * restart the room sends again what it committed but may not have fanned
 * out, and notes delivered times; both are written with the room's next
 * read or write (`flushNoted`), or at the latest NOTED_FLUSH_MS later, so a
 * send costs the room one storage transaction, not three.
 */
import type { Message, MessageRecord } from "../domain/message-model";
import { FanOutMark } from "./fan-out-mark";
import type { HubMail } from "./hub-mail";
import type { MessageLog } from "./message-log";
import { lastOf } from "./room-api";
import type { Members } from "./room-members";

/** How long a noted write may wait for the room's next write before it is written by itself. */
const NOTED_FLUSH_MS = 1_000;

export interface FannedOut {
  /** resolves once the sender's call, the last one, was made (or parked): the mark then moves past the message */
  done: Promise<unknown>;
  /** when a recipient's live connection had it (null: none had) */
  deliveredAt: Date | null;
}

export class RoomFanOut {
  readonly #mark: FanOutMark;
  #flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    sql: SqlStorage,
    private readonly log: MessageLog,
    private readonly mail: HubMail,
  ) {
    this.#mark = new FanOutMark(sql, log.lastSeq);
  }

  /** Messages whose fan-out is under way (not yet at every member's hub). */
  get pending(): number {
    return this.#mark.inFlight;
  }

  /** After a restart: the committed messages whose fan-out may not have reached every hub (marked as in flight). */
  owed(): Message[] {
    const owed = this.#mark.owed(this.log.lastSeq);
    if (!owed) return [];
    const messages = this.log.range(owed.lo, owed.hi);
    for (const m of messages) this.#mark.start(m.seq);
    return messages;
  }

  /**
   * One call per member, each on the member's lane (so every member gets the
   * conversation's messages in order); a hub answers once it has logged and
   * queued the events, not when devices got them. Resolves once the
   * recipients' hubs have it. `exceptSid`, the socket connection that sent
   * it, gets no copy; it hears the delivered status from the send's answer
   * when `answerHasStatus`, else from its hub.
   */
  async message(members: Members, record: MessageRecord, exceptSid: string | null, answerHasStatus = false): Promise<FannedOut> {
    const { log, mail } = this;
    const m = record.message;
    this.#mark.start(m.seq);
    const finish = () => {
      this.#mark.finish(m.seq, log.lastSeq);
      this.#noteWrite();
    };
    const entries = log.inboxEntries(members.people.keys(), lastOf(record), m.seq);
    const recipients = [...members.people.keys()].filter((id) => id !== m.senderId);
    const reached = await Promise.all(recipients.map((id) => mail.send(id, { inbox: entries.get(id), message: { record, role: "recipient" } })));
    // handed to a live connection of a recipient: delivered; the sender's devices hear it with their copy
    const deliveredAt = reached.some((n) => (n ?? 0) > 0) ? this.#delivered(m.seq) : null;
    if (!members.people.has(m.senderId)) {
      finish();
      return { done: Promise.resolve(), deliveredAt };
    }
    const forSender = deliveredAt ? { ...record, message: { ...m, deliveredAt } } : record;
    const done = mail
      .send(m.senderId, {
        inbox: entries.get(m.senderId),
        message: { record: forSender, role: "sender", exceptSid, deliveredAt, statusToAll: !answerHasStatus },
      })
      .then(finish);
    return { done, deliveredAt };
  }

  /** A new message reached a recipient's live connection: noted, written with the next flush. */
  #delivered(seq: number): Date {
    const at = Date.now();
    this.log.noteDelivered(seq, at);
    this.#noteWrite();
    return new Date(at);
  }

  #noteWrite() {
    this.#flushTimer ??= setTimeout(() => this.flushNoted(), NOTED_FLUSH_MS);
  }

  /** Writes the noted delivered times and the moved mark (the room calls this before every read and write). */
  flushNoted() {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    this.log.flushDelivered();
    this.#mark.flush();
  }
}

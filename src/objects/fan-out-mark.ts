/**
 * How far a conversation's room has fanned its messages out: every message
 * up to `done` has reached (or been parked for) every member's hub, the
 * sender's included. Kept in the room's storage, written lazily (with the
 * room's next write, see ./room-fan-out.ts); so after a restart the room
 * knows which committed messages may not have reached the hubs and sends
 * them again (a hub skips a message it already has, see UserHub). This is
 * what lets a group send be answered once it is committed: a stored
 * message always reaches its members' recovery logs and inboxes.
 */
/**
 * At most this many messages are sent again after a restart: the mark lags
 * the fan-out by about a second, so more owed than this means the mark was
 * lost, not the fan-out (the older ones are taken as fanned out, and logged).
 */
export const OWED_MAX = 1_000;

export class FanOutMark {
  #inFlight = new Set<number>();
  #done: number;
  #saved: number;

  constructor(
    private readonly sql: SqlStorage,
    lastSeq: number,
  ) {
    const stored = sql.exec<{ done: number }>("SELECT done FROM fan_out_mark WHERE id = 1").toArray()[0]?.done;
    // a room from before this mark: everything it has was fanned out when it was sent
    if (stored === undefined) sql.exec("INSERT INTO fan_out_mark (id, done) VALUES (1, ?)", lastSeq);
    this.#done = this.#saved = stored ?? lastSeq;
  }

  /** Messages committed but not known to have reached the hubs: seq in (lo, hi] (at most OWED_MAX). */
  owed(lastSeq: number): { lo: number; hi: number } | null {
    if (this.#done >= lastSeq) return null;
    if (lastSeq - this.#done > OWED_MAX) console.error("fan-out mark far behind the log; sending only the newest", this.#done, lastSeq);
    return { lo: Math.max(this.#done, lastSeq - OWED_MAX), hi: lastSeq };
  }

  /** Messages whose fan-out is under way. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  start(seq: number): void {
    this.#inFlight.add(seq);
  }

  /** Message `seq`'s fan-out is done; `lastSeq`: the log's newest (messages committed after it are in flight). */
  finish(seq: number, lastSeq: number): void {
    this.#inFlight.delete(seq);
    const done = this.#inFlight.size ? Math.min(...this.#inFlight) - 1 : lastSeq;
    if (done > this.#done) this.#done = done;
  }

  /** Writes the mark when it moved (called with the room's next write). */
  flush(): void {
    if (this.#done === this.#saved) return;
    this.sql.exec("UPDATE fan_out_mark SET done = ? WHERE id = 1", this.#done);
    this.#saved = this.#done;
  }
}

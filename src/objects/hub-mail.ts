/**
 * Calls from a conversation's room to its members' UserHubs, one ordered
 * lane per member: message N+1 to a member goes after message N reached
 * that member's hub, while lanes of different members run side by side (so
 * one slow device never holds up the others). A call that still fails after
 * retries is kept in the room's storage (`hub_backlog`) and the member's
 * lane parks behind it until the room's alarm sends the backlog, in order:
 * a stored message always reaches the member's recovery log.
 */
import type { Env } from "../env";
import type { HubCall } from "./rpc";
import { userHub } from "./stubs";
import { BatchLanes } from "./batch-lanes";

const RETRY_DELAYS_MS = [20, 200, 1_000];
/** When a parked lane is tried again. */
export const BACKLOG_RETRY_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HubMail {
  readonly #lanes = new BatchLanes<HubCall, number | null>((userId, calls) => this.#deliver(userId, calls));
  /** members with parked calls (mirrors `hub_backlog`, so the common case asks no query) */
  #parkedUsers: Set<string>;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    /** something was parked: the owner arms its alarm */
    private readonly onParked: () => void,
  ) {
    this.#parkedUsers = new Set(this.sql.exec<{ u: string }>("SELECT DISTINCT user_id AS u FROM hub_backlog").toArray().map((r) => r.u));
  }

  /**
   * Sends `call` to `userId`'s hub after the calls before it; resolves with
   * the hub's answer (connections reached, -1 for an unknown `onlyPid`) once
   * it got there, or null when it was parked. Calls that queue up behind the
   * one in flight go together in the next call (applied in order).
   */
  send(userId: string, call: HubCall): Promise<number | null> {
    return this.#lanes.push(userId, call);
  }

  /** Resolves when every call queued so far has reached its hub or been parked (tests). */
  idle(): Promise<void> {
    return this.#lanes.idle();
  }

  #park(userId: string, calls: HubCall[]): null[] {
    for (const call of calls) this.sql.exec("INSERT INTO hub_backlog (user_id, call) VALUES (?, ?)", userId, JSON.stringify(call));
    this.#parkedUsers.add(userId);
    this.onParked();
    return calls.map(() => null);
  }

  async #deliver(userId: string, calls: HubCall[]): Promise<(number | null)[]> {
    if (this.#parkedUsers.has(userId)) return this.#park(userId, calls);
    for (let attempt = 0; ; attempt++) {
      try {
        return await userHub(this.env, userId).deliver(calls);
      } catch (err) {
        if (attempt >= RETRY_DELAYS_MS.length) {
          console.error("hub call failed after retries; parked for the alarm", userId, err);
          return this.#park(userId, calls);
        }
        await sleep(RETRY_DELAYS_MS[attempt]);
      }
    }
  }

  hasBacklog(): boolean {
    return this.#parkedUsers.size > 0;
  }

  /** Sends parked calls in order; a member whose hub still fails stays parked. Answers whether any remain. */
  async drain(): Promise<boolean> {
    const rows = this.sql.exec<{ id: number; user_id: string; call: string }>("SELECT id, user_id, call FROM hub_backlog ORDER BY id").toArray();
    const failed = new Set<string>();
    for (const r of rows) {
      if (failed.has(r.user_id)) continue;
      const call = JSON.parse(r.call) as HubCall;
      try {
        await userHub(this.env, r.user_id).deliver([call]);
        this.sql.exec("DELETE FROM hub_backlog WHERE id = ?", r.id);
      } catch (err) {
        console.error("parked hub call failed again", r.user_id, err);
        failed.add(r.user_id);
      }
    }
    this.#parkedUsers = new Set(this.sql.exec<{ u: string }>("SELECT DISTINCT user_id AS u FROM hub_backlog").toArray().map((r) => r.u));
    return this.hasBacklog();
  }
}

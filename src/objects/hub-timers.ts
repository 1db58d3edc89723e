/**
 * The two clocks of a user's hub, sharing its one alarm: the user's status
 * timer (the next status expiry or schedule event, src/domain/status-timer.ts)
 * and the sweep of sessions whose connection is gone. Each keeps its next
 * time in the hub's storage; the alarm is set to the earlier one.
 */
const STATUS_TIMER_AT_KEY = "statusTimer:at";
const SWEEP_AT_KEY = "sweep:at";

/** How often live sessions are checked for connections that are gone (presence never stays stale longer). */
export const SESSION_SWEEP_MS = 60_000;

export class HubTimers {
  constructor(private readonly storage: DurableObjectStorage) {}

  /** when the status timer is due (undefined: not armed) */
  get statusAt(): number | undefined {
    return this.storage.kv.get<number>(STATUS_TIMER_AT_KEY);
  }

  async setStatusAt(next: number | null) {
    if (next === null) this.storage.kv.delete(STATUS_TIMER_AT_KEY);
    else this.storage.kv.put(STATUS_TIMER_AT_KEY, next);
    await this.arm();
  }

  /** While sessions (live or recoverable) exist, the alarm checks on them every SESSION_SWEEP_MS. */
  async armSweep() {
    if (this.storage.kv.get<number>(SWEEP_AT_KEY) !== undefined) return;
    this.storage.kv.put(SWEEP_AT_KEY, Date.now() + SESSION_SWEEP_MS);
    await this.arm();
  }

  /** Whether the sweep is due at `now`; a due sweep is taken off the clock (see `sweepAgain`). */
  takeDueSweep(now: number): boolean {
    const at = this.storage.kv.get<number>(SWEEP_AT_KEY);
    if (at === undefined || at > now) return false;
    this.storage.kv.delete(SWEEP_AT_KEY);
    return true;
  }

  /** Schedules the next sweep (not armed: the caller arms once it is done). */
  sweepAgain(now: number) {
    this.storage.kv.put(SWEEP_AT_KEY, now + SESSION_SWEEP_MS);
  }

  async arm() {
    const at = [this.storage.kv.get<number>(STATUS_TIMER_AT_KEY), this.storage.kv.get<number>(SWEEP_AT_KEY)].filter((t): t is number => typeof t === "number");
    if (at.length) await this.storage.setAlarm(Math.min(...at));
    else await this.storage.deleteAlarm();
  }
}

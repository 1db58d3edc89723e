/**
 * UserHub: one Durable Object per user (named by the user's `_id`).
 *
 * Owns that user's live Socket.IO sessions (many devices at once) and
 * presence, and is the one place server code calls to emit to the user
 * (src/realtime/emit.ts). Also owns the user's status timer: a single alarm
 * for the next status expiry / schedule event.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { Outbound } from "../realtime/emit";

export class UserHub extends DurableObject<Env> {
  // ---- Live sessions and presence (real-time gateway) ----

  /** Delivers events to every live session of this user; returns how many sessions got them. */
  async emit(_userId: string, _out: Outbound): Promise<number> {
    return 0;
  }

  // ---- Status timer (status expiry and schedules) ----
}

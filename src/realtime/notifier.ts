/**
 * The one module that delivers events to connected clients. A change is
 * pushed by the object that owns it (a conversation's room for messages,
 * receipts, typing and membership; a user's hub for presence and status),
 * and every push outside the room's ordered lanes goes through here:
 *
 *   to(env, userIds).except(sid).emit(out)    every device of those users but one connection
 *   toConnection(env, sid).emit(events)       one connection, by its Engine.IO session id
 *
 * Delivery to a user goes through that user's UserHub, which logs the events
 * for recovery and hands each connection the events of its dialect. A hub
 * that cannot be reached is logged, never silently skipped. What is emitted
 * is typed by the event maps (src/views/event-map.ts).
 */
import type { EventArgs, Targeting } from "../domain/outbound";
import type { DialectEvents } from "../views/event-map";
import type { Env } from "../env";
import { engineSessionStub, userHub } from "../objects/stubs";

/** Some users' connections, narrowed by `Targeting`. */
export class Audience {
  constructor(
    private readonly env: Env,
    private readonly userIds: readonly string[],
    private readonly targeting: Targeting = {},
  ) {}

  /** Leaves out one connection (Engine.IO session id): the one that caused the event. */
  except(sid: string | null | undefined): Audience {
    return new Audience(this.env, this.userIds, { ...this.targeting, exceptSid: sid ?? null });
  }

  /** Resolves to the number of connections reached. */
  async emit(out: DialectEvents): Promise<number> {
    const counts = await Promise.all(
      this.userIds.map((id) =>
        userHub(this.env, id)
          .emit(out, this.targeting)
          .catch((err) => {
            console.error("emit to a user's hub failed", id, err);
            return 0;
          }),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }
}

/** Every connection of these users (each user once). */
export function to(env: Env, userIds: string | Iterable<string>): Audience {
  return new Audience(env, typeof userIds === "string" ? [userIds] : [...new Set(userIds)]);
}

/**
 * ONE connection, by its Engine.IO session id. `emit` resolves to false when
 * that connection is gone or has not joined `nsp`.
 */
export function toConnection(env: Env, sid: string, nsp = "/") {
  return { emit: (events: EventArgs[]): Promise<boolean> => engineSessionStub(env, sid).deliver(nsp, events) };
}

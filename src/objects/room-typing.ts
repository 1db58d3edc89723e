/**
 * Who is typing in a conversation, until when, kept in the room's storage
 * (so the room's alarm can end an indicator nobody stopped).
 */
import type { Person } from "../domain/message-model";

/** A typing indicator without a `stop` ends this long after the last `start`. */
export const TYPING_TTL_MS = 5_000;

export interface Typist extends Person {
  until: number;
}

export class TypingState {
  constructor(private readonly kv: SyncKvStorage) {}

  #read(): Map<string, Typist> {
    return new Map(Object.entries(this.kv.get<Record<string, Typist>>("typing") ?? {}));
  }

  #write(map: Map<string, Typist>) {
    if (map.size) this.kv.put("typing", Object.fromEntries(map));
    else this.kv.delete("typing");
  }

  /** `user` starts (renews) or stops typing; answers whether that changed what others see. */
  set(user: Person, on: boolean, now: number): { changed: boolean } {
    const map = this.#read();
    const was = (map.get(user.id)?.until ?? 0) > now;
    if (on) map.set(user.id, { ...user, until: now + TYPING_TTL_MS });
    else if (!map.delete(user.id)) return { changed: false };
    this.#write(map);
    return { changed: on !== was };
  }

  /** Removes and answers the indicators whose time is up. */
  expire(now: number): Typist[] {
    const map = this.#read();
    const expired = [...map.values()].filter((t) => t.until <= now);
    for (const t of expired) map.delete(t.id);
    if (expired.length) this.#write(map);
    return expired;
  }

  active(now: number): Typist[] {
    return [...this.#read().values()].filter((t) => t.until > now);
  }

  /** When the next indicator ends (null: none). */
  nextEnd(): number | null {
    const ends = [...this.#read().values()].map((t) => t.until);
    return ends.length ? Math.min(...ends) : null;
  }
}

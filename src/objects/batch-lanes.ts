/**
 * Ordered lanes that batch: per key, one send in flight at a time, in the
 * order items were pushed; items that queue up behind the send in flight go
 * together in the next one. So a lane costs one call per item when it is
 * quiet and fewer calls per item the busier it gets, and lanes of different
 * keys run side by side. Used for a room's calls to its members' hubs and a
 * hub's deliveries to its sessions.
 */
export class BatchLanes<T, R> {
  /** per key: items waiting for the send in flight (a key with no entry is idle) */
  #waiting = new Map<string, { item: T; resolve: (r: R) => void }[]>();
  #idle: (() => void)[] = [];

  /** `send` answers one result per item, in order; it must not throw. */
  constructor(private readonly send: (key: string, items: T[]) => Promise<R[]>) {}

  push(key: string, item: T): Promise<R> {
    return new Promise((resolve) => {
      const waiting = this.#waiting.get(key);
      if (waiting) return void waiting.push({ item, resolve });
      this.#waiting.set(key, []);
      void this.#run(key, [{ item, resolve }]);
    });
  }

  async #run(key: string, batch: { item: T; resolve: (r: R) => void }[]) {
    for (;;) {
      const results = await this.send(
        key,
        batch.map((b) => b.item),
      );
      batch.forEach((b, i) => b.resolve(results[i]));
      const next = this.#waiting.get(key)!;
      if (!next.length) break;
      this.#waiting.set(key, []);
      batch = next;
    }
    this.#waiting.delete(key);
    if (!this.#waiting.size) for (const done of this.#idle.splice(0)) done();
  }

  /** Resolves once every lane is idle. */
  async idle(): Promise<void> {
    if (this.#waiting.size) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }
}

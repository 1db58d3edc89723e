/**
 * ConversationRoom: one Durable Object per conversation (named by its `_id`).
 *
 * Owns the conversation's message sequence. Every new message of the
 * conversation is appended here, one at a time: the object assigns the next
 * gap-free `seq` (its cursor is loaded from D1 `conversations.last_seq` once
 * and kept in memory), and the message, the conversation's last-message
 * fields and the members' unread counters are written in one D1 batch before
 * the call returns. So history order equals send order for every reader, and
 * a repeated client message id returns the first message.
 */
import { DurableObject } from "cloudflare:workers";
import { createDb } from "../db/client";
import { isUniqueViolation } from "../domain/conversations";
import { type AppendResult, appendMessage, loadCursor, type MessageDraft, type SeqCursor } from "../domain/messages";
import type { Env } from "../env";

export class ConversationRoom extends DurableObject<Env> {
  #cursor: SeqCursor | null = null;
  /** Tail of the append queue: D1 calls are not covered by input gates, so appends are chained explicitly. */
  #tail: Promise<unknown> = Promise.resolve();

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Stores the next message of `conversationId` (this object's name). */
  async append(conversationId: string, draft: MessageDraft): Promise<AppendResult> {
    return this.#serial(async () => {
      const db = createDb(this.env.DB);
      for (let attempt = 0; ; attempt++) {
        this.#cursor ??= await loadCursor(db, conversationId);
        if (!this.#cursor) return { ok: false, status: 404, error: "Conversation not found" } as const;
        try {
          return await appendMessage(db, conversationId, draft, this.#cursor);
        } catch (err) {
          // the cursor may be stale (e.g. a write that failed after committing): reload it once
          this.#cursor = null;
          if (attempt === 0 && isUniqueViolation(err)) continue;
          throw err;
        }
      }
    });
  }
}

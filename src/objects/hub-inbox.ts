/**
 * One user's inbox, over the user's hub storage (schema:
 * src/db/hub-schema.ts): per conversation the last message and the unread
 * count, as the conversation's room reports them, so conversation lists and
 * unread counts never query D1 or scan history.
 */
import type { InboxEntry } from "../domain/message-model";
import type { HubCall } from "./rpc";

type InboxRow = { conversation_id: string; rev: number; last_seq: number; last_json: string | null; unread: number };

export class Inbox {
  constructor(private readonly sql: SqlStorage) {}

  /** Applies a room's entry (unless an update at a later revision is already there), or drops the conversation. */
  apply(entry: NonNullable<HubCall["inbox"]>) {
    if ("drop" in entry) {
      this.sql.exec("DELETE FROM inbox WHERE conversation_id = ?", entry.conversationId);
      return;
    }
    this.sql.exec(
      `INSERT INTO inbox (conversation_id, rev, last_seq, last_json, unread) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (conversation_id) DO UPDATE SET rev = excluded.rev, last_seq = excluded.last_seq, last_json = excluded.last_json, unread = excluded.unread
       WHERE excluded.rev > inbox.rev`,
      entry.conversationId,
      entry.rev,
      entry.lastSeq,
      entry.last ? JSON.stringify(entry.last) : null,
      entry.unread,
    );
  }

  /** The newest message seq this inbox has of a conversation (null: none). */
  lastSeq(conversationId: string): number | null {
    return this.sql.exec<{ s: number }>("SELECT last_seq AS s FROM inbox WHERE conversation_id = ?", conversationId).toArray()[0]?.s ?? null;
  }

  /** Every conversation with its last message and unread count. */
  entries(): InboxEntry[] {
    return this.sql
      .exec<InboxRow>("SELECT * FROM inbox")
      .toArray()
      .map((r) => {
        const last = r.last_json ? (JSON.parse(r.last_json) as InboxEntry["last"] & { createdAt: string }) : null;
        return {
          conversationId: r.conversation_id,
          rev: r.rev,
          lastSeq: r.last_seq,
          last: last ? { ...last, createdAt: new Date(last.createdAt) } : null,
          unread: r.unread,
        };
      });
  }

  /** Unread messages across the user's conversations. */
  unreadTotal(): number {
    return this.sql.exec<{ n: number | null }>("SELECT sum(unread) AS n FROM inbox").one().n ?? 0;
  }
}

/**
 * What a conversation's room answers from its log without writing anything:
 * history pages, `since` catch-up, one message, a member's unread count.
 * The room checks membership first and passes its log and cached members.
 */
import type { CatchUp, MessagePage, MessageRecord, Since } from "../domain/message-model";
import type { MessageLog } from "./message-log";
import { notFound, type RoomError } from "./room-api";
import type { Members } from "./room-members";

export interface RoomView {
  log: MessageLog;
  members: Members;
}

/** The newest-first window: skip the `skip` newest, take `limit`, oldest first. */
export function historyPage({ log, members }: RoomView, skip: number, limit: number): MessagePage {
  const total = log.lastSeq;
  const hi = Math.max(0, total - skip);
  const lo = Math.max(0, hi - limit);
  return { records: log.hydrate(log.range(lo, hi), members.people), total, hasOlder: lo > 0 };
}

/** The messages after `since` (a seq or a moment), oldest first, at most `limit`. */
export function catchUp({ log, members }: RoomView, since: Since, limit: number): CatchUp {
  const list = "seq" in since ? log.range(since.seq, Math.min(log.lastSeq, since.seq + limit + 1)) : log.after(since.at.getTime(), limit + 1);
  const hasMore = list.length > limit;
  const page = hasMore ? list.slice(0, limit) : list;
  return { records: log.hydrate(page, members.people), lastSeq: log.lastSeq, hasMore };
}

export function messageById({ log, members }: RoomView, messageId: string): MessageRecord | RoomError {
  const m = log.byId(messageId);
  return m ? log.hydrate([m], members.people)[0] : notFound("Message not found");
}

export function unreadOf({ log }: RoomView, viewerId: string): number {
  return log.position(viewerId)?.unread ?? 0;
}

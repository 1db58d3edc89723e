/**
 * A user's status: changing it (./status-change), its timer
 * (./status-timer) and its history (here).
 *
 * The re-exports below keep `domain/status` the one place the rest of the
 * code (and the UserHub object) finds status work; nothing that
 * status-change or status-timer imports imports this module back.
 */
import { and, desc, eq, gte, isNull, lte, or, type SQL } from "drizzle-orm";
import { type Db, pageWithCount } from "../db/client";
import { type StatusHistoryEntry, statusHistory } from "../db/schema";
import { ApiError } from "../lib/errors";
import { objectId } from "../lib/ids";
import { MAX_DURATION_MINUTES } from "../lib/schemas";
import { resolveStatusChange, type StatusName } from "./status-change";

export {
  expireStatusIfDue,
  MAX_CUSTOM_STATUS,
  MAX_DURATION_MINUTES,
  resolveStatusChange,
  setStatus,
  type StatusChange,
  type StatusName,
  type StatusResult,
} from "./status-change";
export { armStatusTimer, nextStatusWakeAt, runStatusTimer } from "./status-timer";

// ---- History ----

export interface HistoryQuery {
  page: number;
  limit: number;
  startDate?: Date;
  endDate?: Date;
}

/** Window condition: entries overlapping [startDate, endDate] (an open entry lasts until now). */
export function historyWindow(userId: string, startDate?: Date, endDate?: Date): SQL {
  const conds = [eq(statusHistory.userId, userId)];
  if (endDate) conds.push(lte(statusHistory.startTime, endDate));
  if (startDate) conds.push(or(isNull(statusHistory.endTime), gte(statusHistory.endTime, startDate))!);
  return and(...conds)!;
}

export function checkWindow(startDate?: Date, endDate?: Date) {
  if (startDate && endDate && startDate.getTime() > endDate.getTime()) {
    throw new ApiError(400, "endDate: must not be before startDate");
  }
}

/** A page of `userId`'s history, newest first. */
export async function listHistory(db: Db, userId: string, q: HistoryQuery) {
  checkWindow(q.startDate, q.endDate);
  const where = historyWindow(userId, q.startDate, q.endDate);
  return pageWithCount(db, statusHistory, where, [desc(statusHistory.startTime), desc(statusHistory.id)], q.page, q.limit);
}

export interface ManualHistoryEntry {
  status: StatusName;
  customStatus?: string | null;
  startTime: Date;
  endTime: Date;
}

/** POST /api/status/history: a closed entry (at most one year long) the user records by hand; duration is computed. */
export async function createHistoryEntry(db: Db, userId: string, input: ManualHistoryEntry): Promise<StatusHistoryEntry> {
  const start = input.startTime.getTime();
  const end = input.endTime.getTime();
  const { status, customStatus } = resolveStatusChange({ status: input.status, customStatus: input.customStatus }, start);
  if (!(end > start)) throw new ApiError(400, "endTime: must be after startTime");
  // the same bound as a status's duration; analytics walks every entry by part of day
  if (end - start > MAX_DURATION_MINUTES * 60_000) {
    throw new ApiError(400, `endTime: an entry may last at most ${MAX_DURATION_MINUTES} minutes (one year)`);
  }
  return db
    .insert(statusHistory)
    .values({
      id: objectId(),
      userId,
      status,
      customStatus,
      startTime: input.startTime,
      endTime: input.endTime,
      duration: Math.round((end - start) / 60_000),
      createdAt: new Date(),
    })
    .returning()
    .get();
}

/** Owner-only delete. The open entry (the current status) cannot be deleted: 409. */
export async function deleteHistoryEntry(db: Db, ownerId: string, id: string): Promise<void> {
  const entry = await db.select().from(statusHistory).where(eq(statusHistory.id, id)).get();
  if (!entry) throw new ApiError(404, "Status history entry not found");
  if (entry.userId !== ownerId) throw new ApiError(403, "Not authorized to delete this status history entry");
  if (entry.endTime === null) {
    throw new ApiError(409, "id: this entry is your current status and is still open; change your status first");
  }
  await db.delete(statusHistory).where(and(eq(statusHistory.id, id), eq(statusHistory.userId, ownerId)));
}

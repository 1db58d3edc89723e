/** 000 views of status history, templates and schedules. */
import type { StatusHistoryEntry, StatusSchedule, StatusTemplate, User } from "../db/schema";
import { iso } from "./common";

type Owner = Pick<User, "id" | "userId">;

export function historyView(h: StatusHistoryEntry, owner: Owner) {
  return {
    _id: h.id,
    user: owner.id,
    userId: owner.userId,
    status: h.status,
    customStatus: h.customStatus,
    startTime: iso(h.startTime),
    endTime: iso(h.endTime),
    duration: h.duration,
  };
}

export function templateView(t: StatusTemplate, owner: Owner) {
  return {
    _id: t.id,
    user: owner.id,
    userId: owner.userId,
    name: t.name,
    status: t.status,
    customStatus: t.customStatus,
    duration: t.duration,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

export function scheduleView(s: StatusSchedule, owner: Owner) {
  return {
    _id: s.id,
    user: owner.id,
    userId: owner.userId,
    status: s.status,
    customStatus: s.customStatus,
    startTime: iso(s.startTime),
    endTime: iso(s.endTime),
    repeat: s.repeat,
    active: s.active,
    source: s.source,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  };
}

type StatusFields = Pick<User, "status" | "customStatus" | "statusUntil">;

/**
 * The status a reader sees: a status whose `statusUntil` has passed reads as
 * `available` even in the instant before the user's timer has reverted it.
 */
export function effectiveStatus(u: StatusFields, now = Date.now()) {
  if (u.statusUntil && u.statusUntil.getTime() <= now) {
    return { status: "available", customStatus: "", statusUntil: null as string | null };
  }
  return { status: u.status, customStatus: u.customStatus, statusUntil: iso(u.statusUntil) };
}

/** 000 `/api/status-management` data: `{userId, status, customStatus, statusUntil}` (plus `_id`). */
export function statusView(u: User, now = Date.now()) {
  return { _id: u.id, userId: u.userId, ...effectiveStatus(u, now) };
}

/** 000 socket `contact_status_update` payload; `contactId` is the owner's `_id`. */
export function contactStatusUpdate(u: User, at: number) {
  return {
    contactId: u.id,
    userId: u.userId,
    name: u.name,
    status: u.status,
    customStatus: u.customStatus,
    statusUntil: iso(u.statusUntil),
    timestamp: iso(at),
  };
}

/** 000 socket `contacts_status_initial` entry. */
export function contactStatusEntry(u: User, now = Date.now()) {
  return { contactId: u.id, userId: u.userId, name: u.name, ...effectiveStatus(u, now) };
}

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

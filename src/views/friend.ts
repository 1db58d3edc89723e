/**
 * 001 views: friends (`{_id, name, photoURL, isOnline, lastSeen}` plus every
 * user object's ids and image names), friend requests
 * (`{_id, from, to, status, createdAt}`) and conversation metadata
 * (`{_id, userId, otherUserId, isPinned, isBlocked, customRingtone, isFavorite}`).
 */
import type { User } from "../db/schema";
import { iso } from "./common";
import { userRef } from "./user";
import type { MetadataState } from "../domain/read-models";

/** A friend; presence is hidden (offline, no lastSeen) from someone the friend has blocked. */
export function friendView(u: User, opts: { hidePresence: boolean; since?: Date | null }) {
  const isOnline = opts.hidePresence ? false : u.isOnline;
  const lastSeen = opts.hidePresence ? null : iso(u.lastSeen);
  return {
    ...userRef(u),
    isOnline,
    is_online: isOnline,
    lastSeen,
    last_seen: lastSeen,
    friendsSince: iso(opts.since),
  };
}

export interface FriendRequestRow {
  id: string;
  status: string;
  createdAt: Date;
  updatedAt: Date;
}

export function friendRequestView(r: FriendRequestRow, from: User, to: User) {
  return {
    _id: r.id,
    from: userRef(from),
    to: userRef(to),
    fromId: from.id,
    toId: to.id,
    status: r.status,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}


export function metadataView(m: MetadataState) {
  return {
    _id: m.id,
    userId: m.userId,
    otherUserId: m.otherUserId,
    isPinned: m.isPinned,
    isBlocked: m.isBlocked,
    customRingtone: m.customRingtone,
    isFavorite: m.isFavorite,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}

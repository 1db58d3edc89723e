/**
 * Views of a user. One field, many documented names: the profile image is
 * `profileImage` (000), `photoURL` (001), `profilePicture` (003) and
 * `profile_image` (004); presence is `isOnline`/`is_online` and
 * `lastSeen`/`last_seen`. Every user object carries both `_id` and `userId`.
 */
import type { User } from "../db/schema";
import type { Person } from "../domain/message-model";
import { iso } from "./common";

/**
 * Phone numbers only with consent: `phone` says whether this viewer may see
 * the number (the owner's `phoneVisibility`, or the viewer supplied that very
 * number, never when the owner blocked the viewer; see
 * src/domain/visibility.ts). Otherwise the field stays, as `null`.
 */
export interface IdentityAccess {
  phone: boolean;
}

/** The owner's own view of themselves. */
export const SELF: IdentityAccess = { phone: true };

export function userIdentity(u: User, access: IdentityAccess) {
  return {
    _id: u.id,
    userId: u.userId,
    name: u.name,
    email: u.email,
    phoneNumber: access.phone ? u.phoneNumber : null,
    username: u.username,
    role: u.role,
    profileImage: u.profileImage,
    photoURL: u.profileImage,
    profilePicture: u.profileImage,
    profile_image: u.profileImage,
  };
}

export function userStatus(u: User) {
  return {
    status: u.status,
    customStatus: u.customStatus,
    statusUntil: iso(u.statusUntil),
  };
}

export function userPresence(u: User) {
  const lastSeen = iso(u.lastSeen);
  return { isOnline: u.isOnline, is_online: u.isOnline, lastSeen, last_seen: lastSeen };
}

/** The owner's own full view (000 data/profile, 004 /users/me). */
export function userSelf(u: User) {
  return {
    ...userIdentity(u, SELF),
    ...userStatus(u),
    ...userPresence(u),
    timezone: u.timezone,
    statusVisibility: u.statusVisibility,
    phoneVisibility: u.phoneVisibility,
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
  };
}

/** 004 `GET /api/users/search` entry; presence hidden (offline) from someone the user has blocked. */
export function userSearchResult(u: User, opts: { hidePresence: boolean }) {
  const isOnline = opts.hidePresence ? false : u.isOnline;
  return {
    _id: u.id,
    userId: u.userId,
    email: u.email,
    name: u.name,
    username: u.username,
    profile_image: u.profileImage,
    profileImage: u.profileImage,
    is_online: isOnline,
    isOnline,
  };
}

/** A short member reference (003 `members`, `senderId`). */
export function userRef(u: Person) {
  return {
    _id: u.id,
    userId: u.userId,
    name: u.name,
    email: u.email,
    username: u.username,
    profilePicture: u.profileImage,
    profileImage: u.profileImage,
    photoURL: u.profileImage,
    profile_image: u.profileImage,
  };
}

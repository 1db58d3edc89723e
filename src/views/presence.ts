/**
 * Presence on the wire (002, 004, 001; CONTRACT.md: payloads that share a
 * name across documents carry the union of the documented fields).
 *
 * - `user_online`  (002 + 004): `{userId, _id, name, username, email, lastSeen}` (lastSeen: when they came online)
 * - `user_offline` (002 + 004): `{userId, _id, email, lastSeen}` (+ name, username)
 * - `userStatus`   (001): `{userId, isOnline, lastSeen}`
 * - `connection`   (002): `{success: true, user: {_id, name, username}}`
 * - `online_users` (002): array of `{userId, _id, name, username, email, role, lastSeen}`;
 *                  (004): `{users: [emails]}`
 */
import type { User } from "../db/schema";
import { iso } from "./common";

type PresenceUser = Pick<User, "id" | "userId" | "name" | "username" | "email" | "role" | "lastSeen" | "isOnline">;

export function userOnlinePayload(u: PresenceUser) {
  return { userId: u.userId, _id: u.id, name: u.name, username: u.username, email: u.email, isOnline: true, lastSeen: iso(u.lastSeen) };
}

export function userOfflinePayload(u: PresenceUser) {
  return { userId: u.userId, _id: u.id, name: u.name, username: u.username, email: u.email, isOnline: false, lastSeen: iso(u.lastSeen) };
}

export function userStatusPayload(u: PresenceUser) {
  return { userId: u.userId, _id: u.id, isOnline: u.isOnline, lastSeen: iso(u.lastSeen) };
}

/** What a user's watchers receive when the user comes online or goes offline. */
export function presenceEvents(u: PresenceUser) {
  const change: ["user_online", ReturnType<typeof userOnlinePayload>] | ["user_offline", ReturnType<typeof userOfflinePayload>] = u.isOnline
    ? ["user_online", userOnlinePayload(u)]
    : ["user_offline", userOfflinePayload(u)];
  const status: ["userStatus", ReturnType<typeof userStatusPayload>] = ["userStatus", userStatusPayload(u)];
  return { standard: [change, status], "chat-socket": [change] };
}

export function connectionPayload(u: PresenceUser) {
  return { success: true, user: { _id: u.id, userId: u.userId, name: u.name, username: u.username } };
}

export function onlineUser002(u: PresenceUser) {
  return { userId: u.userId, _id: u.id, name: u.name, username: u.username, email: u.email, role: u.role, lastSeen: iso(u.lastSeen) };
}

export const onlineUsers002 = (list: PresenceUser[]) => list.map(onlineUser002);

export const onlineUsers004 = (list: PresenceUser[]) => ({ users: list.map((u) => u.email).filter((e): e is string => !!e) });

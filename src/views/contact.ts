/**
 * 000 views of contacts. A contact is a user in the viewer's address book;
 * `_id`/`contactId` are the contact user's `_id` (what `contact_status_update`
 * carries as `contactId`), `userId` their UUID.
 */
import type { User } from "../db/schema";
import { iso } from "./common";
import { effectiveStatus } from "./status";
import { type IdentityAccess, userIdentity } from "./user";
import type { ContactRow } from "../domain/read-models";


/**
 * One address-book entry (`GET /api/contacts`, `/with-status`, `POST`):
 * `name` is the saved name or else the user's own; `currentStatus` is null
 * when the contact does not let the viewer see their status.
 */
export function contactView(c: ContactRow, now = Date.now()) {
  return {
    ...userIdentity(c.user, { phone: c.phoneVisible }),
    contactId: c.user.id,
    name: c.label ?? c.user.name,
    contactName: c.label,
    currentStatus: c.visible ? effectiveStatus(c.user, now) : null,
    addedAt: iso(c.addedAt),
  };
}

/** A user with flat status fields (`/filter`, `/status-list`); `phone`: may the viewer see the number. */
export function userWithStatusView(u: User, access: IdentityAccess, now = Date.now()) {
  return { ...userIdentity(u, access), ...effectiveStatus(u, now) };
}

/** `GET /api/contacts/phone/:phoneNumber/status` data. */
export function phoneStatusView(u: User, now = Date.now()) {
  return { _id: u.id, userId: u.userId, name: u.name, ...effectiveStatus(u, now) };
}

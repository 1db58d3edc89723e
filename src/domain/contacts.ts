/**
 * Contacts (000): a one-way address book. Adding someone needs no consent;
 * whether you see their status is decided by their visibility rule
 * (src/domain/visibility.ts), evaluated in the same query that reads the rows.
 *
 * Lists that exist to report status (`/with-status`, `/filter`,
 * `/status-list`, socket `contacts_status_initial`) omit users whose status
 * the viewer may not see; the address book itself (`GET /api/contacts`, the
 * `POST` answer) keeps every entry with `currentStatus: null`.
 *
 * Phone numbers follow the owner's `phoneVisibility` (same rule), except
 * that a number the caller supplied is shown back (not to someone blocked).
 */
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import { contacts, type User, users } from "../db/schema";
import { chunks } from "../lib/chunks";
import { ApiError } from "../lib/errors";
import { capGuard, capReached, LIMITS, userRow, withCap } from "../lib/limits";
import type { Db } from "../db/client";
import { normalizePhone } from "../lib/phone";
import type { ContactRow } from "./read-models";
import { findUserByEmail, findUserByPhone, findUserByRef, findUsersByRefs } from "./users";
import { blockedViewerSql, canSeePhoneSql, canSeeStatusSql, requireVisibleStatusOwner } from "./visibility";

/** A user as a viewer may see them: `phone` says whether the number is shown (src/views/user.ts). */
export interface UserSeen {
  user: User;
  phone: boolean;
}

const toRow = (r: { user: User; label: string | null; addedAt: Date; visible: number; phoneVisible: number; blocked: number }) => ({
  user: r.user,
  label: r.label,
  addedAt: r.addedAt,
  visible: Number(r.visible) === 1,
  phoneVisible: Number(r.phoneVisible) === 1,
  /** the contact has blocked the viewer */
  blocked: Number(r.blocked) === 1,
});

/** The viewer's contacts, by display name, each with whether the viewer may see their status. */
export async function listContacts(db: Db, viewerId: string, onlyContactId?: string): Promise<(ContactRow & { blocked: boolean })[]> {
  const where = onlyContactId
    ? and(eq(contacts.ownerId, viewerId), eq(contacts.contactId, onlyContactId))
    : eq(contacts.ownerId, viewerId);
  const rows = await db
    .select({
      user: users,
      label: contacts.name,
      addedAt: contacts.createdAt,
      visible: canSeeStatusSql(viewerId),
      phoneVisible: canSeePhoneSql(viewerId),
      blocked: blockedViewerSql(viewerId),
    })
    .from(contacts)
    .innerJoin(users, eq(users.id, contacts.contactId))
    .where(where)
    .orderBy(sql`COALESCE(${contacts.name}, ${users.name}) COLLATE NOCASE`, users.id)
    .all();
  return rows.map(toRow);
}

export interface AddContactInput {
  userId?: string;
  phoneNumber?: string;
  email?: string;
  name?: string | null;
}

/**
 * Adds a contact by user id (either form), phone number (any common format)
 * or email. The first of those given picks the user; any other given must
 * name the same user (400 naming the field otherwise).
 * Adding someone already in the book is not an error: `created` is false and
 * a given `name` replaces the saved one.
 */
export async function addContact(
  db: Db,
  ownerId: string,
  input: AddContactInput,
  phoneRegion: string,
): Promise<{ created: boolean; contact: ContactRow }> {
  let target: User | undefined;
  let field: "userId" | "phoneNumber" | "email";
  const phone = input.phoneNumber === undefined ? undefined : normalizePhone(input.phoneNumber, phoneRegion);
  if (input.userId) {
    field = "userId";
    target = await findUserByRef(db, input.userId);
  } else if (input.phoneNumber !== undefined) {
    field = "phoneNumber";
    if (!phone) throw new ApiError(400, "phoneNumber: not a valid phone number");
    target = await findUserByPhone(db, phone);
  } else if (input.email) {
    field = "email";
    target = await findUserByEmail(db, input.email);
  } else {
    throw new ApiError(400, "userId: give userId (or contactId), phoneNumber or email");
  }
  if (!target) throw new ApiError(404, "User not found");
  if (field !== "phoneNumber" && input.phoneNumber !== undefined && phone !== target.phoneNumber) {
    throw new ApiError(400, `phoneNumber: does not belong to the user named by ${field}`);
  }
  if (field !== "email" && input.email && input.email.toLowerCase() !== target.email) {
    throw new ApiError(400, `email: does not belong to the user named by ${field}`);
  }
  if (target.id === ownerId) throw new ApiError(400, `${field}: you cannot add yourself as a contact`);

  const label = input.name?.trim() || null;
  // the cap is checked in the insert's transaction (an existing contact does not count twice)
  const [inserted] = await withCap(
    () =>
      db.batch([
        db
          .insert(contacts)
          .values({ ownerId, contactId: target.id, name: label, createdAt: new Date() })
          .onConflictDoNothing()
          .returning({ contactId: contacts.contactId }),
        capGuard(db, sql`SELECT count(*) FROM ${contacts} WHERE ${contacts.ownerId} = ${ownerId}`, LIMITS.contacts, userRow(ownerId)),
      ] as const),
    () => capReached(field, "contacts per user", LIMITS.contacts, "remove contacts first"),
  );
  const created = inserted.length > 0;
  if (!created && label) {
    await db
      .update(contacts)
      .set({ name: label })
      .where(and(eq(contacts.ownerId, ownerId), eq(contacts.contactId, target.id)));
  }
  const [contact] = await listContacts(db, ownerId, target.id);
  // the caller supplied this very number: confirming it reveals nothing (unless they are blocked)
  if (phone && phone === target.phoneNumber && !contact.blocked) contact.phoneVisible = true;
  return { created, contact };
}

/** Resolves `ref` (either id form) to a user in the owner's contacts, or 404. */
async function requireContact(db: Db, ownerId: string, ref: string): Promise<ContactRow> {
  const user = await findUserByRef(db, ref);
  const [row] = user ? await listContacts(db, ownerId, user.id) : [];
  if (!row) throw new ApiError(404, "Contact not found");
  return row;
}

export async function removeContact(db: Db, ownerId: string, ref: string): Promise<void> {
  const row = await requireContact(db, ownerId, ref);
  await db.delete(contacts).where(and(eq(contacts.ownerId, ownerId), eq(contacts.contactId, row.user.id)));
}

/** A contact's status: 404 if not in the book, 403 `Access denied` if hidden from the viewer. */
export async function contactStatus(db: Db, ownerId: string, ref: string): Promise<User> {
  const row = await requireContact(db, ownerId, ref);
  if (!row.visible) throw new ApiError(403, "Access denied");
  return row.user;
}

/** Users (with visibility for the viewer) among the given ids / phone numbers: one D1 batch of chunks under its parameter limit. */
async function usersWithVisibility(db: Db, viewerId: string, by: "id" | "phone", keys: string[], excludeSelf: boolean) {
  const queries = chunks(keys).map((part) =>
    db
      .select({ user: users, visible: canSeeStatusSql(viewerId), phoneVisible: canSeePhoneSql(viewerId), blocked: blockedViewerSql(viewerId) })
      .from(users)
      .where(and(inArray(by === "id" ? users.id : users.phoneNumber, part), excludeSelf ? ne(users.id, viewerId) : undefined)),
  );
  if (!queries.length) return [];
  const results = await db.batch(queries as [(typeof queries)[number], ...(typeof queries)[number][]]);
  return results.flat().map((r) => ({
    user: r.user,
    visible: Number(r.visible) === 1,
    phoneVisible: Number(r.phoneVisible) === 1,
    blocked: Number(r.blocked) === 1,
  }));
}

/** `GET /api/contacts/phone/:phoneNumber/status`: any user by phone; 404 unknown, 403 hidden. */
export async function statusByPhone(db: Db, viewerId: string, raw: string, phoneRegion: string): Promise<User> {
  const phone = normalizePhone(raw, phoneRegion);
  if (!phone) throw new ApiError(400, "phoneNumber: not a valid phone number");
  return requireVisibleStatusOwner(db, viewerId, eq(users.phoneNumber, phone));
}

/**
 * `POST /api/contacts/filter`: registered users (other than the caller) whose
 * numbers are in the list, in the list's order. Unparseable numbers match
 * nobody (their normalized form is reported as null).
 */
export async function filterByPhones(db: Db, viewerId: string, phoneNumbers: string[], phoneRegion: string) {
  const normalized = phoneNumbers.map((p) => normalizePhone(p, phoneRegion));
  const wanted = [...new Set(normalized.filter((p): p is string => p !== null))];
  const found = await usersWithVisibility(db, viewerId, "phone", wanted, true);
  const byPhone = new Map(found.filter((f) => f.visible).map((f) => [f.user.phoneNumber, f]));
  const users: UserSeen[] = [];
  for (const p of wanted) {
    const f = byPhone.get(p);
    // the caller supplied the number: it is shown back, except to someone the owner blocked
    if (f) users.push({ user: f.user, phone: !f.blocked });
  }
  return { users, normalized };
}

/** `POST /api/contacts/status-list`: users named by either id form, in request order; unknown or hidden ones omitted. */
export async function statusList(db: Db, viewerId: string, refs: string[]): Promise<UserSeen[]> {
  const resolved = await findUsersByRefs(db, [...new Set(refs.map((r) => r.toLowerCase()))]);
  const ids = resolved.map((u) => u.id);
  const visible = await usersWithVisibility(db, viewerId, "id", ids, false);
  const byRef = new Map<string, UserSeen>();
  for (const v of visible) {
    if (!v.visible) continue;
    const seen = { user: v.user, phone: v.phoneVisible };
    byRef.set(v.user.id, seen);
    byRef.set(v.user.userId.toLowerCase(), seen);
  }
  const out: UserSeen[] = [];
  const emitted = new Set<string>();
  for (const ref of refs) {
    const u = byRef.get(ref.toLowerCase());
    if (u && !emitted.has(u.user.id)) {
      emitted.add(u.user.id);
      out.push(u);
    }
  }
  return out;
}

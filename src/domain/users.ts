/**
 * Users: lookup by either id form, registration, credentials, profile edits.
 */
import { and, eq, inArray, like, ne, or, sql } from "drizzle-orm";
import { type User, users } from "../db/schema";
import { ApiError, badRequest, notFound } from "../lib/errors";
import { chunks } from "../lib/chunks";
import type { Db } from "../lib/http";
import { isObjectId, isUuid, objectId, uuid } from "../lib/ids";
import { hashPassword, verifyPassword } from "../lib/password";
import { normalizePhone } from "../lib/phone";

/** Finds a user by `_id` or `userId`. */
export async function findUserByRef(db: Db, ref: string): Promise<User | undefined> {
  if (isObjectId(ref)) return db.select().from(users).where(eq(users.id, ref)).get();
  if (isUuid(ref)) return db.select().from(users).where(eq(users.userId, ref.toLowerCase())).get();
  return undefined;
}

export async function requireUserByRef(db: Db, ref: string, what = "User"): Promise<User> {
  const user = await findUserByRef(db, ref);
  if (!user) throw notFound(`${what} not found`);
  return user;
}

/** Resolves many user refs (either form) to rows; unknown refs are simply absent. */
export async function findUsersByRefs(db: Db, refs: string[]): Promise<User[]> {
  const ids = refs.filter(isObjectId);
  const uuids = refs.filter(isUuid).map((r) => r.toLowerCase());
  const found = new Map<string, User>();
  for (const [column, part] of [
    ...chunks(ids).map((p) => [users.id, p] as const),
    ...chunks(uuids).map((p) => [users.userId, p] as const),
  ]) {
    for (const u of await db.select().from(users).where(inArray(column, part)).all()) found.set(u.id, u);
  }
  return [...found.values()];
}

export async function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  return db.select().from(users).where(eq(users.email, email.trim().toLowerCase())).get();
}

export async function findUserByPhone(db: Db, phoneE164: string): Promise<User | undefined> {
  return db.select().from(users).where(eq(users.phoneNumber, phoneE164)).get();
}

export function phoneOrThrow(raw: string, region: string, field = "phoneNumber"): string {
  const phone = normalizePhone(raw, region);
  if (!phone) throw badRequest(`${field}: not a valid phone number`);
  return phone;
}

/** A unique handle derived from the email's local part (or the name). */
async function uniqueUsername(db: Db, seed: string): Promise<string> {
  const base =
    seed
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "")
      .slice(0, 24) || "user";
  const taken = await db
    .select({ username: users.username })
    .from(users)
    .where(or(eq(users.username, base), like(users.username, `${base}%`)))
    .all();
  const set = new Set(taken.map((t) => t.username));
  if (!set.has(base)) return base;
  for (let i = 2; ; i++) if (!set.has(`${base}${i}`)) return `${base}${i}`;
}

export interface NewUser {
  name: string;
  email?: string | null;
  phoneNumber?: string | null;
  password?: string | null;
  username?: string | null;
  profileImage?: string | null;
  timezone?: string | null;
  role?: string | null;
}

export async function createUser(db: Db, input: NewUser): Promise<User> {
  const email = input.email?.trim().toLowerCase() || null;
  const conflicts = [];
  if (email) conflicts.push(eq(users.email, email));
  if (input.phoneNumber) conflicts.push(eq(users.phoneNumber, input.phoneNumber));
  if (input.username) conflicts.push(eq(users.username, input.username));
  if (conflicts.length) {
    const existing = await db.select().from(users).where(or(...conflicts)).get();
    if (existing) {
      if (email && existing.email === email) throw badRequest("User already exists with this email");
      if (input.phoneNumber && existing.phoneNumber === input.phoneNumber)
        throw badRequest("User already exists with this phone number");
      throw badRequest("Username is already taken");
    }
  }
  const username = input.username ?? (await uniqueUsername(db, email?.split("@")[0] ?? input.name));
  const now = new Date();
  const row: typeof users.$inferInsert = {
    id: objectId(now.getTime()),
    userId: uuid(),
    name: input.name,
    email,
    phoneNumber: input.phoneNumber ?? null,
    username,
    role: input.role ?? "user",
    profileImage: input.profileImage ?? null,
    timezone: input.timezone ?? "UTC",
    passwordHash: input.password ? await hashPassword(input.password) : null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    return await db.insert(users).values(row).returning().get();
  } catch (err) {
    // a concurrent registration won the unique index
    if (String(err).includes("UNIQUE")) throw badRequest("User already exists");
    throw err;
  }
}

export async function checkPassword(user: User, password: string): Promise<boolean> {
  if (!user.passwordHash) return false;
  return verifyPassword(password, user.passwordHash);
}

export interface ProfileChanges {
  name?: string;
  email?: string;
  phoneNumber?: string;
  password?: string;
  username?: string;
  profileImage?: string | null;
  timezone?: string;
  statusVisibility?: string;
}

export async function updateProfile(db: Db, user: User, changes: ProfileChanges): Promise<User> {
  const set: Partial<typeof users.$inferInsert> = { updatedAt: new Date() };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.email !== undefined) set.email = changes.email.trim().toLowerCase();
  if (changes.phoneNumber !== undefined) set.phoneNumber = changes.phoneNumber;
  if (changes.username !== undefined) set.username = changes.username;
  if (changes.profileImage !== undefined) set.profileImage = changes.profileImage;
  if (changes.timezone !== undefined) set.timezone = changes.timezone;
  if (changes.statusVisibility !== undefined) set.statusVisibility = changes.statusVisibility;
  if (changes.password !== undefined) set.passwordHash = await hashPassword(changes.password);

  const conflicts = [];
  if (set.email) conflicts.push(eq(users.email, set.email));
  if (set.phoneNumber) conflicts.push(eq(users.phoneNumber, set.phoneNumber));
  if (set.username) conflicts.push(eq(users.username, set.username));
  if (conflicts.length) {
    const other = await db
      .select({ id: users.id, email: users.email, phoneNumber: users.phoneNumber })
      .from(users)
      .where(and(ne(users.id, user.id), or(...conflicts)))
      .get();
    if (other) {
      if (set.email && other.email === set.email) throw new ApiError(400, "email: already in use by another account");
      if (set.phoneNumber && other.phoneNumber === set.phoneNumber)
        throw new ApiError(400, "phoneNumber: already in use by another account");
      throw new ApiError(400, "username: already taken");
    }
  }
  return db.update(users).set(set).where(eq(users.id, user.id)).returning().get();
}

/** 004 search: name or email contains the term (case-insensitive), excluding the caller. */
export async function searchUsers(db: Db, term: string, excludeId: string, limit = 20): Promise<User[]> {
  const pattern = `%${term.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  return db
    .select()
    .from(users)
    .where(
      and(
        ne(users.id, excludeId),
        or(sql`${users.name} LIKE ${pattern} ESCAPE '\\'`, sql`${users.email} LIKE ${pattern} ESCAPE '\\'`),
      ),
    )
    .orderBy(users.name)
    .limit(limit)
    .all();
}

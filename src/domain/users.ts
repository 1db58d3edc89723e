/**
 * Users: lookup by either id form, registration, credentials, profile edits.
 */
import { and, eq, inArray, ne, or, type SQL, sql } from "drizzle-orm";
import { type User, users } from "../db/schema";
import { ApiError, badRequest, notFound } from "../lib/errors";
import { chunks } from "../lib/chunks";
import { uniqueViolation } from "../lib/db-errors";
import type { Db } from "../db/client";
import { isObjectId, isUuid, objectId, uuid } from "../lib/ids";
import { hashPassword, verifyPassword } from "../lib/password";
import { normalizePhone } from "../lib/phone";
import { nowSeconds, RECENT_LOGIN_SECONDS } from "../lib/tokens";

/** The condition "this `users` row is the one `ref` names" (`_id` or `userId`); matches nothing for any other string. */
export function userRefCondition(ref: string): SQL {
  if (isObjectId(ref)) return eq(users.id, ref);
  if (isUuid(ref)) return eq(users.userId, ref.toLowerCase());
  return sql`0`;
}

/** Finds a user by `_id` or `userId`. */
export async function findUserByRef(db: Db, ref: string): Promise<User | undefined> {
  if (!isObjectId(ref) && !isUuid(ref)) return undefined;
  return db.select().from(users).where(userRefCondition(ref)).get();
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

/** A unique handle derived from the email's local part (or the name): `base`, else `base<n>` past the highest taken. */
async function uniqueUsername(db: Db, seed: string): Promise<string> {
  const base =
    seed
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "")
      .slice(0, 24) || "user";
  // base holds no GLOB metacharacters; one aggregate row however many handles share the prefix
  const row = await db
    .select({
      base: sql<number>`MAX(${users.username} = ${base})`,
      top: sql<number | null>`MAX(CASE WHEN ${users.username} GLOB ${`${base}[0-9]*`} AND NOT ${users.username} GLOB ${`${base}*[^0-9]*`}
                 THEN CAST(substr(${users.username}, ${base.length + 1}) AS INTEGER) END)`,
    })
    .from(users)
    .where(or(eq(users.username, base), sql`${users.username} GLOB ${`${base}[0-9]*`}`))
    .get();
  if (!row?.base) return base;
  return `${base}${Math.max(Number(row.top ?? 1), 1) + 1}`;
}

/** 400 for a taken email, phone number or username (`column`: the violated unique index's column). */
function alreadyTaken(column: "email" | "phoneNumber" | "username", self: boolean): ApiError {
  if (self) {
    if (column === "email") return badRequest("User already exists with this email");
    if (column === "phoneNumber") return badRequest("User already exists with this phone number");
    return badRequest("Username is already taken");
  }
  if (column === "email") return badRequest("email: already in use by another account");
  if (column === "phoneNumber") return badRequest("phoneNumber: already in use by another account");
  return badRequest("username: already taken");
}

/** Which user field a UNIQUE violation on `users` is about, or null when it is not one. */
function takenColumn(err: unknown): "email" | "phoneNumber" | "username" | null {
  const cols = uniqueViolation(err);
  if (cols === "users.email") return "email";
  if (cols === "users.phone_number") return "phoneNumber";
  if (cols === "users.username") return "username";
  return null;
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
      if (email && existing.email === email) throw alreadyTaken("email", true);
      if (input.phoneNumber && existing.phoneNumber === input.phoneNumber) throw alreadyTaken("phoneNumber", true);
      throw alreadyTaken("username", true);
    }
  }
  const now = new Date();
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  for (let attempt = 0; ; attempt++) {
    const row: typeof users.$inferInsert = {
      id: objectId(now.getTime()),
      userId: uuid(),
      name: input.name,
      email,
      phoneNumber: input.phoneNumber ?? null,
      username: input.username ?? (await uniqueUsername(db, email?.split("@")[0] ?? input.name)),
      role: input.role ?? "user",
      profileImage: input.profileImage ?? null,
      timezone: input.timezone ?? "UTC",
      passwordHash,
      createdAt: now,
      updatedAt: now,
    };
    try {
      return await db.insert(users).values(row).returning().get();
    } catch (err) {
      // a concurrent registration won a unique index: a derived handle is derived again
      const column = takenColumn(err);
      if (!column) throw err;
      if (column === "username" && !input.username && attempt < 4) continue;
      throw alreadyTaken(column, true);
    }
  }
}

export async function checkPassword(user: User, password: string): Promise<boolean> {
  if (!user.passwordHash) return false;
  return verifyPassword(password, user.passwordHash);
}

/** Raises the user's token version: every token issued before stops working (REST and socket CONNECT). */
export async function revokeTokens(db: Db, userId: string): Promise<void> {
  await db
    .update(users)
    .set({ tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: new Date() })
    .where(eq(users.id, userId))
    .run();
}

/**
 * Sudo mode for credential changes (password, email): the caller proves a
 * recent login, either with `currentPassword` or with a token issued by a
 * login within RECENT_LOGIN_SECONDS (its `auth_time`). 403 otherwise.
 */
export async function requireRecentAuth(user: User, authTime: number | undefined, currentPassword: string | undefined): Promise<void> {
  if (currentPassword !== undefined) {
    if (!(await checkPassword(user, currentPassword))) throw new ApiError(403, "currentPassword: is incorrect");
    return;
  }
  if (authTime !== undefined && nowSeconds() - authTime <= RECENT_LOGIN_SECONDS) return;
  throw new ApiError(
    403,
    `currentPassword: is required to change the password or email (or log in again: a login within the last ${RECENT_LOGIN_SECONDS / 60} minutes is enough)`,
  );
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
  phoneVisibility?: string;
}

export async function updateProfile(db: Db, user: User, changes: ProfileChanges): Promise<User> {
  const set: Partial<Omit<typeof users.$inferInsert, "tokenVersion">> & { tokenVersion?: SQL } = { updatedAt: new Date() };
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.email !== undefined) set.email = changes.email.trim().toLowerCase();
  if (changes.phoneNumber !== undefined) set.phoneNumber = changes.phoneNumber;
  if (changes.username !== undefined) set.username = changes.username;
  if (changes.profileImage !== undefined) set.profileImage = changes.profileImage;
  if (changes.timezone !== undefined) set.timezone = changes.timezone;
  if (changes.statusVisibility !== undefined) set.statusVisibility = changes.statusVisibility;
  if (changes.phoneVisibility !== undefined) set.phoneVisibility = changes.phoneVisibility;
  if (changes.password !== undefined) set.passwordHash = await hashPassword(changes.password);
  // a new password or email revokes every token issued before (the caller gets a new one)
  if (changes.password !== undefined || (set.email !== undefined && set.email !== user.email)) {
    set.tokenVersion = sql`${users.tokenVersion} + 1`;
  }

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
      if (set.email && other.email === set.email) throw alreadyTaken("email", false);
      if (set.phoneNumber && other.phoneNumber === set.phoneNumber) throw alreadyTaken("phoneNumber", false);
      throw alreadyTaken("username", false);
    }
  }
  try {
    return await db.update(users).set(set).where(eq(users.id, user.id)).returning().get();
  } catch (err) {
    // a concurrent change took the value between the check and the write
    const column = takenColumn(err);
    if (!column) throw err;
    throw alreadyTaken(column, false);
  }
}

/**
 * 004 search: name or email contains the term (case-insensitive), excluding
 * the caller; `blockedViewer` marks users who blocked the caller (whose
 * presence the caller may not see).
 */
export async function searchUsers(
  db: Db,
  term: string,
  viewerId: string,
  limit = 20,
): Promise<{ user: User; blockedViewer: boolean }[]> {
  const pattern = `%${term.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  const rows = await db
    .select({
      user: users,
      blockedViewer: sql<number>`EXISTS (SELECT 1 FROM conversation_metadata b
        WHERE b.user_id = "users"."id" AND b.other_user_id = ${viewerId} AND b.is_blocked = 1)`,
    })
    .from(users)
    .where(
      and(
        ne(users.id, viewerId),
        or(sql`${users.name} LIKE ${pattern} ESCAPE '\\'`, sql`${users.email} LIKE ${pattern} ESCAPE '\\'`),
      ),
    )
    .orderBy(users.name)
    .limit(limit)
    .all();
  return rows.map((r) => ({ user: r.user, blockedViewer: Number(r.blockedViewer) === 1 }));
}

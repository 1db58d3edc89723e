import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { type User, users } from "../db/schema";
import { requireUserByRef } from "../domain/users";
import { forbidden, notFound, unauthorized } from "../lib/errors";
import type { AppEnv } from "../lib/http";
import { resolveDialect, verifyToken } from "../lib/tokens";

/**
 * File reads may carry the token as `?token=` so a browser can show an
 * attachment with a plain `<img src>` (it cannot send a header there).
 */
const queryTokenAllowed = (method: string, path: string) => method === "GET" && path.startsWith("/api/uploads/");

/** `Authorization: Bearer <jwt>`; sets `auth` and `dialect`. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  const token = match?.[1] ?? (queryTokenAllowed(c.req.method, c.req.path) ? c.req.query("token") : undefined);
  if (!token) throw unauthorized("Not authorized, no token");
  const result = await verifyToken(c.env, token);
  if (!result.ok) throw unauthorized(result.reason === "expired" ? "Token expired" : "Invalid token");
  const row = await c.var.db.select().from(users).where(eq(users.id, result.claims.sub)).get();
  // 004 documents 404 "User not found" for `GET /api/users/me` (a valid token whose user is gone)
  if (!row) throw c.req.path === "/api/users/me" ? notFound("User not found") : unauthorized("User not found");
  // the row is loaded anyway: the token version costs no extra round trip
  if (result.claims.ver !== row.tokenVersion) throw unauthorized("Token revoked: log in again");
  const dialect = resolveDialect(result.claims.dlc, c.req.query("dialect"));
  c.set("auth", { id: row.id, userId: row.userId, dialect, authTime: result.claims.authTime });
  c.set("user", row);
  c.set("dialect", dialect);
  await next();
});

/**
 * For owner-only routes (`/api/users/:userId/...`): the caller's row when
 * `ref` (either id form) names the caller, 403 for another user, 404 for nobody.
 */
export async function requireSelf(c: Context<AppEnv>, ref: string, what = "data"): Promise<User> {
  const me = c.var.user;
  if (ref === me.id || ref.toLowerCase() === me.userId) return me;
  await requireUserByRef(c.var.db, ref);
  throw forbidden(`Not authorized to access this user's ${what}`);
}

import { eq } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { users } from "../db/schema";
import { unauthorized } from "../lib/errors";
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
  const row = await c.var.db
    .select({ id: users.id, userId: users.userId })
    .from(users)
    .where(eq(users.id, result.claims.sub))
    .get();
  if (!row) throw unauthorized("User not found");
  const dialect = resolveDialect(result.claims.dlc, c.req.query("dialect"));
  c.set("auth", { id: row.id, userId: row.userId, dialect });
  c.set("dialect", dialect);
  await next();
});

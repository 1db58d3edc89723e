/**
 * Socket.IO CONNECT authentication (002's messages, CONTRACT.md).
 *
 * The token comes from the CONNECT payload `auth.token` (000, 002, 004), or
 * from the handshake query `token` (001: `io(url, { query: { token } })`), or
 * from an `Authorization: Bearer` header on the handshake (clients that can
 * set headers). A `Bearer ` prefix is accepted everywhere. The dialect is
 * the token's, overridable by `dialect` in the handshake query or the auth
 * payload.
 */
import { z } from "zod";
import { createDb } from "../../db/client";
import { findUserByRef } from "../../domain/users";
import type { Env } from "../../env";
import type { Db } from "../../db/client";
import { type Dialect, resolveDialect, verifyToken } from "../../lib/tokens";
import type { HandshakeInfo } from "./server";

export const AUTH_ERRORS = {
  noToken: "Authentication error: No token provided",
  userNotFound: "Authentication error: User not found",
  invalidToken: "Authentication error: Invalid token",
} as const;

/** The CONNECT payload: unknown fields are ignored, a non-string token is invalid. */
const AuthPayload = z.object({ token: z.unknown().optional(), dialect: z.unknown().optional() }).passthrough();

export interface SocketUser {
  /** `_id` */
  userId: string;
  /** UUID */
  userUuid: string;
  dialect: Dialect;
  /** the token's `exp` (seconds): events after it are refused and the connection closed */
  exp: number;
}

export type SocketAuthResult = { ok: true; user: SocketUser } | { ok: false; message: string };

const stripBearer = (t: string) => t.replace(/^Bearer\s+/i, "").trim();

export async function authenticateSocket(
  env: Env,
  auth: unknown,
  handshake: HandshakeInfo,
  db: Db = createDb(env.DB),
): Promise<SocketAuthResult> {
  const payload = AuthPayload.safeParse(auth ?? {});
  const fromAuth = payload.success ? payload.data.token : undefined;
  const candidate = fromAuth ?? handshake.query.token ?? handshake.authorization;
  if (candidate === undefined || candidate === null || candidate === "") return { ok: false, message: AUTH_ERRORS.noToken };
  if (typeof candidate !== "string") return { ok: false, message: AUTH_ERRORS.invalidToken };
  const token = stripBearer(candidate);
  if (!token) return { ok: false, message: AUTH_ERRORS.noToken };

  let verified: Awaited<ReturnType<typeof verifyToken>>;
  try {
    verified = await verifyToken(env, token);
  } catch (err) {
    return { ok: false, message: (err as Error).message }; // the server's configuration (JWT_SECRET), said as it is
  }
  if (!verified.ok) return { ok: false, message: AUTH_ERRORS.invalidToken };
  const user = await findUserByRef(db, verified.claims.sub);
  if (!user) return { ok: false, message: AUTH_ERRORS.userNotFound };
  // revoked by a password or email change or logout-all (the row is loaded anyway)
  if (verified.claims.ver !== user.tokenVersion) return { ok: false, message: AUTH_ERRORS.invalidToken };

  const override = handshake.query.dialect ?? (payload.success && typeof payload.data.dialect === "string" ? payload.data.dialect : undefined);
  return {
    ok: true,
    user: { userId: user.id, userUuid: user.userId, dialect: resolveDialect(verified.claims.dlc, override), exp: verified.claims.exp },
  };
}

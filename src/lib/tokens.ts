/**
 * JWTs (jose, HS256). One verification function serves REST and the
 * Socket.IO handshake.
 */
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import type { Env } from "../env";

export type Dialect = "standard" | "chat-socket";
export const DIALECTS: readonly Dialect[] = ["standard", "chat-socket"];

export interface TokenClaims {
  /** the user's `_id` */
  sub: string;
  /** the user's UUID */
  uid: string;
  /** dialect of the login that issued the token */
  dlc: Dialect;
  /** the user's token version when it was issued (users.tokenVersion); 0 when absent */
  ver?: number;
  /**
   * `auth_time` (OIDC's name): when the user last proved their credentials
   * (seconds). A login sets it; a token re-issued without a login carries
   * the old one forward. Absent: no recent login is claimed.
   */
  authTime?: number;
}

/** What a verified token says: its claims plus its expiry (seconds since the epoch). */
export interface VerifiedClaims extends TokenClaims {
  ver: number;
  exp: number;
}

export const TOKEN_TTL_SECONDS = 24 * 60 * 60;

/** A login this recent (by `auth_time`) may change the password or email without `currentPassword` (sudo mode). */
export const RECENT_LOGIN_SECONDS = 10 * 60;

const key = (env: Env) => {
  if (!env.JWT_SECRET) throw new Error("JWT_SECRET is not configured");
  return new TextEncoder().encode(env.JWT_SECRET);
};

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export async function issueToken(env: Env, claims: TokenClaims): Promise<string> {
  const payload: Record<string, unknown> = { uid: claims.uid, dlc: claims.dlc, ver: claims.ver ?? 0 };
  if (claims.authTime !== undefined) payload.auth_time = claims.authTime;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(env.JWT_ISSUER)
    .setAudience(env.JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
    .sign(key(env));
}

export type VerifyResult = { ok: true; claims: VerifiedClaims } | { ok: false; reason: "invalid" | "expired" };

export async function verifyToken(env: Env, token: string): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, key(env), {
      algorithms: ["HS256"],
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      requiredClaims: ["exp", "sub"],
    });
    if (typeof payload.sub !== "string" || typeof payload.uid !== "string" || typeof payload.exp !== "number") {
      return { ok: false, reason: "invalid" };
    }
    const ver = payload.ver ?? 0;
    if (typeof ver !== "number" || !Number.isSafeInteger(ver)) return { ok: false, reason: "invalid" };
    const dlc: Dialect = payload.dlc === "chat-socket" ? "chat-socket" : "standard";
    const authTime = typeof payload.auth_time === "number" ? payload.auth_time : undefined;
    return { ok: true, claims: { sub: payload.sub, uid: payload.uid, dlc, ver, exp: payload.exp, authTime } };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
    return { ok: false, reason: "invalid" };
  }
}

/** `?dialect=` overrides the token's dialect. */
export function resolveDialect(tokenDialect: Dialect, override: string | null | undefined): Dialect {
  return override === "standard" || override === "chat-socket" ? override : tokenDialect;
}

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
}

export const TOKEN_TTL_SECONDS = 24 * 60 * 60;

const key = (env: Env) => {
  if (!env.JWT_SECRET) throw new Error("JWT_SECRET is not configured");
  return new TextEncoder().encode(env.JWT_SECRET);
};

export async function issueToken(env: Env, claims: TokenClaims): Promise<string> {
  return new SignJWT({ uid: claims.uid, dlc: claims.dlc })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(env.JWT_ISSUER)
    .setAudience(env.JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
    .sign(key(env));
}

export type VerifyResult = { ok: true; claims: TokenClaims } | { ok: false; reason: "invalid" | "expired" };

export async function verifyToken(env: Env, token: string): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, key(env), {
      algorithms: ["HS256"],
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
    });
    if (typeof payload.sub !== "string" || typeof payload.uid !== "string") return { ok: false, reason: "invalid" };
    const dlc: Dialect = payload.dlc === "chat-socket" ? "chat-socket" : "standard";
    return { ok: true, claims: { sub: payload.sub, uid: payload.uid, dlc } };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
    return { ok: false, reason: "invalid" };
  }
}

/** `?dialect=` overrides the token's dialect. */
export function resolveDialect(tokenDialect: Dialect, override: string | null | undefined): Dialect {
  return override === "standard" || override === "chat-socket" ? override : tokenDialect;
}

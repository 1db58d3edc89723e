/**
 * JWTs (jose, HS256). One verification function serves REST and the
 * Socket.IO handshake.
 */
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import type { Env } from "../env";
import { ApiError, errorBody } from "./errors";

export type Dialect = "standard" | "chat-socket";

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

// Replaced at build time by wrangler: "development" under `wrangler dev`,
// "production" in `wrangler deploy` bundles (the `deploy` script pins it).
declare const process: { env: { NODE_ENV?: string } };

/** `wrangler dev` build (never a deployed bundle). */
export const isDevBuild = () => typeof process !== "undefined" && process.env.NODE_ENV === "development";

/** Signs tokens only in a `wrangler dev` build without JWT_SECRET (README "Deploying"). */
export const DEV_FALLBACK_JWT_SECRET = "insecure-wrangler-dev-only-jwt-secret-set-JWT_SECRET-in-.dev.vars";

export const MISSING_SECRET_MESSAGE =
  "Server misconfigured: the JWT_SECRET secret is not set. Production: run `npx wrangler secret put JWT_SECRET` and deploy again. " +
  "Local development: `npm run dev` creates .dev.vars with one (or put JWT_SECRET=... in .dev.vars).";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Without JWT_SECRET, the Worker entry answers every API, health and
 * Socket.IO request with this 500 (loud, and before anything is written),
 * unless this is a `wrangler dev` build serving a loopback address, the one
 * case where the development-only fallback secret is used. A deployed
 * Worker is never reached under a loopback hostname, so even a bundle built
 * with NODE_ENV=development never signs or accepts the fallback there (every
 * Durable Object is reached through this entry). Null: carry on.
 */
export function missingSecretResponse(env: Env, url: URL): Response | null {
  if (env.JWT_SECRET || (isDevBuild() && LOOPBACK_HOSTS.has(url.hostname))) return null;
  console.error(MISSING_SECRET_MESSAGE);
  return Response.json(errorBody(500, MISSING_SECRET_MESSAGE), { status: 500 });
}

let announced = false;

/**
 * The signing key. Without JWT_SECRET a `wrangler dev` build falls back to a
 * fixed development-only secret (announced once in the log); any other
 * build refuses every token operation with 500 and says what to do, and
 * never signs with a default.
 */
const key = (env: Env) => {
  if (env.JWT_SECRET) return new TextEncoder().encode(env.JWT_SECRET);
  if (isDevBuild()) {
    if (!announced) {
      announced = true;
      console.warn(
        "JWT_SECRET is not set: this `wrangler dev` session signs tokens with a development-only fallback secret. " +
          "Put JWT_SECRET=... in .dev.vars (`npm run dev` creates it); a deployed Worker refuses to run without the secret.",
      );
    }
    return new TextEncoder().encode(DEV_FALLBACK_JWT_SECRET);
  }
  console.error(MISSING_SECRET_MESSAGE);
  throw new ApiError(500, MISSING_SECRET_MESSAGE);
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
  const secret = key(env); // a missing secret is the server's fault, never an "invalid token"
  try {
    const { payload } = await jwtVerify(token, secret, {
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

import type { Env } from "../env";

const num = (v: string | undefined, fallback: number) => {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : fallback;
};

/** Typed view of the string vars in wrangler.toml. */
export const config = (env: Env) => ({
  /** 004 form login of accounts without a password (wrangler.toml ships "true"; "false" switches it off). */
  passwordless: env.AUTH_PASSWORDLESS === "true",
  phoneRegion: env.DEFAULT_PHONE_REGION || "US",
  compliance: env.COMPLIANCE_MODE === "true",
  pingIntervalMs: num(env.PING_INTERVAL_MS, 25000),
  pingTimeoutMs: num(env.PING_TIMEOUT_MS, 20000),
  connectTimeoutMs: num(env.CONNECT_TIMEOUT_MS, 45000),
  maxPayload: num(env.MAX_PAYLOAD, 1_000_000),
  uploadMaxBytes: num(env.UPLOAD_MAX_BYTES, 10 * 1024 * 1024),
});

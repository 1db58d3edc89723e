/**
 * Bindings declared in wrangler.toml (vars are strings). Durable Object
 * namespaces are untyped here, so that this module, which everything
 * imports, imports nothing: typed stubs come from src/objects/stubs.ts.
 */
export interface Env {
  DB: D1Database;
  UPLOADS: R2Bucket;
  /** Static files in public/ (web client, vendored browser builds). */
  ASSETS: Fetcher;
  ENGINE_SESSION: DurableObjectNamespace;
  USER_HUB: DurableObjectNamespace;
  CONVERSATION_ROOM: DurableObjectNamespace;
  JWT_SECRET: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  AUTH_PASSWORDLESS: string;
  DEFAULT_PHONE_REGION: string;
  COMPLIANCE_MODE: string;
  PING_INTERVAL_MS: string;
  PING_TIMEOUT_MS: string;
  CONNECT_TIMEOUT_MS: string;
  MAX_PAYLOAD: string;
  UPLOAD_MAX_BYTES: string;
  RATE_LIMIT_EXEMPT_IPS: string;
  /** 004 rate limits (Workers Rate Limiting bindings). */
  MESSAGE_LIMITER: RateLimit;
  CONNECT_LIMITER: RateLimit;
  API_LIMITER: RateLimit;
  /** Socket event budgets per user (src/realtime/socket/budgets.ts). */
  SOCKET_TYPING_LIMITER: RateLimit;
  SOCKET_GROUP_LIMITER: RateLimit;
  SOCKET_READ_LIMITER: RateLimit;
  /** 004's hourly API budget per IP: one ApiRateLedger per client IP. */
  API_RATE: DurableObjectNamespace;
  /** requests per hour per IP (default 1000) */
  API_HOURLY_LIMIT?: string;
  /** Per-user lookups of people (search, phone filter/status, adding a contact or friend). */
  LOOKUP_LIMITER: RateLimit;
  /** Test-only: overrides where calendar providers are reached (a local fake). */
  CALENDAR_API_BASE?: string;
  /** Per-provider overrides of where calendar sync reaches Google, Microsoft Graph and CalDAV. */
  GOOGLE_CALENDAR_API_BASE?: string;
  MS_GRAPH_API_BASE?: string;
  CALDAV_BASE_URL?: string;
}

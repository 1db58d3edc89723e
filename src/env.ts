import type { ApiRateLedger } from "./objects/api-rate-ledger";
import type { ConversationRoom } from "./objects/conversation-room";
import type { EngineSession } from "./objects/engine-session";
import type { UserHub } from "./objects/user-hub";

/** Bindings declared in wrangler.toml (vars are strings). */
export interface Env {
  DB: D1Database;
  UPLOADS: R2Bucket;
  /** Static files in public/ (web client, vendored browser builds). */
  ASSETS: Fetcher;
  ENGINE_SESSION: DurableObjectNamespace<EngineSession>;
  USER_HUB: DurableObjectNamespace<UserHub>;
  CONVERSATION_ROOM: DurableObjectNamespace<ConversationRoom>;
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
  API_RATE: DurableObjectNamespace<ApiRateLedger>;
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

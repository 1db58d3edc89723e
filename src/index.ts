/**
 * Worker entry: Socket.IO / Engine.IO traffic goes to the real-time gateway,
 * everything else to the REST app; the cron trigger is the safety net for
 * status expiry and schedules.
 */
import { createApp } from "./app";
import type { Env } from "./env";
import { handleRealtime, isRealtimePath } from "./realtime/gateway";
import { runCron } from "./jobs/cron";
import { missingSecretResponse } from "./lib/tokens";

export { ApiRateLedger } from "./objects/api-rate-ledger";
export { ConversationRoom } from "./objects/conversation-room";
export { EngineSession } from "./objects/engine-session";
export { UserHub } from "./objects/user-hub";

const app = createApp();

/** The web client (public/index.html, public/app/*) and vendored browser builds. */
const isStaticPath = (p: string) => p === "/" || p === "/index.html" || p.startsWith("/app/") || p.startsWith("/vendor/");

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (isStaticPath(url.pathname)) return env.ASSETS.fetch(request);
    // 004 "Socket.IO Test Page: Open client_example.html": the web client (Socket.IO chat in the browser)
    if (url.pathname === "/client_example.html") return env.ASSETS.fetch(new Request(new URL("/", url), request));
    const misconfigured = missingSecretResponse(env, url); // a deploy without JWT_SECRET refuses loudly
    if (misconfigured) return misconfigured;
    if (isRealtimePath(url.pathname, env)) return handleRealtime(request, env, ctx);
    return app.fetch(request, env, ctx);
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runCron(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;

/**
 * The REST application: one Hono sub-app per resource, one error handler,
 * the OpenAPI document and its interactive UI.
 */
import { cors } from "hono/cors";
import { createDb } from "./db/client";
import { errorBody, onError } from "./lib/errors";
import { createRouter } from "./lib/http";
import { auth } from "./routes/auth";
import { usersRouter } from "./routes/users";
import { friendsRouter } from "./routes/friends";
import { uploadsRouter } from "./routes/uploads";
import { schedulesRouter, upcomingRouter } from "./routes/schedules";
import { bulkRouter } from "./routes/bulk";
import { conversationsRouter } from "./routes/conversations";
import { conversationRouter } from "./routes/conversation";
import { metadataRouter } from "./routes/conversation-metadata";
import { messagesRouter } from "./routes/messages";
import { statusManagementRouter, statusRouter } from "./routes/status";
import { userStatusRouter } from "./routes/user-status";
import { contactsRouter } from "./routes/contacts";
import { requireAuth } from "./middleware/auth";
import { checkApiRate } from "./domain/rate-limits";
import { boundedBody } from "./lib/body-limit";
import { ErrorView } from "./views/schemas";
import { asyncApiDocument, asyncApiPage } from "./realtime/asyncapi";

type OpenApiDoc = ReturnType<ReturnType<typeof createRouter>["getOpenAPI31Document"]>;

/** Every 4xx/5xx response documented without a body gets the error body `{success:false, statusCode, message, error, detail}`. */
function withErrorBodies(doc: OpenApiDoc): OpenApiDoc {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item ?? {})) {
      const responses = (op as { responses?: Record<string, { content?: unknown }> } | undefined)?.responses;
      if (!responses || typeof responses !== "object") continue;
      for (const [code, response] of Object.entries(responses)) {
        if (/^[45]\d\d$/.test(code) && response && !response.content) {
          response.content = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
        }
      }
    }
  }
  return doc;
}

/** Swagger UI over /openapi.json, served from our own assets (no CDN). */
const docsPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Edge chat &amp; presence API</title>
  <link rel="stylesheet" href="/vendor/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/vendor/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: true });
  </script>
</body>
</html>`;

export function createApp() {
  const app = createRouter();

  app.use("*", async (c, next) => {
    c.set("db", createDb(c.env.DB));
    await next();
  });
  app.use("/api/*", cors({ origin: (o) => o ?? "*", credentials: true, maxAge: 600 }));

  // Every body is bounded before anything parses it (src/lib/body-limit.ts).
  app.use("*", boundedBody);

  app.use("/api/*", async (c, next) => {
    await checkApiRate(c.env, c.req.raw, (p) => c.executionCtx.waitUntil(p));
    await next();
  });

  // Everything under /api needs a bearer token except the auth routes themselves.
  app.use("/api/*", async (c, next) => {
    if (c.req.path.startsWith("/api/auth/") || c.req.method === "OPTIONS") return next();
    return requireAuth(c, next);
  });

  app.get("/health", (c) => c.json({ status: "healthy", success: true, timestamp: new Date().toISOString() }));

  app.route("/api/auth", auth);
  app.route("/api/users", usersRouter);
  app.route("/api/friends", friendsRouter);
  app.route("/api/uploads", uploadsRouter);
  app.route("/api/users", schedulesRouter);
  app.route("/api/status/schedules", upcomingRouter);
  app.route("/api/bulk", bulkRouter);
  app.route("/api/conversations", conversationsRouter);
  app.route("/api/conversations", conversationRouter);
  app.route("/api/conversations", metadataRouter);
  app.route("/api/messages", messagesRouter);
  app.route("/api/users", userStatusRouter);
  app.route("/api/status-management", statusManagementRouter);
  app.route("/api/status", statusRouter);
  app.route("/api/contacts", contactsRouter);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  app.openAPIRegistry.register("Error", ErrorView);
  const docConfig = {
    openapi: "3.1.0",
    info: {
      title: "Edge chat & presence API",
      version: "1.0.0",
      description:
        "One backend for the status & contacts (000), professional chat (001), Socket.IO messaging (002), " +
        "conversations (003) and chat-socket (004) documents. Message pages: page 1 (or skip=0) is the NEWEST " +
        "page, each page in chronological order; hasNextPage/hasMore mean older messages exist. Conversations " +
        "are ordered by last activity, newest first. Errors: `{success:false, statusCode, message, error, detail}`. " +
        "The Socket.IO API is documented at [/docs/socket](/docs/socket) (AsyncAPI 3: [/asyncapi.json](/asyncapi.json)).",
    },
  } as const;
  // Generated on request; every error answer gets the one error body's schema.
  app.get("/openapi.json", (c) => c.json(withErrorBodies(app.getOpenAPI31Document(docConfig))));
  app.get("/docs", (c) => c.html(docsPage));
  // The socket API: AsyncAPI 3, generated from the event schemas (src/views/socket-schemas.ts, src/realtime/catalog/).
  app.get("/asyncapi.json", (c) => c.json(asyncApiDocument()));
  app.get("/docs/socket", (c) => c.html(asyncApiPage()));

  app.notFound((c) => c.json(errorBody(404, `Route not found: ${c.req.method} ${new URL(c.req.url).pathname}`), 404));
  app.onError(onError);
  return app;
}

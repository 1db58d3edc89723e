/**
 * The AsyncAPI 3 document of the socket API (`/asyncapi.json`) and its
 * rendering (`/docs/socket`), generated from the event catalog
 * (src/realtime/catalog/), i.e. from the event schemas (src/views/socket-schemas.ts,
 * the same table the event maps src/views/event-map.ts are typed from) and the
 * view schemas, with `z.toJSONSchema`.
 *
 * One channel per dialect (both on the namespace `/` of `/socket.io/`):
 * `standard` (000-003) and `chat-socket` (004). Each client->server event is
 * a `receive` operation whose `reply` is the acknowledgement (the answer, or
 * the error body); each server->client event is a `send` operation.
 * Extensions: `x-errors` (status and when), `x-rate-limit` (the event's
 * budget), `x-answers` (events the asking socket also gets), `x-documents`
 * (the seed documents naming the event), `x-audience` (who gets an emitted
 * event).
 *
 * The page is rendered here, not by the AsyncAPI web component: that
 * component bundles React and the AsyncAPI parser (with its schema parsers,
 * protobuf/avro support and a DOM sanitizer), far more than a page listing
 * two dozen events in each direction needs; this one is self-contained (no
 * script, no CDN).
 */
import { z } from "zod";
import type { Dialect } from "../lib/tokens";
import { budgetOf, CLIENT_EVENTS, type ClientEvent, DIALECTS, ErrorAck, type PerDialect, SERVER_EVENTS, type ServerEvent } from "./catalog";

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-7" }) as Json;
  delete out.$schema;
  return out;
}

const forDialect = (p: PerDialect, d: Dialect): z.ZodType | undefined =>
  p instanceof z.ZodType ? p : (p as Partial<Record<Dialect, z.ZodType>>)[d];

const CHANNEL_TEXT: Record<Dialect, string> = {
  standard:
    "The standard dialect (documents 000, 001, 002, 003): tokens from `POST /api/auth/register` and JSON login. " +
    "Events that two documents name differently are emitted under the 001 and 002 names.",
  "chat-socket":
    "The chat-socket dialect (document 004): tokens from 004's form login. Events are emitted under 004's names. " +
    "A handshake may override a token's dialect with `?dialect=standard|chat-socket`.",
};

let cached: Json | null = null;

export function asyncApiDocument(): Json {
  if (cached) return cached;
  const messages: Json = {};
  const channels: Json = {};
  const operations: Json = {};
  messages["error.ack"] = {
    name: "error ack",
    title: "Error acknowledgement",
    summary: "The ack of a failed event: `{success:false, statusCode, message, error, detail}` (CONTRACT.md).",
    payload: jsonSchema(ErrorAck, "output"),
  };
  for (const d of DIALECTS) {
    const channelMessages: Json = { "error.ack": { $ref: "#/components/messages/error.ack" } };
    const ref = (key: string) => ({ $ref: `#/channels/${d}/messages/${key}` });
    for (const e of CLIENT_EVENTS.filter((x) => x.dialects.includes(d))) {
      const id = `${d}.${e.name}`;
      messages[id] = {
        name: e.name,
        title: e.name,
        summary: e.summary,
        payload: e.payload ? jsonSchema(e.payload, "input") : { type: "null", description: "no payload" },
        "x-documents": e.documents,
      };
      const ack = forDialect(e.ack, d);
      messages[`${id}.ack`] = {
        name: `${e.name} ack`,
        title: `Acknowledgement of ${e.name}`,
        payload: ack ? jsonSchema(ack, "output") : {},
      };
      channelMessages[e.name] = { $ref: `#/components/messages/${id}` };
      channelMessages[`${e.name}.ack`] = { $ref: `#/components/messages/${id}.ack` };
      operations[`${d}.receive.${e.name}`] = {
        action: "receive",
        title: e.name,
        summary: e.summary,
        channel: { $ref: `#/channels/${d}` },
        messages: [ref(e.name)],
        reply: { channel: { $ref: `#/channels/${d}` }, messages: [ref(`${e.name}.ack`), ref("error.ack")] },
        "x-direction": "client->server",
        "x-errors": e.errors,
        "x-rate-limit": budgetOf(e.name),
        ...(e.answers ? { "x-answers": e.answers } : {}),
      };
    }
    for (const e of SERVER_EVENTS.filter((x) => x.dialects.includes(d))) {
      const id = `${d}.${e.name}`;
      const payload = forDialect(e.payload, d);
      messages[id] = {
        name: e.name,
        title: e.name,
        summary: e.summary,
        payload: payload ? jsonSchema(payload, "output") : {},
        "x-documents": e.documents,
      };
      const key = CLIENT_EVENTS.some((c) => c.name === e.name) ? `${e.name}.event` : e.name;
      channelMessages[key] = { $ref: `#/components/messages/${id}` };
      operations[`${d}.send.${e.name}`] = {
        action: "send",
        title: e.name,
        summary: e.summary,
        channel: { $ref: `#/channels/${d}` },
        messages: [ref(key)],
        "x-direction": "server->client",
        "x-audience": e.audience,
      };
    }
    channels[d] = {
      address: "/",
      title: `${d} dialect`,
      description: CHANNEL_TEXT[d],
      messages: channelMessages,
    };
  }
  cached = {
    asyncapi: "3.0.0",
    info: {
      title: "Edge chat & presence socket API",
      version: "1.0.0",
      description:
        "Socket.IO v4 (Engine.IO 4) on `/socket.io/`, namespace `/`, over HTTP long-polling and WebSocket. " +
        "Authenticate with `auth: {token}` or `query: {token}`; failures are CONNECT_ERROR `Authentication error: ...`. " +
        "Every client->server event answers its acknowledgement callback when one is given (the body the matching REST call returns), " +
        "and a failure also emits `error` `{message}`. Payload schemas are the server's validation schemas; emitted payloads are the views' shapes. " +
        "Events over their rate budget are refused with a 429 ack; a connection that keeps going is disconnected.",
    },
    defaultContentType: "application/json",
    servers: {
      local: {
        host: "127.0.0.1:8787",
        protocol: "ws",
        pathname: "/socket.io/",
        description: "`wrangler dev`; the deployed Worker serves the same path over wss.",
      },
    },
    channels,
    operations,
    components: { messages },
  };
  return cached;
}

// ---- the page -------------------------------------------------------------------

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** Inline code spans of the summaries (`x`) as <code>. */
const md = (s: string) => esc(s).replace(/`([^`]+)`/g, "<code>$1</code>");

const schemaBlock = (label: string, schema: unknown) =>
  `<details><summary>${esc(label)}</summary><pre>${esc(JSON.stringify(schema, null, 2))}</pre></details>`;

function clientRow(doc: Json, d: Dialect, e: ClientEvent): string {
  const msgs = (doc.components as { messages: Record<string, { payload: unknown }> }).messages;
  const b = budgetOf(e.name);
  return `<section class="event" id="${esc(`${d}-in-${e.name}`)}">
  <h4><span class="dir in">client → server</span> <code>${esc(e.name)}</code> <span class="docs">${esc(e.documents.join(", "))}</span></h4>
  <p>${md(e.summary)}</p>
  ${schemaBlock("payload", msgs[`${d}.${e.name}`].payload)}
  ${schemaBlock("ack", msgs[`${d}.${e.name}.ack`].payload)}
  ${e.answers ? `<p>Also emits to this socket: ${e.answers.map((a) => `<code>${esc(a)}</code>`).join(", ")}</p>` : ""}
  <p class="errors">Errors (ack = error body, plus <code>error</code> event): ${e.errors.map((x) => `<b>${x.status}</b> ${md(x.when)}`).join("; ")}</p>
  <p class="budget">Budget: <b>${esc(b.kind)}</b> — ${b.burst} at once, ${b.perSecond}/s per connection${b.perUserText ? `, ${esc(b.perUserText)} per user` : ""}</p>
</section>`;
}

function serverRow(doc: Json, d: Dialect, e: ServerEvent): string {
  const msgs = (doc.components as { messages: Record<string, { payload: unknown }> }).messages;
  return `<section class="event" id="${esc(`${d}-out-${e.name}`)}">
  <h4><span class="dir out">server → client</span> <code>${esc(e.name)}</code> <span class="docs">${esc(e.documents.join(", "))}</span></h4>
  <p>${md(e.summary)}</p>
  <p class="audience">To: ${md(e.audience)}</p>
  ${schemaBlock("payload", msgs[`${d}.${e.name}`].payload)}
</section>`;
}

export function asyncApiPage(): string {
  const doc = asyncApiDocument();
  const info = doc.info as { title: string; version: string; description: string };
  const sections = DIALECTS.map((d) => {
    const ins = CLIENT_EVENTS.filter((e) => e.dialects.includes(d));
    const outs = SERVER_EVENTS.filter((e) => e.dialects.includes(d));
    return `<h2 id="${d}">${esc(d)} dialect</h2>
<p>${md(CHANNEL_TEXT[d])}</p>
<nav>${[...ins.map((e) => `<a href="#${esc(`${d}-in-${e.name}`)}">→ ${esc(e.name)}</a>`), ...outs.map((e) => `<a href="#${esc(`${d}-out-${e.name}`)}">← ${esc(e.name)}</a>`)].join(" ")}</nav>
<h3>Client → server (${ins.length})</h3>
${ins.map((e) => clientRow(doc, d, e)).join("\n")}
<h3>Server → client (${outs.length})</h3>
${outs.map((e) => serverRow(doc, d, e)).join("\n")}`;
  }).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)}</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 70rem; margin: 0 auto; padding: 1rem 1.5rem; color: #1d2433; }
  code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
  pre { background: #f5f7fa; padding: .6rem; overflow: auto; max-height: 28rem; border-radius: 4px; }
  nav a { display: inline-block; margin: 0 .5rem .3rem 0; font-size: 13px; }
  .event { border-top: 1px solid #dde3ea; padding: .4rem 0; }
  .event h4 { margin: .4rem 0; }
  .dir { font-size: 12px; padding: 1px 6px; border-radius: 3px; color: #fff; }
  .dir.in { background: #2f6fdb; } .dir.out { background: #2e8b57; }
  .docs { color: #6b7685; font-weight: normal; font-size: 13px; }
  .errors, .budget, .audience { font-size: 13px; color: #444; }
  summary { cursor: pointer; color: #2f6fdb; }
</style>
</head>
<body>
<h1>${esc(info.title)} <small>${esc(info.version)}</small></h1>
<p>${md(info.description)}</p>
<p>Machine-readable: <a href="/asyncapi.json">/asyncapi.json</a> (AsyncAPI 3.0). REST: <a href="/docs">/docs</a>.</p>
${sections}
</body>
</html>`;
}

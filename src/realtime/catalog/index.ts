/**
 * Every Socket.IO event of the product, both directions and both dialects:
 * what the AsyncAPI document (src/realtime/asyncapi.ts) is generated from.
 *
 * The schemas come from the same table as the event maps
 * (src/views/socket-schemas.ts, src/views/event-map.ts): client->server
 * payloads are the schemas the handlers validate with, acknowledgement and
 * server->client payloads are view schemas, which `tsc` checks against the
 * views that build what is emitted. The prose is here (./client.ts,
 * ./server.ts), one entry per event of the maps (`tsc` checks that too).
 * test/workers/asyncapi.test.ts fails when a handler of the handler table
 * is missing here; test/e2e/asyncapi.test.ts when an event name emitted
 * anywhere in src/ is.
 */
import type { ClientEventName, ServerEventName } from "../../views/event-map";
import { CLIENT_SCHEMAS, DIALECTS, SERVER_SCHEMAS } from "../../views/socket-schemas";
import { ErrorView } from "../../views/schemas";
import { BUDGETS, kindOf } from "../socket/budgets";
import { CLIENT_DOCS } from "./client";
import { SERVER_DOCS } from "./server";
import type { ClientEvent, ServerEvent } from "./types";

export type { ClientEvent, ErrorCase, PerDialect, ServerEvent } from "./types";
export { DIALECTS };

const names = <K extends string>(o: Record<K, unknown>) => Object.keys(o) as K[];

export const CLIENT_EVENTS: ClientEvent[] = names(CLIENT_DOCS).map((name: ClientEventName) => {
  const schemas = CLIENT_SCHEMAS[name];
  return { name, ...CLIENT_DOCS[name], dialects: DIALECTS, payload: "payload" in schemas ? schemas.payload : undefined, ack: schemas.ack };
});

export const SERVER_EVENTS: ServerEvent[] = names(SERVER_DOCS).map((name: ServerEventName) => ({
  name,
  ...SERVER_DOCS[name],
  dialects: SERVER_SCHEMAS[name].dialects,
  payload: SERVER_SCHEMAS[name].payload,
}));

/** The ack body of a failed event (CONTRACT.md error body). */
export const ErrorAck = ErrorView;

export const budgetOf = (event: string) => ({ kind: kindOf(event), ...BUDGETS[kindOf(event)] });

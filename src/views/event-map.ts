/**
 * The Socket.IO event maps, one per dialect (CONTRACT.md: `standard` speaks
 * the 001/002 event names, `chat-socket` the 004 ones): for each
 * client->server event its payload (as a client sends it) and its
 * acknowledgement, for each server->client event its payload. Types only,
 * derived from the schemas (./socket-schemas.ts), so a payload is written
 * once: the handlers' tables (src/realtime/handlers/index.ts), what a
 * connection emits and the AsyncAPI document all follow from them.
 *
 * Client->server events are the same in both dialects (a payload picks the
 * document, CONTRACT.md "dispatch on payload"); some acknowledgements take
 * the connection's dialect's shape.
 */
import type { z } from "zod";
import type { Dialect } from "../lib/tokens";
import type { CLIENT_SCHEMAS, PerDialect, SERVER_SCHEMAS } from "./socket-schemas";

/** What a schema (or the dialect's schema) produces. */
type Out<S extends PerDialect, D extends Dialect> = S extends z.ZodType ? z.output<S> : S extends { readonly [K in Dialect]: z.ZodType } ? z.output<S[D]> : never;
/** What a schema accepts; `undefined` for events without a payload. */
type In<S> = S extends z.ZodType ? z.input<S> : undefined;

type ClientSchemaMap = typeof CLIENT_SCHEMAS;
type ServerSchemaMap = typeof SERVER_SCHEMAS;

export type ClientEventName = keyof ClientSchemaMap;
export type ServerEventName = keyof ServerSchemaMap;

/** Client->server events of a dialect: `{ payload, ack }` by name. */
export type ClientEventMap<D extends Dialect> = {
  [E in ClientEventName]: {
    payload: In<ClientSchemaMap[E] extends { payload: infer P } ? P : undefined>;
    ack: Out<ClientSchemaMap[E]["ack"], D>;
  };
};

/** Server->client events a connection of the dialect gets: payload by name. */
export type ServerEventMap<D extends Dialect> = {
  [E in ServerEventName as D extends ServerSchemaMap[E]["dialects"][number] ? E : never]: Out<ServerSchemaMap[E]["payload"], D>;
};

export type StandardClientEvents = ClientEventMap<"standard">;
export type StandardServerEvents = ServerEventMap<"standard">;
export type ChatSocketClientEvents = ClientEventMap<"chat-socket">;
export type ChatSocketServerEvents = ServerEventMap<"chat-socket">;

/** Both dialects' maps. */
export interface EventMaps {
  standard: { client: StandardClientEvents; server: StandardServerEvents };
  "chat-socket": { client: ChatSocketClientEvents; server: ChatSocketServerEvents };
}

/** A client event's payload as a client sends it (the same in both dialects). */
export type ClientPayload<E extends ClientEventName> = ClientEventMap<Dialect>[E]["payload"];
/** A client event's acknowledgement on a connection of either dialect. */
export type ClientAck<E extends ClientEventName> = { [D in Dialect]: ClientEventMap<D>[E]["ack"] }[Dialect];

/** A server event's payload on a connection of either dialect that gets it. */
export type ServerPayload<E extends ServerEventName> = {
  [D in Dialect]: E extends keyof ServerEventMap<D> ? ServerEventMap<D>[E] : never;
}[Dialect];

/** One server->client event of a dialect, as the `[name, payload]` its connections get. */
export type ServerEvent<D extends Dialect> = {
  [E in keyof ServerEventMap<D>]: [event: E, payload: ServerEventMap<D>[E]];
}[keyof ServerEventMap<D>];

/**
 * Events for users' connections, typed by the maps: one list per dialect, or
 * one list of events that both dialects get with the same payload.
 */
export type DialectEvents = { [D in Dialect]: ServerEvent<D>[] } | Extract<ServerEvent<"standard">, ServerEvent<"chat-socket">>[];

import type { z } from "zod";
import type { Dialect } from "../../lib/tokens";
import type { PerDialect } from "../../views/socket-schemas";

export type { PerDialect };

export interface ErrorCase {
  status: number;
  when: string;
}

/** The prose of a client->server event. */
export interface ClientDoc {
  summary: string;
  /** seed documents that name the event */
  documents: string[];
  /** events this connection gets in answer (besides the ack) */
  answers?: string[];
  errors: ErrorCase[];
}

/** The prose of a server->client event. */
export interface ServerDoc {
  summary: string;
  documents: string[];
  /** who gets it, and when */
  audience: string;
}

export interface ClientEvent extends ClientDoc {
  name: string;
  dialects: readonly Dialect[];
  /** undefined: the event takes no payload */
  payload?: z.ZodType;
  ack: PerDialect;
}

export interface ServerEvent extends ServerDoc {
  name: string;
  dialects: readonly Dialect[];
  payload: PerDialect;
}

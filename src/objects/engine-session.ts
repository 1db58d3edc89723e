import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class EngineSession extends DurableObject<Env> {}

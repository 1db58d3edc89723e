import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class UserHub extends DurableObject<Env> {}

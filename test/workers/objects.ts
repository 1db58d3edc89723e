/**
 * Stubs of the Durable Objects typed by their classes, for tests: tests
 * reach every method (diagnostics such as `inspect`, `sessions`, `joined`
 * included) and pass stubs to `runInDurableObject`. Product code uses the
 * factories in src/objects/stubs.ts, typed by src/objects/rpc.ts.
 */
import { env } from "cloudflare:workers";
import type { ApiRateLedger } from "../../src/objects/api-rate-ledger";
import type { ConversationRoom } from "../../src/objects/conversation-room";
import type { EngineSession } from "../../src/objects/engine-session";
import type { UserHub } from "../../src/objects/user-hub";

const named = <T extends Rpc.DurableObjectBranded>(ns: DurableObjectNamespace, name: string) =>
  ns.get(ns.idFromName(name)) as unknown as DurableObjectStub<T>;

export const engineStub = (sid: string) => named<EngineSession>(env.ENGINE_SESSION, sid);
export const hubStub = (userId: string) => named<UserHub>(env.USER_HUB, userId);
export const roomStub = (conversationId: string) => named<ConversationRoom>(env.CONVERSATION_ROOM, conversationId);
export const ledgerStub = (ip: string) => named<ApiRateLedger>(env.API_RATE, ip);

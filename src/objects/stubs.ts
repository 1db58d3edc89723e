/**
 * How the rest of the code reaches a Durable Object: one stub factory per
 * class, by the object's name. Names map to ids once per isolate (`idFromName`
 * hashes the name, which showed in CPU profiles of the message path); ids
 * are plain values, safe to share, unlike stubs, which belong to the
 * context that made them.
 */
import type { Env } from "../env";
import type { ApiRateLedgerRpc, ConversationRoomRpc, EngineSessionRpc, UserHubRpc } from "./rpc";

const MAX_IDS = 20_000;

function idCache() {
  const ids = new Map<string, DurableObjectId>();
  return (ns: { idFromName(name: string): DurableObjectId }, name: string): DurableObjectId => {
    let id = ids.get(name);
    if (!id) {
      if (ids.size >= MAX_IDS) ids.delete(ids.keys().next().value!);
      id = ns.idFromName(name);
      ids.set(name, id);
    }
    return id;
  };
}

/** A stub of an object whose class implements `T` (./rpc.ts), reached by name. */
function factory<T>(pick: (env: Env) => DurableObjectNamespace) {
  const ids = idCache();
  return (env: Env, name: string): T & { readonly id: DurableObjectId } => {
    const ns = pick(env);
    return ns.get(ids(ns, name)) as unknown as T & { readonly id: DurableObjectId };
  };
}

/** One Engine.IO connection, by its session id. */
export const engineSessionStub = factory<EngineSessionRpc>((env) => env.ENGINE_SESSION);

/** One user's hub, by the user's `_id`. */
export const userHub = factory<UserHubRpc>((env) => env.USER_HUB);

/** One conversation's room, by the conversation's `_id`. */
export const conversationRoom = factory<ConversationRoomRpc>((env) => env.CONVERSATION_ROOM);

/** One client IP's hourly API budget, by the IP. */
export const apiRateLedger = factory<ApiRateLedgerRpc>((env) => env.API_RATE);

/**
 * The name an object was reached by (every factory above uses `idFromName`).
 * workerd keeps the name with the object: it is there in every call, in
 * alarms and after eviction, also behind an id rebuilt from its string
 * (test/workers/object-names.test.ts), so no call carries it. It is also
 * kept once in the object's own storage, for a runtime that wakes an object
 * without it.
 */
export function ownName(ctx: DurableObjectState): string {
  const stored = ctx.storage.kv.get<string>(NAME_KEY);
  const name = ctx.id.name ?? stored;
  if (!name) throw new Error("a Durable Object reached without a name (use the factories in src/objects/stubs.ts)");
  if (stored !== name) ctx.storage.kv.put(NAME_KEY, name);
  return name;
}

const NAME_KEY = "ownName";

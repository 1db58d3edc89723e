/** How the rest of the code reaches a Durable Object: one stub factory per class, by the object's name. */
import type { Env } from "../env";

/** One Engine.IO connection, by its session id. */
export const engineSessionStub = (env: Env, sid: string) => env.ENGINE_SESSION.get(env.ENGINE_SESSION.idFromName(sid));

/** One user's hub, by the user's `_id`. */
export const userHub = (env: Env, userId: string) => env.USER_HUB.get(env.USER_HUB.idFromName(userId));

/** One conversation's room, by the conversation's `_id`. */
export const conversationRoom = (env: Env, conversationId: string) => env.CONVERSATION_ROOM.get(env.CONVERSATION_ROOM.idFromName(conversationId));

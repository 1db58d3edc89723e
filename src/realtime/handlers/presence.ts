/**
 * Connection-level presence events.
 *
 * - On connect, every socket gets 002's `connection` `{success, user}` (an
 *   event no other document names, so not dialect-dependent); a
 *   `standard`-dialect socket also gets `online_users` (the ONLINE users
 *   among those whose presence this user may see; never the whole user base).
 * - `get_online_users` (004) answers `online_users`: `{users:[emails]}` for
 *   `chat-socket` sockets, the 002 array for `standard` ones; the ack gets
 *   the same body.
 */
import { and, eq, inArray } from "drizzle-orm";
import { type User, users } from "../../db/schema";
import { watchedBy } from "../../domain/relations";
import { findUserByRef } from "../../domain/users";
import type { Db } from "../../db/client";
import { chunks } from "../../lib/chunks";
import { connectionPayload, onlineUsers002, onlineUsers004 } from "../../views/presence";
import type { ConnectHook, EventHandler, HandlerTable, SocketContext } from "../events";

/** Online users among those whose presence `userId` may see. */
export async function onlineWatched(db: Db, userId: string): Promise<User[]> {
  const ids = await watchedBy(db, userId);
  const out: User[] = [];
  for (const part of chunks(ids)) {
    const rows = await db
      .select()
      .from(users)
      .where(and(inArray(users.id, part), eq(users.isOnline, true)))
      .all();
    out.push(...rows);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

async function onlineUsersFor(ctx: SocketContext) {
  const list = await onlineWatched(ctx.db, ctx.userId);
  return ctx.dialect === "chat-socket" ? onlineUsers004(list) : onlineUsers002(list);
}

/** On connect: `connection`, and on standard-dialect connections `online_users`. */
export const presenceOnConnect: ConnectHook = async (ctx) => {
  const me = await findUserByRef(ctx.db, ctx.userId);
  if (!me) return;
  // `connection` is not dialect-named (CONTRACT.md): every connection gets it
  ctx.emit("connection", connectionPayload(me));
  // `online_users` is: pushed on connect in 002's shape; 004 gets it only as the answer to get_online_users
  if (ctx.dialect === "standard") ctx.emit("online_users", await onlineUsersFor(ctx));
};

const on_get_online_users: EventHandler<"get_online_users"> = async (ctx) => {
  const payload = await onlineUsersFor(ctx);
  ctx.emit("online_users", payload);
  return payload;
};

/**
 * Diagnostics: acknowledges with its argument unchanged (text, JSON or
 * binary), so a client can check its connection end to end and measure the
 * round trip: `socket.emit("echo", payload, (reply) => ...)`.
 */
const on_echo: EventHandler<"echo"> = async (_ctx, payload) => payload;

export const presenceHandlers = {
  get_online_users: on_get_online_users,
  echo: on_echo,
} satisfies Partial<HandlerTable>;

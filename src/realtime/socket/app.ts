/**
 * The product's Socket.IO behaviour: one namespace (`/`), token
 * authentication at CONNECT, presence through the user's UserHub, and every
 * client->server event dispatched through the handler table
 * (src/realtime/handlers/index.ts).
 */
import { ZodError } from "zod";
import type { Env } from "../../env";
import { ApiError, describeZodError, type ErrorBody, errorBody } from "../../lib/errors";
import type { Db } from "../../db/client";
import type { Dialect } from "../../lib/tokens";
import { userHub } from "../../objects/stubs";
import type { SocketContext } from "../events";
import { CONNECT_HOOKS, DISCONNECT_HOOKS, handlerFor } from "../handlers";
import { authenticateSocket } from "./auth";
import { ConnectionBudget } from "./budgets";
import type { OpenedSession } from "../../objects/rpc";
import type { OffsetEvent, SocketApp, SocketHandle } from "./server";

interface ProductSocketData {
  userId: string;
  userUuid: string;
  dialect: Dialect;
  /** the token's `exp` (seconds); absent in sessions joined before it was recorded */
  exp?: number;
}

/** The connection's token has expired (its `exp` has passed). */
const tokenExpired = (data: ProductSocketData, now = Date.now()) => data.exp !== undefined && now >= data.exp * 1000;

/** Sends whose unexpected failure 002 names "Failed to send message". */
const SEND_EVENTS = new Set(["send_message", "sendMessage"]);

/** The error body a failed handler produces (also the ack reply). */
export function socketErrorBody(err: unknown, event?: string): ErrorBody {
  if (err instanceof ApiError) return errorBody(err.status, err.message);
  if (err instanceof ZodError) return errorBody(400, describeZodError(err));
  console.error("socket handler failed", event, err);
  return errorBody(500, event && SEND_EVENTS.has(event) ? "Failed to send message" : "Internal server error");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withRetries<T>(what: string, task: () => Promise<T>, delays = [100, 1000, 5000]): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task();
    } catch (err) {
      if (attempt >= delays.length) {
        console.error(`${what} failed`, err);
        return undefined;
      }
      await sleep(delays[attempt]);
    }
  }
}

export function productApp(env: Env, db: Db): SocketApp {
  /** Rate budgets of this connection's sockets (by Socket.IO socket id), in memory. */
  const budgets = new Map<string, ConnectionBudget>();
  const budgetFor = (socket: SocketHandle) => {
    let budget = budgets.get(socket.id);
    if (!budget) budgets.set(socket.id, (budget = new ConnectionBudget(env, (socket.data as unknown as ProductSocketData).userId)));
    return budget;
  };

  /** `afterAnswer`: where an event handler's emitAfterAnswer queues (none: they go at once). */
  const contextFor = (socket: SocketHandle, afterAnswer?: (() => void)[]): SocketContext => {
    const data = socket.data as unknown as ProductSocketData;
    return {
      env,
      db,
      userId: data.userId,
      userUuid: data.userUuid,
      dialect: data.dialect,
      sid: socket.engineSid,
      nsp: socket.nsp,
      socketId: socket.id,
      pid: socket.pid,
      emit: (event, payload) => socket.emit(event, payload),
      emitAfterAnswer: (event, payload) => (afterAnswer ? void afterAnswer.push(() => socket.emit(event, payload)) : socket.emit(event, payload)),
      emitWithAck: (event, ...args) => socket.emitWithAck(event, ...args),
    };
  };

  return {
    hasNamespace: (nsp) => nsp === "/",

    async authenticate(_nsp, auth, handshake) {
      const result = await authenticateSocket(env, auth, handshake, db);
      if (!result.ok) return result;
      const data: ProductSocketData = result.user;
      return { ok: true, data: { ...data } };
    },

    /**
     * Registers the connection with the user's UserHub (live session,
     * presence) before the CONNECT answer, as a recovered session when the
     * client came back with a `pid` and `offset` the hub can still serve.
     */
    async openSession(_nsp, data, auth, engineSid) {
      const user = data as unknown as ProductSocketData;
      const recover = auth && typeof auth.pid === "string" ? { pid: auth.pid, offset: auth.offset } : undefined;
      const opened: OpenedSession | undefined = await withRetries("presence attach", () =>
        userHub(env, user.userId).openSession(engineSid, user.dialect, recover),
      );
      if (!opened) throw new Error("Server error: the connection could not be registered, try again");
      const replay: OffsetEvent[] = opened.replay.map((r) => ({ event: JSON.parse(r.event) as OffsetEvent["event"], offset: r.offset }));
      return { pid: opened.pid, offset: opened.offset, replay };
    },

    async onConnect(socket) {
      const ctx = contextFor(socket);
      for (const hook of CONNECT_HOOKS) {
        try {
          await hook(ctx);
        } catch (err) {
          const body = socketErrorBody(err);
          ctx.emit("error", { message: body.message });
        }
      }
    },

    expiresAt: (data) => {
      const exp = (data as unknown as ProductSocketData).exp;
      return exp === undefined ? null : exp * 1000;
    },

    async onEvent(socket, event, args, ack) {
      if (tokenExpired(socket.data as unknown as ProductSocketData)) {
        // Not served past its token's exp. Closing the Engine.IO connection (not the
        // namespace: "io server disconnect" is final for socket.io-client) makes the
        // client reconnect, asking its `auth` callback for a fresh token.
        const body = errorBody(401, "Token expired: reconnect with a fresh token");
        ack?.(body);
        socket.emit("error", { message: body.message });
        socket.closeConnection("token expired");
        return;
      }
      const afterAnswer: (() => void)[] = [];
      const ctx = contextFor(socket, afterAnswer);
      const verdict = await budgetFor(socket).check(event);
      if (!verdict.ok) {
        const body = errorBody(429, verdict.message);
        ack?.(body);
        ctx.emit("error", { message: body.message });
        if (verdict.close) socket.disconnect("rate limit exceeded");
        return;
      }
      const handler = handlerFor(event);
      if (!handler) {
        ack?.(errorBody(400, `Unknown event ${event}`));
        return;
      }
      try {
        // handlers read the first argument (the payload); `echo` answers it unchanged
        const result = await handler(ctx, args[0]);
        if (ack) result === undefined ? ack() : ack(result);
      } catch (err) {
        const body = socketErrorBody(err, event);
        ctx.emit("error", { message: body.message });
        ack?.(body);
      }
      for (const emit of afterAnswer) emit();
    },

    async onDisconnect(socket, reason) {
      budgets.delete(socket.id);
      const ctx = contextFor(socket);
      for (const hook of DISCONNECT_HOOKS) {
        try {
          await hook(ctx, reason);
        } catch (err) {
          console.error("disconnect hook failed", err);
        }
      }
      await withRetries("presence detach", () => userHub(env, ctx.userId).detach(ctx.sid));
    },
  };
}

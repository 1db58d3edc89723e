/**
 * The Socket.IO session on top of an Engine.IO connection: the server of
 * ../../realtime/socket/server.ts over this session's transports, with its
 * state kept under the `sio` storage key (so it survives hibernation). Built
 * on first use, with the product's app (or the compliance one).
 */
import { createDb } from "../../db/client";
import { config } from "../../lib/config";
import { complianceSocketApp } from "../../realtime/compliance";
import { productApp } from "../../realtime/socket/app";
import { SocketServer } from "../../realtime/socket/server";
import type { SioState } from "../../realtime/socket/types";
import type { SessionHost } from "./host";

/** How often a connection's moved recovery offset is written at most (see save). */
const SIO_OFFSET_SAVE_MS = 1_000;

export class SioSession {
  private server: SocketServer | null = null;
  private toSave: SioState | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly s: SessionHost) {}

  /** The session's Socket.IO server (the handshake must have happened). */
  get(): SocketServer {
    if (this.server) return this.server;
    const { ctx, env } = this.s;
    const meta = this.s.meta!;
    const app = config(env).compliance ? complianceSocketApp : productApp(env, createDb(env.DB));
    this.server = new SocketServer(
      {
        sid: meta.sid,
        handshake: meta.handshake,
        send: (messages) => void this.s.send(messages.map((data) => ({ type: "message", data }))),
        close: (reason) => ctx.waitUntil(this.s.closeSession(reason)),
        joined: () => {
          const now = this.s.meta;
          if (now && now.connectDeadline !== null) {
            now.connectDeadline = null;
            this.s.saveMeta();
          }
        },
        load: () => ctx.storage.kv.get<SioState>("sio"),
        save: (state, offsetOnly) => this.save(state, offsetOnly === true),
      },
      app,
    );
    return this.server;
  }

  /**
   * Keeps the Socket.IO state. A change of namespaces is written at once; a
   * moved offset (every logged event) at most once per SIO_OFFSET_SAVE_MS, so
   * a busy connection does not write per event. Not waited for by what the
   * connection sends next. The pending write keeps the object awake until it
   * is done, so hibernation never loses it; only a crash in that window can
   * leave an older offset, which costs a recovering client duplicates, never
   * a loss.
   */
  private save(state: SioState, offsetOnly: boolean) {
    if (!this.s.meta || this.s.closing) return;
    this.toSave = state;
    const write = () => {
      this.saveTimer = null;
      if (this.s.meta && !this.s.closing) void this.s.ctx.storage.put("sio", this.toSave, { allowUnconfirmed: true });
    };
    if (!offsetOnly) {
      if (this.saveTimer) clearTimeout(this.saveTimer);
      return write();
    }
    this.saveTimer ??= setTimeout(write, SIO_OFFSET_SAVE_MS);
  }
}

/**
 * Connect-time events reach listeners added after `connect` fired, in every
 * transport mode: over polling the CONNECT answer ends its response, so the
 * events queued behind it arrive in the next one (as separate frames do over
 * WebSocket).
 */
import { afterEach, describe, expect, it } from "vitest";
import { register } from "./client";
import { closeAll, connect, type TransportMode, waitFor } from "./sockets";

afterEach(() => closeAll());

describe.each<TransportMode>(["polling", "default", "websocket"])("connect-time events (%s)", (mode) => {
  it("`connection`, `online_users` and `contacts_status_initial` arrive after `await connect()`", async () => {
    const u = await register("Late Listener");
    for (let i = 0; i < 3; i++) {
      const socket = await connect(u.token, { mode });
      // listeners are added only now, after the connect event fired
      const [[connection], [online], [contacts]] = await Promise.all([
        waitFor(socket, "connection"),
        waitFor(socket, "online_users"),
        waitFor(socket, "contacts_status_initial"),
      ]);
      expect(connection).toMatchObject({ success: true, user: { _id: u._id, name: "Late Listener" } });
      expect(Array.isArray(online)).toBe(true);
      expect(contacts).toEqual([]);
      socket.close();
    }
  });
});

/**
 * 000 real-time status against `wrangler dev` with the stock socket.io-client:
 * a status set with a short duration reverts by itself (the user's Durable
 * Object alarm; no request arrives) and a watching client receives both
 * `contact_status_update`s; `update_contacts` picks up a newly added contact.
 */
import { afterEach, describe, expect, it } from "vitest";
import { http, register } from "./client";
import { ack, closeAll, record, socketFor, waitFor } from "./sockets";

afterEach(() => closeAll());

describe("000 real-time status", () => {
  it("a short status reverts on its own and a watcher sees both updates", async () => {
    const owner = await register("Status Owner");
    const watcher = await register("Status Watcher");
    expect((await http("POST", "/api/contacts", { token: watcher.token, body: { userId: owner._id } })).status).toBe(201);

    const socket = socketFor(watcher.token, { autoConnect: false });
    const initialP = waitFor(socket, "contacts_status_initial");
    socket.connect();
    const [initial] = await initialP;
    expect(initial).toEqual([
      { contactId: owner._id, userId: owner.userId, name: "Status Owner", status: "available", customStatus: "", statusUntil: null },
    ]);

    const updates = record(socket, "contact_status_update");
    const busyP = waitFor(socket, "contact_status_update", { filter: (d) => d.status === "busy", timeout: 8000 });
    const backP = waitFor(socket, "contact_status_update", { filter: (d) => d.status === "available", timeout: 15000 });
    // 0.05 minutes = 3 seconds
    const put = await http("PUT", "/api/status-management", {
      token: owner.token,
      body: { status: "busy", customStatus: "Quick call", duration: 0.05 },
    });
    expect(put.status).toBe(200);
    const until = put.body.data.statusUntil;

    const [busy] = await busyP;
    expect(busy).toMatchObject({ contactId: owner._id, userId: owner.userId, name: "Status Owner", status: "busy", customStatus: "Quick call", statusUntil: until });
    expect(typeof busy.timestamp).toBe("string");

    const [back] = await backP;
    expect(back).toMatchObject({ contactId: owner._id, userId: owner.userId, status: "available", customStatus: "", statusUntil: null });
    // the revert happened at the expiry moment itself
    expect(back.timestamp).toBe(until);
    expect(updates.events.map(([d]) => d.status)).toEqual(["busy", "available"]);

    // visible through REST too, with the history closed at the expiry
    const now = await http("GET", `/api/status-management/${owner.userId}`, { token: watcher.token });
    expect(now.body.data).toMatchObject({ status: "available", statusUntil: null });
    const hist = await http("GET", `/api/users/${owner._id}/history`, { token: owner.token });
    const busyEntry = hist.body.data.find((h: any) => h.status === "busy");
    expect(busyEntry).toMatchObject({ customStatus: "Quick call", endTime: until });
    expect(hist.body.data[0]).toMatchObject({ status: "available", endTime: null, startTime: until });
  });

  it("update_contacts re-reads the contact list (ack = contacts_status_initial) and the new contact's updates arrive", async () => {
    const a = await register("Newly Added");
    const b = await register("Late Watcher");
    const socket = socketFor(b.token, { mode: "websocket", autoConnect: false });
    const firstP = waitFor(socket, "contacts_status_initial");
    socket.connect();
    expect((await firstP)[0]).toEqual([]);

    expect((await http("POST", "/api/contacts", { token: b.token, body: { phoneNumber: a.phoneNumber } })).status).toBe(201);
    const resentP = waitFor(socket, "contacts_status_initial");
    const list = await ack(socket, "update_contacts");
    expect(list).toEqual([{ contactId: a._id, userId: a.userId, name: "Newly Added", status: "available", customStatus: "", statusUntil: null }]);
    expect((await resentP)[0]).toEqual(list);

    const updateP = waitFor(socket, "contact_status_update", { filter: (d) => d.contactId === a._id });
    await http("PUT", "/api/status-management", { token: a.token, body: { status: "working_out" } });
    const [update] = await updateP;
    expect(update).toMatchObject({ contactId: a._id, userId: a.userId, status: "working_out", statusUntil: null });
  });
});

/**
 * 000 "Real-Time Status Updates" to the letter, against `wrangler dev` with
 * the stock socket.io-client (`io(url, {auth: {token}})`):
 * - `contacts_status_initial` on connect, in every transport mode, with the
 *   documented fields of each contact the user has;
 * - `contact_status_update` (with `timestamp`) to every connection of every
 *   watcher (contacts, friends, conversation partners; both dialects), never
 *   to unrelated users, users the owner blocked, or when the owner hides the
 *   status;
 * - `update_contacts` re-sends the list (the ack carries it too).
 */
import { afterEach, describe, expect, it } from "vitest";
import { http } from "./client";
import { befriend, connectWith, emitAck, ISO, next, OBJECT_ID, type SeedUser, user000, user004 } from "./seed-socket-helpers";
import { closeAll, record, type TransportMode } from "./sockets";

afterEach(() => closeAll());

const DOC_KEYS = ["contactId", "userId", "name", "status", "customStatus", "statusUntil"];

async function addContact(owner: SeedUser, contact: SeedUser) {
  const res = await http("POST", "/api/contacts", { token: owner.token, body: { userId: contact._id } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function setStatus(u: SeedUser, body: Record<string, unknown>) {
  const res = await http("PUT", "/api/status-management", { token: u.token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data;
}

describe.each<TransportMode>(["default", "websocket", "polling"])("contacts_status_initial, %s transports", (mode) => {
  it("arrives on connect with each contact's documented fields", async () => {
    const viewer = await user000("Initial Viewer");
    const john = await user000("John Doe");
    const jane = await user000("Jane Smith");
    await addContact(viewer, john);
    await addContact(viewer, jane);
    const busy = await setStatus(john, { status: "busy", duration: 60 });
    await setStatus(jane, { status: "custom", customStatus: "In a meeting" });

    const { first } = await connectWith(viewer.token, ["contacts_status_initial"], { mode });
    const list = first.contacts_status_initial as any[];
    expect(Array.isArray(list)).toBe(true);
    expect(list).toHaveLength(2);
    for (const entry of list) expect(Object.keys(entry)).toEqual(expect.arrayContaining(DOC_KEYS));
    const byId = Object.fromEntries(list.map((c) => [c.contactId, c]));
    expect(byId[john._id]).toMatchObject({ contactId: john._id, userId: john.userId, name: "John Doe", status: "busy", customStatus: "", statusUntil: busy.statusUntil });
    expect(byId[john._id].statusUntil).toMatch(ISO);
    expect(byId[jane._id]).toMatchObject({ contactId: jane._id, userId: jane.userId, name: "Jane Smith", status: "custom", customStatus: "In a meeting", statusUntil: null });

    // contactId is what GET /api/contacts/with-status calls _id (the example matches on it)
    const withStatus = await http("GET", "/api/contacts/with-status", { token: viewer.token });
    expect(withStatus.body.map((c: any) => c._id).sort()).toEqual([john._id, jane._id].sort());
  });
});

describe("contact_status_update", () => {
  it("reaches every watcher's every connection (both dialects) with the documented fields, and nobody else", async () => {
    const owner = await user000("Status Owner");
    const contactHolder = await user000("Contact Holder");
    const friend = await user000("Friend Watcher");
    const chatter = await user004("Chat Partner");
    const stranger = await user000("Stranger");
    const blocked = await user000("Blocked Watcher");
    await addContact(contactHolder, owner);
    await befriend(owner, friend);
    expect((await http("POST", "/api/messages/send", { token: chatter.token, body: { recipientId: owner._id, text: "hi" } })).status).toBe(201);
    await addContact(blocked, owner);
    expect((await http("PUT", `/api/conversations/${blocked._id}/metadata`, { token: owner.token, body: { isBlocked: true } })).status).toBe(200);

    const { socket: holderWs } = await connectWith(contactHolder.token, [], { mode: "websocket" });
    const { socket: holderPoll } = await connectWith(contactHolder.token, [], { mode: "polling" });
    const { socket: friendSocket } = await connectWith(friend.token, []);
    const { socket: chatSocket } = await connectWith(chatter.token, []);
    const { socket: strangerSocket } = await connectWith(stranger.token, []);
    const { socket: blockedSocket, first } = await connectWith(blocked.token, ["contacts_status_initial"]);
    expect(first.contacts_status_initial).toEqual([]); // the owner blocked them: the contact's status is hidden
    const nobody = [record(strangerSocket, "contact_status_update"), record(blockedSocket, "contact_status_update")];

    const watchers = [holderWs, holderPoll, friendSocket, chatSocket];
    const arrivals = watchers.map((s) => next(s, "contact_status_update", (d) => d.contactId === owner._id));
    const saved = await setStatus(owner, { status: "custom", customStatus: "In a meeting", duration: 30 });
    for (const update of await Promise.all(arrivals)) {
      expect(update).toMatchObject({
        contactId: owner._id,
        userId: owner.userId,
        name: "Status Owner",
        status: "custom",
        customStatus: "In a meeting",
        statusUntil: saved.statusUntil,
        timestamp: expect.stringMatching(ISO),
      });
      expect(update.contactId).toMatch(OBJECT_ID);
    }

    // a marker: the next change reaches the holder, so anything for the others would have arrived too
    const marker = next(holderWs, "contact_status_update", (d) => d.status === "available");
    await setStatus(owner, { status: "available" });
    await marker;
    for (const r of nobody) expect(r.events).toEqual([]);
  });

  it("the example's handler keeps a contact list current; hidden statuses (statusVisibility nobody) are not pushed", async () => {
    const owner = await user000("Hidden Owner");
    const viewer = await user000("Hidden Viewer");
    await addContact(viewer, owner);
    const contacts = (await http("GET", "/api/contacts/with-status", { token: viewer.token })).body as any[];
    let state = contacts;
    const { socket } = await connectWith(viewer.token, []);
    // 000's handler, as written
    socket.on("contact_status_update", (data: any) => {
      state = state.map((contact) => {
        if (contact._id === data.contactId) {
          return { ...contact, currentStatus: { status: data.status, customStatus: data.customStatus, statusUntil: data.statusUntil } };
        }
        return contact;
      });
    });
    const seen = next(socket, "contact_status_update", (d) => d.status === "meeting");
    await setStatus(owner, { status: "meeting" });
    await seen;
    expect(state[0].currentStatus).toEqual({ status: "meeting", customStatus: "", statusUntil: null });

    const updates = record(socket, "contact_status_update");
    expect((await http("PUT", "/api/users/profile", { token: owner.token, body: { statusVisibility: "nobody" } })).status).toBe(200);
    await setStatus(owner, { status: "busy" });
    // update_contacts is answered after the change was pushed (if it were); the hidden contact is gone from the list
    await new Promise((r) => setTimeout(r, 300));
    expect(await emitAck(socket, "update_contacts")).toEqual([]);
    expect(updates.events).toEqual([]);
    expect(state[0].currentStatus.status).toBe("meeting");
  });
});

describe("update_contacts", () => {
  it("emitted as the document does (no data, no ack) re-sends contacts_status_initial; with an ack, the ack is the list", async () => {
    const viewer = await user000("Refresh Viewer");
    const later = await user004("Added Later");
    const { socket, first } = await connectWith(viewer.token, ["contacts_status_initial"], { mode: "websocket" });
    expect(first.contacts_status_initial).toEqual([]);
    await addContact(viewer, later);

    const resent = next(socket, "contacts_status_initial");
    socket.emit("update_contacts");
    expect(await resent).toEqual([{ contactId: later._id, userId: later.userId, name: "Added Later", status: "available", customStatus: "", statusUntil: null }]);

    const again = next(socket, "contacts_status_initial");
    const acked = await emitAck(socket, "update_contacts");
    expect(acked).toEqual(await again);

    // the new contact's changes arrive
    const update = next(socket, "contact_status_update", (d) => d.contactId === later._id);
    await setStatus(later, { status: "driving" });
    expect(await update).toMatchObject({ contactId: later._id, status: "driving" });
  });
});

/**
 * The 000 socket handlers, driven through the event registry with a fake
 * SocketContext (the gateway itself is tested end to end).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { conversationMetadata } from "../../src/db/schema";
import { visibleWatchers } from "../../src/domain/visibility";
import { watchersOf } from "../../src/domain/relations";
import { CONNECT_HOOKS, handlerFor } from "../../src/realtime/handlers";
import { objectId } from "../../src/lib/ids";
import { api, fakeSocket, makeUser, type TestUser } from "./helpers";

const db = createDb(env.DB);

async function connect(u: TestUser) {
  const s = fakeSocket(u);
  for (const hook of CONNECT_HOOKS) await hook(s.ctx);
  return s;
}

const addContact = (owner: TestUser, contact: TestUser) =>
  api("POST", "/api/contacts", { token: owner.token, body: { userId: contact._id } });

describe("contacts_status_initial on connect", () => {
  it("lists every visible contact with the documented fields", async () => {
    const me = await makeUser();
    const a = await makeUser({ name: "Alice" });
    const b = await makeUser({ name: "Bob" });
    const hidden = await makeUser({ name: "Hidden" });
    for (const c of [a, b, hidden]) expect((await addContact(me, c)).status).toBe(201);
    await api("PUT", "/api/status-management", { token: b.token, body: { status: "custom", customStatus: "In a meeting" } });
    await api("PUT", "/api/users/profile", { token: hidden.token, body: { statusVisibility: "nobody" } });

    const s = await connect(me);
    const [initial] = s.of("contacts_status_initial") as any[][];
    expect(initial).toEqual([
      { contactId: a._id, userId: a.userId, name: "Alice", status: "available", customStatus: "", statusUntil: null },
      { contactId: b._id, userId: b.userId, name: "Bob", status: "custom", customStatus: "In a meeting", statusUntil: null },
    ]);
  });

  it("an empty contact list gives an empty array", async () => {
    const me = await makeUser();
    const s = await connect(me);
    expect(s.of("contacts_status_initial")).toEqual([[]]);
  });
});

describe("update_contacts", () => {
  it("re-reads the contact list, re-sends contacts_status_initial and acks the same array", async () => {
    const me = await makeUser();
    const s = await connect(me);
    expect(s.of("contacts_status_initial")).toEqual([[]]);
    const c = await makeUser({ name: "Carol" });
    await addContact(me, c);
    await api("PUT", "/api/status-management", { token: c.token, body: { status: "busy", duration: 30 } });
    const handler = handlerFor("update_contacts")!;
    expect(handler).toBeDefined();
    const ack = (await handler(s.ctx)) as any[];
    expect(ack).toHaveLength(1);
    expect(ack[0]).toMatchObject({ contactId: c._id, userId: c.userId, name: "Carol", status: "busy" });
    expect(Date.parse(ack[0].statusUntil)).toBeGreaterThan(Date.now());
    const sent = s.of("contacts_status_initial");
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(ack);
  });
});

describe("who receives contact_status_update", () => {
  it("watchers who may see the status: contact owners and friends, never someone blocked, narrowed by statusVisibility", async () => {
    const owner = await makeUser();
    const fan = await makeUser(); // has owner as a contact
    const blocked = await makeUser(); // has owner as a contact but is blocked by owner
    const stranger = await makeUser();
    await addContact(fan, owner);
    await addContact(blocked, owner);
    await db.insert(conversationMetadata).values({ id: objectId(), userId: owner._id, otherUserId: blocked._id, isBlocked: true });
    const row = async () => (await api("GET", "/api/users/me", { token: owner.token })).body;
    const targets = async () => {
      const me = await row();
      return visibleWatchers(db, { id: owner._id, statusVisibility: me.statusVisibility }, await watchersOf(db, owner._id));
    };
    expect(await targets()).toEqual([fan._id]);
    expect(await targets()).not.toContain(stranger._id);

    await api("PUT", "/api/users/profile", { token: owner.token, body: { statusVisibility: "contacts" } });
    expect(await targets()).toEqual([]); // fan is not in owner's contacts
    await addContact(owner, fan);
    expect(await targets()).toEqual([fan._id]);
    await api("PUT", "/api/users/profile", { token: owner.token, body: { statusVisibility: "nobody" } });
    expect(await targets()).toEqual([]);
  });
});

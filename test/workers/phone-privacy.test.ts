/**
 * Phone numbers only with consent (issue 11, item 1): `phoneVisibility`
 * (everyone / contacts / nobody, default contacts), a number the caller
 * supplied is shown back, never to someone the owner blocked; the field
 * stays present as null. `/filter` is capped; lookups are limited per user.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { conversationMetadata } from "../../src/db/schema";
import { objectId } from "../../src/lib/ids";
import { api, makeUser, type TestUser } from "./helpers";

const db = createDb(env.DB);
const block = (blocker: TestUser, other: TestUser) =>
  db.insert(conversationMetadata).values({ id: objectId(), userId: blocker._id, otherUserId: other._id, isBlocked: true });
const add = (owner: TestUser, body: unknown) => api("POST", "/api/contacts", { token: owner.token, body });
const phoneVisibility = (u: TestUser, v: string) => api("PUT", "/api/users/profile", { token: u.token, body: { phoneVisibility: v } });
/** The number `viewer` sees for `owner` in their address book. */
async function seenInBook(viewer: TestUser, owner: TestUser) {
  const res = await api("GET", "/api/contacts", { token: viewer.token });
  const entry = res.body.find((c: any) => c._id === owner._id);
  expect(entry).toHaveProperty("phoneNumber");
  return entry.phoneNumber;
}

describe("phoneVisibility", () => {
  it("defaults to contacts: adding someone by id does not reveal their number; their adding you does", async () => {
    const me = await makeUser();
    const them = await makeUser();
    const added = await add(me, { userId: them._id });
    expect(added.status).toBe(201);
    expect(added.body).toHaveProperty("phoneNumber", null);
    expect(await seenInBook(me, them)).toBeNull();
    expect((await api("GET", "/api/users/me", { token: them.token })).body).toMatchObject({ phoneVisibility: "contacts", phoneNumber: them.phoneNumber });
    await add(them, { userId: me._id });
    expect(await seenInBook(me, them)).toBe(them.phoneNumber);
    const status = await api("POST", "/api/contacts/status-list", { token: me.token, body: { contactIds: [them._id] } });
    expect(status.body.data[0].phoneNumber).toBe(them.phoneNumber);
  });

  it("nobody hides it even from contacts; everyone shows it to anyone not blocked", async () => {
    const me = await makeUser();
    const them = await makeUser();
    await add(them, { userId: me._id });
    await add(me, { userId: them._id });
    expect((await phoneVisibility(them, "nobody")).status).toBe(200);
    expect(await seenInBook(me, them)).toBeNull();
    expect((await phoneVisibility(them, "everyone")).status).toBe(200);
    const stranger = await makeUser();
    await add(stranger, { userId: them._id });
    expect(await seenInBook(stranger, them)).toBe(them.phoneNumber);
    const list = await api("POST", "/api/contacts/status-list", { token: stranger.token, body: { contactIds: [them.userId] } });
    expect(list.body.data[0].phoneNumber).toBe(them.phoneNumber);
    await block(them, stranger);
    expect(await seenInBook(stranger, them)).toBeNull();
    expect((await phoneVisibility(them, "friends")).status).toBe(400);
  });

  it("a caller who supplied the number sees it in that answer (not when blocked); the book follows the rule", async () => {
    const me = await makeUser();
    const them = await makeUser();
    const added = await add(me, { phoneNumber: them.phoneNumber });
    expect(added.body.phoneNumber).toBe(them.phoneNumber);
    expect(await seenInBook(me, them)).toBeNull();
    const filtered = await api("POST", "/api/contacts/filter", { token: me.token, body: { phoneNumbers: [them.phoneNumber] } });
    expect(filtered.body.users).toEqual([expect.objectContaining({ _id: them._id, phoneNumber: them.phoneNumber })]);
    const blocker = await makeUser();
    await block(blocker, me);
    const refused = await add(me, { phoneNumber: blocker.phoneNumber });
    expect(refused.body.phoneNumber).toBeNull();
  });
});

describe("bounded lookups", () => {
  it("/api/contacts/filter checks at most 200 numbers per request", async () => {
    const me = await makeUser();
    const numbers = (n: number) => Array.from({ length: n }, (_, i) => `+1202555${String(i).padStart(4, "0")}`);
    expect((await api("POST", "/api/contacts/filter", { token: me.token, body: { phoneNumbers: numbers(200) } })).status).toBe(200);
    const tooMany = await api("POST", "/api/contacts/filter", { token: me.token, body: { phoneNumbers: numbers(201) } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/phoneNumbers: at most 200/);
  });

  it("lookups are rate-limited per user (429 past 60 a minute), other users unaffected", async () => {
    const me = await makeUser();
    // the binding counts in fixed 60 s windows: within 121 lookups one window must overflow
    let limited: Awaited<ReturnType<typeof api>> | undefined;
    let served = 0;
    for (let i = 0; i < 121 && !limited; i++) {
      const res = await api("GET", `/api/users/search?query=zz${i}`, { token: me.token });
      if (res.status === 429) limited = res;
      else (expect(res.status).toBe(200), served++);
    }
    expect(limited).toBeDefined();
    expect(served).toBeGreaterThanOrEqual(60);
    expect(limited!.body).toMatchObject({ success: false, statusCode: 429 });
    expect(limited!.headers.get("retry-after")).toBe("60");
    const other = await makeUser();
    expect((await api("GET", "/api/users/search?query=zz", { token: other.token })).status).toBe(200);
  });
});

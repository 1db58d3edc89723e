import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { conversationMetadata, friendships } from "../../src/db/schema";
import { objectId } from "../../src/lib/ids";
import { api, countingApp, insertUsers, makeUser, type TestUser } from "./helpers";

const db = createDb(env.DB);
const block = (blocker: TestUser, other: TestUser) =>
  db.insert(conversationMetadata).values({ id: objectId(), userId: blocker._id, otherUserId: other._id, isBlocked: true });
const add = (owner: TestUser, body: unknown) => api("POST", "/api/contacts", { token: owner.token, body });
const setStatus = (u: TestUser, body: unknown) => api("PUT", "/api/status-management", { token: u.token, body });
/** "+12025550143" -> "2025550143" */
const national = (u: TestUser) => u.phoneNumber.slice(2);

describe("POST /api/contacts", () => {
  it("adds by _id -> 201 with the contact and currentStatus", async () => {
    const me = await makeUser();
    const c = await makeUser({ name: "John Doe" });
    await setStatus(c, { status: "busy", duration: 30 });
    const res = await add(me, { userId: c._id });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      _id: c._id,
      contactId: c._id,
      userId: c.userId,
      name: "John Doe",
      email: c.email,
      // added by id, and c has not added me: no consent to show the number (phone-privacy.test.ts)
      phoneNumber: null,
      profileImage: null,
      currentStatus: { status: "busy", customStatus: "" },
    });
    expect(Date.parse(res.body.currentStatus.statusUntil)).toBeGreaterThan(Date.now());
  });

  it("adds by UUID or by phone number in any format, with an optional saved name", async () => {
    const me = await makeUser();
    const byUuid = await makeUser();
    const byPhone = await makeUser({ name: "Real Name" });
    expect((await add(me, { userId: byUuid.userId })).status).toBe(201);
    const n = national(byPhone);
    const res = await add(me, { phoneNumber: `(${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)}`, name: "Mom" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ _id: byPhone._id, name: "Mom", contactName: "Mom" });
    const list = await api("GET", "/api/contacts", { token: me.token });
    expect(list.status).toBe(200);
    expect(list.body.map((c: any) => c._id).sort()).toEqual([byUuid._id, byPhone._id].sort());
  });

  it("adds by email or by contactId (the id the socket events carry); a second identifier must name the same user", async () => {
    const me = await makeUser();
    const byEmail = await makeUser({ name: "By Email" });
    const byContactId = await makeUser({ name: "By ContactId" });
    const other = await makeUser();
    const res = await add(me, { email: byEmail.email.toUpperCase() });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ _id: byEmail._id, userId: byEmail.userId, name: "By Email" });
    const res2 = await add(me, { contactId: byContactId.userId, name: "CI" });
    expect(res2.status).toBe(201);
    expect(res2.body).toMatchObject({ _id: byContactId._id, contactId: byContactId._id, name: "CI" });
    const mismatch = await add(me, { userId: other._id, email: byEmail.email });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.message).toMatch(/^email: does not belong/);
    const badEmail = await add(me, { email: "not-an-email" });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.message).toContain("email");
    expect((await add(me, { email: "nobody-here@example.com" })).status).toBe(404);
    const list = await api("GET", "/api/contacts", { token: me.token });
    expect(list.body.map((c: any) => c._id).sort()).toEqual([byEmail._id, byContactId._id].sort());
  });

  it("adding an existing contact answers 200 with it (and may rename it); no duplicate", async () => {
    const me = await makeUser();
    const c = await makeUser();
    expect((await add(me, { userId: c._id })).status).toBe(201);
    const again = await add(me, { userId: c.userId, name: "Work" });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ _id: c._id, name: "Work" });
    const list = await api("GET", "/api/contacts", { token: me.token });
    expect(list.body).toHaveLength(1);
  });

  it("400 for yourself, missing/invalid fields; 404 for unknown users", async () => {
    const me = await makeUser();
    const other = await makeUser();
    const self = await add(me, { userId: me.userId });
    expect(self.status).toBe(400);
    expect(self.body.message).toMatch(/userId: .*yourself/);
    const selfPhone = await add(me, { phoneNumber: national(me) });
    expect(selfPhone.status).toBe(400);
    expect(selfPhone.body.message).toContain("phoneNumber");
    const none = await add(me, {});
    expect(none.status).toBe(400);
    expect(none.body.message).toContain("userId");
    const badId = await add(me, { userId: "user123" });
    expect(badId.status).toBe(400);
    expect(badId.body.message).toContain("userId");
    const badPhone = await add(me, { phoneNumber: "abc" });
    expect(badPhone.status).toBe(400);
    expect(badPhone.body.message).toContain("phoneNumber");
    const mismatch = await add(me, { userId: other._id, phoneNumber: "2025550000" });
    expect(mismatch.status).toBe(400);
    expect((await add(me, { userId: "a".repeat(24) })).status).toBe(404);
    expect((await add(me, { phoneNumber: "+44 20 7946 0999" })).status).toBe(404);
    expect((await api("GET", "/api/contacts", { token: me.token })).body).toEqual([]);
  });
});

describe("GET /api/contacts, /with-status and DELETE /api/contacts/:id", () => {
  it("with-status is a bare array with currentStatus; hidden contacts are omitted there but kept in the book", async () => {
    const me = await makeUser();
    const a = await makeUser({ name: "Anna" });
    const b = await makeUser({ name: "Ben" });
    const blocker = await makeUser({ name: "Blocker" });
    const privateOne = await makeUser({ name: "Private" });
    for (const c of [a, b, blocker, privateOne]) await add(me, { userId: c._id });
    await setStatus(b, { status: "custom", customStatus: "In a meeting" });
    await block(blocker, me);
    await api("PUT", "/api/users/profile", { token: privateOne.token, body: { statusVisibility: "contacts" } });

    const ws = await api("GET", "/api/contacts/with-status", { token: me.token });
    expect(ws.status).toBe(200);
    expect(Array.isArray(ws.body)).toBe(true);
    expect(ws.body.map((c: any) => c.name)).toEqual(["Anna", "Ben"]);
    expect(ws.body[1]).toMatchObject({
      _id: b._id,
      userId: b.userId,
      name: "Ben",
      email: b.email,
      phoneNumber: null, // b's phoneVisibility is the default `contacts`, and b has not added me
      currentStatus: { status: "custom", customStatus: "In a meeting", statusUntil: null },
    });
    expect(ws.body[1]).toHaveProperty("profileImage");

    const book = await api("GET", "/api/contacts", { token: me.token });
    expect(book.body.map((c: any) => c.name)).toEqual(["Anna", "Ben", "Blocker", "Private"]);
    expect(book.body.find((c: any) => c.name === "Blocker").currentStatus).toBeNull();
    expect(book.body.find((c: any) => c.name === "Private").currentStatus).toBeNull();

    // once Private has me as a contact, I may see their status
    await add(privateOne, { userId: me._id });
    const after = await api("GET", "/api/contacts/with-status", { token: me.token });
    expect(after.body.map((c: any) => c.name)).toEqual(["Anna", "Ben", "Private"]);
  });

  it("DELETE removes by either id form; 404 when not a contact", async () => {
    const me = await makeUser();
    const a = await makeUser();
    const b = await makeUser();
    await add(me, { userId: a._id });
    await add(me, { userId: b._id });
    const del = await api("DELETE", `/api/contacts/${a.userId}`, { token: me.token });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true, message: "Contact removed" });
    expect((await api("DELETE", `/api/contacts/${a._id}`, { token: me.token })).status).toBe(404);
    expect((await api("DELETE", `/api/contacts/${"c".repeat(24)}`, { token: me.token })).status).toBe(404);
    expect((await api("DELETE", `/api/contacts/nope`, { token: me.token })).status).toBe(400);
    const list = await api("GET", "/api/contacts/with-status", { token: me.token });
    expect(list.body.map((c: any) => c._id)).toEqual([b._id]);
    // the other user's own book is untouched
    expect((await api("GET", "/api/contacts", { token: a.token })).body).toEqual([]);
  });
});

describe("GET /api/contacts/:id/status", () => {
  it("bare {status, customStatus, statusUntil} for a contact, by either id form", async () => {
    const me = await makeUser();
    const c = await makeUser();
    await add(me, { userId: c._id });
    await setStatus(c, { status: "at_hospital", customStatus: "Visiting" });
    for (const ref of [c._id, c.userId]) {
      const res = await api("GET", `/api/contacts/${ref}/status`, { token: me.token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: "at_hospital", customStatus: "Visiting", statusUntil: null });
    }
  });

  it("404 when not in your contacts, 403 Access denied when hidden, 400 for a malformed id", async () => {
    const me = await makeUser();
    const notMine = await makeUser();
    const blocker = await makeUser();
    await add(me, { userId: blocker._id });
    await block(blocker, me);
    expect((await api("GET", `/api/contacts/${notMine._id}/status`, { token: me.token })).status).toBe(404);
    const denied = await api("GET", `/api/contacts/${blocker._id}/status`, { token: me.token });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ success: false, message: "Access denied" });
    expect((await api("GET", `/api/contacts/xyz/status`, { token: me.token })).status).toBe(400);
  });
});

describe("GET /api/contacts/phone/:phoneNumber/status", () => {
  it("finds the user from any common formatting of the number", async () => {
    const me = await makeUser();
    const target = await makeUser({ name: "Phone Person" });
    await setStatus(target, { status: "driving" });
    const n = national(target); // 10 digits
    const a = n.slice(0, 3);
    const b = n.slice(3, 6);
    const c = n.slice(6);
    const formats = [`(${a}) ${b}-${c}`, `${a}.${b}.${c}`, `+1 ${a} ${b} ${c}`, `1${n}`, n, `+1${n}`, `${a}-${b}-${c}`];
    for (const f of formats) {
      const res = await api("GET", `/api/contacts/phone/${encodeURIComponent(f)}/status`, { token: me.token });
      expect(res.status, f).toBe(200);
      expect(res.body).toEqual({
        success: true,
        data: { _id: target._id, userId: target.userId, name: "Phone Person", status: "driving", customStatus: "", statusUntil: null },
      });
    }
  });

  it("the documented example numbers, for a user registered as (202) 555-0143", async () => {
    const me = await makeUser();
    // storage is per test file: this number is only used here
    const target = await makeUser({ phoneNumber: "(202) 555-0143" });
    expect(target.phoneNumber).toBe("+12025550143");
    for (const f of ["(202) 555-0143", "202.555.0143", "+1 202 555 0143", "12025550143"]) {
      const res = await api("GET", `/api/contacts/phone/${encodeURIComponent(f)}/status`, { token: me.token });
      expect(res.status, f).toBe(200);
      expect(res.body.data.userId).toBe(target.userId);
    }
  });

  it("404 unknown number, 400 not a number, 403 when hidden", async () => {
    const me = await makeUser();
    const hidden = await makeUser();
    await api("PUT", "/api/users/profile", { token: hidden.token, body: { statusVisibility: "nobody" } });
    const unknown = await api("GET", `/api/contacts/phone/${encodeURIComponent("+44 20 7946 0111")}/status`, { token: me.token });
    expect(unknown.status).toBe(404);
    const bad = await api("GET", `/api/contacts/phone/hello/status`, { token: me.token });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("phoneNumber");
    const denied = await api("GET", `/api/contacts/phone/${encodeURIComponent(hidden.phoneNumber)}/status`, { token: me.token });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe("Access denied");
  });
});

describe("POST /api/contacts/filter", () => {
  it("returns registered users among the numbers with status and the debug block", async () => {
    const me = await makeUser();
    const a = await makeUser({ name: "Filter A" });
    const b = await makeUser({ name: "Filter B" });
    const blocker = await makeUser();
    await block(blocker, me);
    await setStatus(a, { status: "eating" });
    const n = national(b);
    const phoneNumbers = [national(a), `(${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)}`, "not a phone", national(blocker), national(me), "+44 20 7946 0222"];
    const res = await api("POST", "/api/contacts/filter", { token: me.token, body: { phoneNumbers } });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.users.map((u: any) => u._id)).toEqual([a._id, b._id]);
    expect(res.body.users[0]).toMatchObject({
      _id: a._id,
      userId: a.userId,
      name: "Filter A",
      phoneNumber: a.phoneNumber,
      email: a.email,
      status: "eating",
      customStatus: "",
      statusUntil: null,
    });
    expect(res.body.users[0]).toHaveProperty("profileImage");
    expect(res.body.debug.originalPhoneNumbers).toEqual(phoneNumbers);
    expect(res.body.debug.normalizedPhoneNumbers).toEqual([a.phoneNumber, b.phoneNumber, null, blocker.phoneNumber, me.phoneNumber, "+442079460222"]);
  });

  it("validates the body", async () => {
    const me = await makeUser();
    for (const body of [{}, { phoneNumbers: "2025550143" }, { phoneNumbers: [1, 2] }]) {
      const res = await api("POST", "/api/contacts/filter", { token: me.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message).toContain("phoneNumbers");
    }
    const empty = await api("POST", "/api/contacts/filter", { token: me.token, body: { phoneNumbers: [] } });
    expect(empty.status).toBe(200);
    expect(empty.body.users).toEqual([]);
  });

  it("handles more numbers than one D1 query can bind (up to the 200 per request)", async () => {
    const me = await makeUser();
    const a = await makeUser();
    const phoneNumbers = [...Array.from({ length: 199 }, (_, i) => `+4420794${String(i).padStart(5, "0")}`), national(a)];
    const res = await api("POST", "/api/contacts/filter", { token: me.token, body: { phoneNumbers } });
    expect(res.status).toBe(200);
    expect(res.body.users.map((u: any) => u._id)).toEqual([a._id]);
  });
});

describe("POST /api/contacts/status-list", () => {
  it("accepts both id forms, keeps request order, omits unknown and hidden users", async () => {
    const me = await makeUser();
    const a = await makeUser();
    const b = await makeUser();
    const friendOnly = await makeUser();
    const blocker = await makeUser();
    await block(blocker, me);
    await api("PUT", "/api/users/profile", { token: friendOnly.token, body: { statusVisibility: "contacts" } });
    await setStatus(b, { status: "sleeping" });
    const body = { contactIds: [b.userId, a._id, "d".repeat(24), blocker._id, friendOnly._id, a.userId] };
    const res = await api("POST", "/api/contacts/status-list", { token: me.token, body });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data.map((u: any) => u._id)).toEqual([b._id, a._id]);
    expect(res.body.data[0]).toMatchObject({ _id: b._id, userId: b.userId, name: expect.any(String), email: b.email, phoneNumber: null, status: "sleeping", customStatus: "", statusUntil: null });

    // friends may see a `contacts`-only status
    await db.insert(friendships).values([
      { userId: friendOnly._id, friendId: me._id },
      { userId: me._id, friendId: friendOnly._id },
    ]);
    const again = await api("POST", "/api/contacts/status-list", { token: me.token, body });
    expect(again.body.data.map((u: any) => u._id)).toEqual([b._id, a._id, friendOnly._id]);
  });

  it("omits ids that name nobody and 400s a malformed body naming the field", async () => {
    const me = await makeUser();
    const a = await makeUser();
    const res = await api("POST", "/api/contacts/status-list", {
      token: me.token,
      body: { contactIds: ["60d21b4667d0d8992e610c85", "user123", a.userId] },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.map((u: any) => u._id)).toEqual([a._id]);
    const empty = await api("POST", "/api/contacts/status-list", { token: me.token, body: { contactIds: ["ok", ""] } });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toContain("contactIds.1");
    const missing = await api("POST", "/api/contacts/status-list", { token: me.token, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain("contactIds");
  });
});

describe("route order", () => {
  it("/with-status, /phone/..., /filter and /status-list are not captured by /:id", async () => {
    const me = await makeUser();
    expect((await api("GET", "/api/contacts/with-status", { token: me.token })).status).toBe(200);
    expect((await api("POST", "/api/contacts/filter", { token: me.token, body: { phoneNumbers: [] } })).status).toBe(200);
    expect((await api("POST", "/api/contacts/status-list", { token: me.token, body: { contactIds: [] } })).status).toBe(200);
    expect((await api("GET", `/api/contacts/phone/${encodeURIComponent("+44 20 7946 0333")}/status`, { token: me.token })).status).toBe(404);
  });
});

describe("lists longer than D1's 100 bound parameters", () => {
  it("POST /api/contacts/status-list with 200 ids (half UUIDs) lists every one in request order", async () => {
    const me = await makeUser();
    const rows = await insertUsers(200);
    const refs = rows.map((r, i) => (i % 2 ? r.userId : r.id));
    const r = await api("POST", "/api/contacts/status-list", { token: me.token, body: { contactIds: refs } });
    expect(r.status).toBe(200);
    expect(r.body.data.map((u: any) => u._id)).toEqual(rows.map((x) => x.id));
  });
});

describe("D1 round trips per request", () => {
  it("POST /api/contacts/filter with 200 numbers (the most per request) is one batch after auth, and finds the registered ones in list order", async () => {
    const me = await makeUser();
    const [a, b] = [await makeUser(), await makeUser()];
    const numbers = Array.from({ length: 198 }, (_, i) => `+1 (303) 555-${String(i).padStart(4, "0")}`);
    numbers.splice(50, 0, b.phoneNumber);
    numbers.splice(150, 0, a.phoneNumber);
    const call = countingApp();
    const r = await call("POST", "/api/contacts/filter", me.token, { phoneNumbers: numbers });
    expect(r).toMatchObject({ status: 200, roundTrips: 2 });
    expect(r.body.users.map((u: any) => u._id)).toEqual([b._id, a._id]);
    const list = await call("POST", "/api/contacts/status-list", me.token, { contactIds: [a.userId, b._id, ...Array.from({ length: 200 }, () => objectId())] });
    expect(list.status).toBe(200);
    expect(list.body.data.map((u: any) => u._id)).toEqual([a._id, b._id]);
  });
});

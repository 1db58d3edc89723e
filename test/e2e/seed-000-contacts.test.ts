/**
 * 000 "Contact Status APIs" and CONTRACT.md's contact routes against
 * `wrangler dev`, and the document's "Example React Client Implementation"
 * run as written: axios-style calls (JSON bodies, `Authorization: Bearer`)
 * and the stock socket.io-client with `auth: { token }`, with the example's
 * own state updates applied to what the server sends.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { baseUrl, http, uniquePhone } from "./client";
import { AxiosLikeError, axios, expectError, national, OBJECT_ID, registerAs, UUID } from "./seed-000-helpers";
import { closeAll, socketFor, waitFor } from "./sockets";

type U = Awaited<ReturnType<typeof registerAs>>;

afterEach(() => closeAll());

const add = (owner: U, body: unknown) => http("POST", "/api/contacts", { token: owner.token, body });
const setStatus = (u: U, body: unknown) => http("PUT", "/api/status-management", { token: u.token, body });
const dashed = (e164: string) => {
  const n = national(e164);
  return `(${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)}`;
};

describe("contacts: add, list, remove (CONTRACT.md)", () => {
  it("POST /api/contacts by _id, UUID, phone number in any format, email or contactId: 201 with the contact and its status", async () => {
    const me = await registerAs("Address Book Owner");
    const people = await Promise.all(["By Id", "By Uuid", "By Phone", "By Email", "By ContactId"].map((n) => registerAs(n)));
    const [byId, byUuid, byPhone, byEmail, byContactId] = people;
    await setStatus(byId, { status: "busy", customStatus: "", duration: 30 });
    const bodies = [
      { userId: byId._id },
      { userId: byUuid.userId },
      { phoneNumber: dashed(byPhone.phoneNumber), name: "Mom" },
      { email: byEmail.email },
      { contactId: byContactId._id },
    ];
    for (const [i, body] of bodies.entries()) {
      const res = await add(me, body);
      expect(res.status, JSON.stringify(body)).toBe(201);
      expect(res.body).toMatchObject({
        _id: people[i]._id,
        contactId: people[i]._id,
        userId: people[i].userId,
        email: people[i].email,
        // phone numbers only with consent: shown back to the one who supplied it (README "Contacts privacy")
        phoneNumber: body.phoneNumber ? people[i].phoneNumber : null,
        currentStatus: { status: i === 0 ? "busy" : "available", customStatus: "" },
      });
      expect("profileImage" in res.body).toBe(true);
    }
    expect((await add(me, { phoneNumber: national(byPhone.phoneNumber) })).body.name).toBe("Mom");

    const list = await http("GET", "/api/contacts", { token: me.token });
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((c: any) => c._id).sort()).toEqual(people.map((p) => p._id).sort());
  });

  it("adding an existing contact again answers 200 without a duplicate; yourself 400; unknown user 404; bad input 400 naming the field", async () => {
    const me = await registerAs("Careful Adder");
    const c = await registerAs("Added Twice");
    expect((await add(me, { userId: c._id })).status).toBe(201);
    const again = await add(me, { userId: c.userId });
    expect(again.status).toBe(200);
    expect(again.body._id).toBe(c._id);
    expectError(await add(me, { userId: me._id }), 400, /yourself/);
    expectError(await add(me, { phoneNumber: me.sentPhone }), 400, /yourself/);
    expectError(await add(me, { userId: "60d21b4667d0d8992e610c85" }), 404, /not found/i);
    expectError(await add(me, { phoneNumber: uniquePhone() }), 404, /not found/i);
    expectError(await add(me, {}), 400, "userId");
    expectError(await add(me, { userId: "user123" }), 400, "userId");
    expectError(await add(me, { userId: 42 }), 400, "userId");
    expectError(await add(me, { phoneNumber: "not a number" }), 400, "phoneNumber");
    expectError(await add(me, { email: "nope" }), 400, "email");
    expectError(await add(me, { userId: c._id, phoneNumber: uniquePhone() }), 400, "phoneNumber");
    expect((await http("GET", "/api/contacts", { token: me.token })).body).toHaveLength(1);
    expectError(await http("POST", "/api/contacts", { body: { userId: c._id } }), 401);
  });

  it("DELETE /api/contacts/:id by either id form: 200, then 404; the contact is gone from every list", async () => {
    const me = await registerAs("Remover");
    const a = await registerAs("Removed By Id");
    const b = await registerAs("Removed By Uuid");
    await add(me, { userId: a._id });
    await add(me, { userId: b._id });
    const r1 = await http("DELETE", `/api/contacts/${a._id}`, { token: me.token });
    expect(r1.status).toBe(200);
    expect(r1.body.success).toBe(true);
    expect((await http("DELETE", `/api/contacts/${b.userId}`, { token: me.token })).status).toBe(200);
    expectError(await http("DELETE", `/api/contacts/${a._id}`, { token: me.token }), 404, /not found/i);
    expectError(await http("DELETE", "/api/contacts/user123", { token: me.token }), 400, "id");
    expect((await http("GET", "/api/contacts", { token: me.token })).body).toEqual([]);
    expect((await http("GET", "/api/contacts/with-status", { token: me.token })).body).toEqual([]);
    expectError(await http("GET", `/api/contacts/${a._id}/status`, { token: me.token }), 404);
  });
});

describe("Contact Status APIs", () => {
  let me: U;
  let john: U;
  let jane: U;
  let hidden: U;
  beforeAll(async () => {
    [me, john, jane, hidden] = await Promise.all([
      registerAs("Contact Viewer"),
      registerAs("John Doe"),
      registerAs("Jane Smith"),
      registerAs("Hidden Person"),
    ]);
    await setStatus(john, { status: "busy", customStatus: "", duration: 90 });
    await setStatus(jane, { status: "custom", customStatus: "In a meeting" });
    await http("PUT", "/api/users/profile", { token: hidden.token, body: { statusVisibility: "nobody" } });
    for (const u of [john, jane, hidden]) expect((await add(me, { userId: u._id })).status).toBe(201);
  });

  it("GET /api/contacts/with-status: a bare array of the documented objects; contacts hiding their status are left out", async () => {
    const res = await http("GET", "/api/contacts/with-status", { token: me.token });
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    const byId = new Map(res.body.map((c: any) => [c._id, c]));
    expect([...byId.keys()].sort()).toEqual([john._id, jane._id].sort());
    const j: any = byId.get(john._id);
    // John has not added me and keeps the default phoneVisibility `contacts`: the field is there, as null
    expect(j).toMatchObject({ _id: john._id, userId: john.userId, name: "John Doe", email: john.email, phoneNumber: null });
    expect("profileImage" in j).toBe(true);
    expect(j.currentStatus).toMatchObject({ status: "busy", customStatus: "" });
    expect(Date.parse(j.currentStatus.statusUntil)).toBeGreaterThan(Date.now());
    expect((byId.get(jane._id) as any).currentStatus).toEqual({ status: "custom", customStatus: "In a meeting", statusUntil: null });
    // the address book itself keeps the hidden contact, without a status
    const book = await http("GET", "/api/contacts", { token: me.token });
    expect(book.body.find((c: any) => c._id === hidden._id)).toMatchObject({ currentStatus: null });
    expectError(await http("GET", "/api/contacts/with-status"), 401);
  });

  it("GET /api/contacts/:id/status: bare {status, customStatus, statusUntil} by the contact's _id (or UUID)", async () => {
    const res = await http("GET", `/api/contacts/${jane._id}/status`, { token: me.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "custom", customStatus: "In a meeting", statusUntil: null });
    const byUuid = await http("GET", `/api/contacts/${john.userId}/status`, { token: me.token });
    expect(byUuid.body).toMatchObject({ status: "busy", customStatus: "" });
    expect(byUuid.body.success).toBeUndefined();
    // not in my contacts -> 404; hiding their status -> 403; malformed -> 400
    expectError(await http("GET", `/api/contacts/${me._id}/status`, { token: john.token }), 404, /not found/i);
    expectError(await http("GET", `/api/contacts/${hidden._id}/status`, { token: me.token }), 403, "Access denied");
    expectError(await http("GET", "/api/contacts/60d21b4667d0d8992e610c8/status", { token: me.token }), 400, "id");
  });

  it("GET /api/contacts/phone/:phoneNumber/status: any common format of the number; 404 unknown, 400 not a number, 403 hidden", async () => {
    for (const phone of [john.sentPhone, john.phoneNumber, encodeURIComponent(dashed(john.phoneNumber)), `${national(john.phoneNumber).slice(0, 3)}.${national(john.phoneNumber).slice(3, 6)}.${national(john.phoneNumber).slice(6)}`]) {
      const res = await http("GET", `/api/contacts/phone/${phone}/status`, { token: me.token });
      expect(res.status, phone).toBe(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data).toMatchObject({ userId: john.userId, name: "John Doe", status: "busy", customStatus: "" });
      expect(Date.parse(res.body.data.statusUntil)).toBeGreaterThan(Date.now());
    }
    // any registered user, not only contacts
    const stranger = await http("GET", `/api/contacts/phone/${me.sentPhone}/status`, { token: jane.token });
    expect(stranger.body.data).toMatchObject({ userId: me.userId, status: "available", statusUntil: null });
    expectError(await http("GET", `/api/contacts/phone/${uniquePhone()}/status`, { token: me.token }), 404, /not found/i);
    expectError(await http("GET", "/api/contacts/phone/hello/status", { token: me.token }), 400, "phoneNumber");
    expectError(await http("GET", `/api/contacts/phone/${hidden.sentPhone}/status`, { token: me.token }), 403, "Access denied");
  });

  it("POST /api/contacts/filter: registered users among the numbers, with flat status fields and the debug echo", async () => {
    const unknown = uniquePhone();
    const phoneNumbers = [dashed(john.phoneNumber), unknown, jane.sentPhone, "garbage"];
    const res = await http("POST", "/api/contacts/filter", { token: me.token, body: { phoneNumbers } });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.debug.originalPhoneNumbers).toEqual(phoneNumbers);
    expect(res.body.users.map((u: any) => u._id)).toEqual([john._id, jane._id]);
    expect(res.body.users[0]).toMatchObject({
      _id: john._id,
      userId: john.userId,
      name: "John Doe",
      phoneNumber: john.phoneNumber,
      email: john.email,
      status: "busy",
      customStatus: "",
    });
    expect("profileImage" in res.body.users[0]).toBe(true);
    expect(res.body.users[1]).toMatchObject({ status: "custom", customStatus: "In a meeting", statusUntil: null });
    // hidden users are not reported
    const h = await http("POST", "/api/contacts/filter", { token: me.token, body: { phoneNumbers: [hidden.sentPhone] } });
    expect(h.body.users).toEqual([]);
    expectError(await http("POST", "/api/contacts/filter", { token: me.token, body: {} }), 400, "phoneNumbers");
    expectError(await http("POST", "/api/contacts/filter", { token: me.token, body: { phoneNumbers: "2025550143" } }), 400, "phoneNumbers");
    expectError(await http("POST", "/api/contacts/filter", { token: me.token, body: { phoneNumbers: [2025550143] } }), 400, "phoneNumbers");
  });

  it("POST /api/contacts/status-list: both id forms in request order; ids naming nobody (the example's \"user123\") are left out", async () => {
    const res = await http("POST", "/api/contacts/status-list", {
      token: me.token,
      body: { contactIds: [jane._id, "user123", john.userId, "user456", hidden._id] },
    });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data.map((u: any) => u._id)).toEqual([jane._id, john._id]);
    expect(res.body.data[0]).toMatchObject({
      _id: jane._id,
      userId: jane.userId,
      name: "Jane Smith",
      email: jane.email,
      phoneNumber: null, // not shared with me (default phoneVisibility `contacts`)
      status: "custom",
      customStatus: "In a meeting",
      statusUntil: null,
    });
    expect("profileImage" in res.body.data[0]).toBe(true);
    expect(res.body.data[1]).toMatchObject({ userId: john.userId, status: "busy" });
    expectError(await http("POST", "/api/contacts/status-list", { token: me.token, body: {} }), 400, "contactIds");
    expectError(await http("POST", "/api/contacts/status-list", { token: me.token, body: { contactIds: jane._id } }), 400, "contactIds");
    expectError(await http("POST", "/api/contacts/status-list", { token: me.token, body: { contactIds: [1, 2] } }), 400, "contactIds");
  });
});

describe("the 000 Example React Client, run as written", () => {
  it("fetches contacts, adds one, follows contacts_status_initial / contact_status_update, checks status by phone, and renders", async () => {
    const jane = await registerAs("Jane Smith");
    const me = await registerAs("React User");
    const API = baseUrl();

    // localStorage.getItem('token'): the token of a 000 login
    const login = await axios.post(`${API}/api/auth/login`, { phoneNumber: me.sentPhone, password: me.password });
    const token: string = login.data.data.token;

    // component state
    let contacts: any[] = [];
    let loading = true;
    let error: string | null = null;
    const setContacts = (next: any[] | ((prev: any[]) => any[])) => {
      contacts = typeof next === "function" ? next(contacts) : next;
    };

    // useEffect: io(url, { auth: { token } }) with the client's defaults, then the handlers
    const socketInstance = socketFor(token);
    const socket = socketInstance;
    const connectErrors: string[] = [];
    const fetchContacts = async () => {
      try {
        const response = await axios.get(`${API}/api/contacts/with-status`, { headers: { Authorization: `Bearer ${token}` } });
        setContacts(response.data);
        loading = false;
      } catch {
        error = "Error fetching contacts";
        loading = false;
      }
    };
    const fetched = fetchContacts();
    const connected = waitFor(socketInstance, "connect", { timeout: 8000 });
    socketInstance.on("connect_error", (err: Error) => connectErrors.push(err.message));
    const initials: any[][] = [];
    socketInstance.on("contacts_status_initial", (contactsData: any[]) => {
      initials.push(contactsData);
      setContacts((prevContacts) =>
        prevContacts.map((contact) => {
          const matchingContact = contactsData.find((c) => c.contactId === contact._id);
          if (matchingContact) {
            return {
              ...contact,
              currentStatus: { status: matchingContact.status, customStatus: matchingContact.customStatus, statusUntil: matchingContact.statusUntil },
            };
          }
          return contact;
        }),
      );
    });
    const updates: any[] = [];
    socketInstance.on("contact_status_update", (data: any) => {
      updates.push(data);
      setContacts((prevContacts) =>
        prevContacts.map((contact) => {
          if (contact._id === data.contactId) {
            return { ...contact, currentStatus: { status: data.status, customStatus: data.customStatus, statusUntil: data.statusUntil } };
          }
          return contact;
        }),
      );
    });
    const firstInitial = waitFor(socketInstance, "contacts_status_initial", { timeout: 8000 });
    await Promise.all([fetched, connected, firstInitial]);
    expect(loading).toBe(false);
    expect(error).toBeNull();
    expect(contacts).toEqual([]);
    expect(initials).toEqual([[]]);

    // handleAddContact(contactData): POST, emit update_contacts, refresh
    const handleAddContact = async (contactData: unknown) => {
      await axios.post(`${API}/api/contacts`, contactData, { headers: { Authorization: `Bearer ${token}` } });
      if (socket) socket.emit("update_contacts");
      const response = await axios.get(`${API}/api/contacts/with-status`, { headers: { Authorization: `Bearer ${token}` } });
      setContacts(response.data);
    };
    const resent = waitFor(socketInstance, "contacts_status_initial", { timeout: 8000 });
    await handleAddContact({ phoneNumber: jane.sentPhone, name: "Jane Smith" });
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toMatchObject({ _id: jane._id, name: "Jane Smith", currentStatus: { status: "available", customStatus: "", statusUntil: null } });
    // the server re-sends the initial list; its contactId matches the contact's _id the way the example matches them
    const [again] = await resent;
    expect(again).toEqual([expect.objectContaining({ contactId: contacts[0]._id, userId: jane.userId, name: "Jane Smith", status: "available" })]);

    // Jane's status changes arrive and update the rendered contact
    const busyUpdate = waitFor(socketInstance, "contact_status_update", { filter: (d) => d.status === "working_out", timeout: 8000 });
    const put = await axios.put(`${API}/api/status-management`, { status: "working_out", duration: 45 }, { headers: { Authorization: `Bearer ${jane.token}` } });
    const [update] = await busyUpdate;
    expect(update).toMatchObject({ contactId: jane._id, userId: jane.userId, name: "Jane Smith", status: "working_out", customStatus: "", statusUntil: put.data.data.statusUntil });
    expect(typeof update.timestamp).toBe("string");
    expect(contacts[0].currentStatus).toEqual({ status: "working_out", customStatus: "", statusUntil: put.data.data.statusUntil });

    // checkStatusByPhone(phoneNumber): the number straight into the URL, response.data returned
    const checkStatusByPhone = async (phoneNumber: string) => {
      try {
        const response = await axios.get(`${API}/api/contacts/phone/${phoneNumber}/status`, { headers: { Authorization: `Bearer ${token}` } });
        return response.data;
      } catch {
        return null;
      }
    };
    for (const phoneNumber of [jane.sentPhone, jane.phoneNumber, dashed(jane.phoneNumber)]) {
      const byPhone = await checkStatusByPhone(phoneNumber);
      expect(byPhone, phoneNumber).toMatchObject({ success: true, data: { userId: jane.userId, name: "Jane Smith", status: "working_out" } });
    }
    expect(await checkStatusByPhone(uniquePhone())).toBeNull();

    // the render: key, avatar fallback, name, number, status text, expiry
    const render = () =>
      contacts.map((contact) => ({
        key: contact._id,
        src: contact.profileImage || "default-avatar.png",
        title: contact.name,
        phone: contact.phoneNumber,
        className: `status-indicator ${contact.currentStatus.status}`,
        text: contact.currentStatus.status === "custom" ? contact.currentStatus.customStatus : contact.currentStatus.status.replace("_", " "),
        until: contact.currentStatus.statusUntil && `Until ${new Date(contact.currentStatus.statusUntil).toLocaleTimeString()}`,
      }));
    const [row] = render();
    expect(row).toMatchObject({ key: jane._id, src: "default-avatar.png", title: "Jane Smith", phone: null, className: "status-indicator working_out", text: "working out" });
    expect(row.until).toMatch(/^Until /);
    expect(row.until).not.toContain("Invalid Date");

    // a custom status renders its text
    const customUpdate = waitFor(socketInstance, "contact_status_update", { filter: (d) => d.status === "custom", timeout: 8000 });
    await axios.put(`${API}/api/status-management`, { status: "custom", customStatus: "In a meeting" }, { headers: { Authorization: `Bearer ${jane.token}` } });
    await customUpdate;
    expect(render()[0]).toMatchObject({ text: "In a meeting", until: null });
    expect(connectErrors).toEqual([]);
    expect(updates.every((u) => u.contactId === jane._id)).toBe(true);

    // cleanup on unmount
    socketInstance.disconnect();
    expect(socketInstance.connected).toBe(false);
  });

  it("the example's error paths: a bad token gets connect_error with a message; a failed fetch rejects the way axios does", async () => {
    const errSocket = socketFor("not-a-valid-token");
    const [err] = await waitFor<[Error]>(errSocket, "connect_error", { timeout: 8000 });
    expect(err.message).toBe("Authentication error: Invalid token");

    let caught: unknown;
    try {
      await axios.get(`${baseUrl()}/api/contacts/with-status`, { headers: { Authorization: "Bearer not-a-valid-token" } });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AxiosLikeError);
    expect((caught as AxiosLikeError).response.status).toBe(401);
    expect((caught as AxiosLikeError).response.data).toMatchObject({ success: false, statusCode: 401 });
  });

  it("ids in the example's shapes: contact _id is 24-hex, userId a UUID", async () => {
    const a = await registerAs("Shape Owner");
    const b = await registerAs("Shape Contact");
    await add(a, { userId: b.userId });
    const res = await axios.get(`${baseUrl()}/api/contacts/with-status`, { headers: { Authorization: `Bearer ${a.token}` } });
    expect(res.data[0]._id).toMatch(OBJECT_ID);
    expect(res.data[0].userId).toMatch(UUID);
  });
});

/**
 * /api/contacts (000): the address book and contacts' statuses.
 * Who may see whose status: src/domain/visibility.ts. Static paths are
 * registered before `/{id}` ones.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  addContact,
  contactStatus,
  filterByPhones,
  listContacts,
  removeContact,
  statusByPhone,
  statusList,
} from "../domain/contacts";
import { config } from "../lib/config";
import { bearer, createRouter, described, jsonBody, ok } from "../lib/http";
import { ContactFilterResult, ContactView, Data, Done, EffectiveStatus, PhoneStatusView, UserWithStatusView } from "../views/schemas";
import { Email, UserRef } from "../lib/schemas";
import { contactView, phoneStatusView, userWithStatusView } from "../views/contact";
import { checkLookupRate } from "../domain/rate-limits";

/** Most phone numbers `/api/contacts/filter` checks in one request. */
export const PHONE_FILTER_MAX = 200;
import { effectiveStatus } from "../views/status";

export const contactsRouter = createRouter();

const ContactIdParam = z.object({ id: UserRef.openapi({ param: { name: "id", in: "path" } }) });

const AddContactBody = z
  .object({
    userId: UserRef.optional(),
    /** alias of userId: the `contactId` the socket events carry */
    contactId: UserRef.optional(),
    phoneNumber: z.string().trim().min(1, "must not be empty").max(64, "is too long").optional(),
    email: Email.optional(),
    name: z.string().trim().max(100, "must be at most 100 characters").nullable().optional(),
  })
  .refine((b) => b.userId !== undefined || b.contactId !== undefined || b.phoneNumber !== undefined || b.email !== undefined, {
    message: "give userId (or contactId), phoneNumber or email",
    path: ["userId"],
  })
  .openapi("ContactCreate");

contactsRouter.openapi(
  createRoute({
    method: "get",
    path: "/with-status",
    tags: ["Contacts"],
    summary: "Your contacts with their current status (000)",
    description: "Bare array of `{_id, userId, name, email, phoneNumber, profileImage, currentStatus}`; contacts whose status you may not see are omitted.",
    security: bearer,
    responses: { 200: ok(z.array(ContactView), "Array of contacts") },
  }),
  async (c) => {
    const rows = await listContacts(c.var.db, c.var.auth.id);
    const now = Date.now();
    return c.json(rows.filter((r) => r.visible).map((r) => contactView(r, now)));
  },
);

contactsRouter.openapi(
  createRoute({
    method: "get",
    path: "/phone/{phoneNumber}/status",
    tags: ["Contacts"],
    summary: "Status of any user by phone number, in any common format (000)",
    description: "URL-encode the number. Normalised to E.164 (default region DEFAULT_PHONE_REGION).",
    security: bearer,
    request: {
      params: z.object({
        phoneNumber: z.string().min(1).max(64, "is too long").openapi({ param: { name: "phoneNumber", in: "path" }, example: "(202) 555-0143" }),
      }),
    },
    responses: {
      200: ok(Data(PhoneStatusView), "`{success, data: {userId, name, status, customStatus, statusUntil}}`"),
      400: described("Not a phone number"),
      403: described("Access denied"),
      404: described("No user with that number"),
    },
  }),
  async (c) => {
    await checkLookupRate(c.env, c.var.auth.id);
    const user = await statusByPhone(c.var.db, c.var.auth.id, c.req.valid("param").phoneNumber, config(c.env).phoneRegion);
    return c.json({ success: true, data: phoneStatusView(user) });
  },
);

contactsRouter.openapi(
  createRoute({
    method: "post",
    path: "/filter",
    tags: ["Contacts"],
    summary: "Registered users among a list of phone numbers, with status (000)",
    description:
      "Numbers in any common format; those that cannot be parsed match nobody (null in " +
      "`debug.normalizedPhoneNumbers`). The caller and users whose status the caller may not see are omitted. " +
      `At most ${PHONE_FILTER_MAX} numbers per request (400 beyond); counts as one lookup (per-user lookup limit, 429).`,
    security: bearer,
    request: {
      body: jsonBody(
        z.object({
          phoneNumbers: z
            .array(z.string().max(64, "is too long"))
            .max(PHONE_FILTER_MAX, `at most ${PHONE_FILTER_MAX} numbers per request`),
        }),
      ),
    },
    responses: { 200: ok(ContactFilterResult, "`{success, users:[...], debug:{originalPhoneNumbers, normalizedPhoneNumbers}}`") },
  }),
  async (c) => {
    const { phoneNumbers } = c.req.valid("json");
    await checkLookupRate(c.env, c.var.auth.id);
    const { users, normalized } = await filterByPhones(c.var.db, c.var.auth.id, phoneNumbers, config(c.env).phoneRegion);
    const now = Date.now();
    return c.json({
      success: true,
      users: users.map((u) => userWithStatusView(u.user, { phone: u.phone }, now)),
      debug: { originalPhoneNumbers: phoneNumbers, normalizedPhoneNumbers: normalized },
    });
  },
);

contactsRouter.openapi(
  createRoute({
    method: "post",
    path: "/status-list",
    tags: ["Contacts"],
    summary: "Status of the users named in a list (either id form) (000)",
    description: "In request order; ids that name nobody and users whose status you may not see are omitted.",
    security: bearer,
    request: {
      // Ids that name nobody (the document's own example sends "user123") are omitted, not refused.
      body: jsonBody(
        z.object({
          contactIds: z.array(z.string().trim().min(1, "must not be empty").max(100, "is too long")).max(500, "at most 500 ids per request"),
        }),
      ),
    },
    responses: { 200: ok(Data(z.array(UserWithStatusView)), "`{success, data:[...]}`") },
  }),
  async (c) => {
    const users = await statusList(c.var.db, c.var.auth.id, c.req.valid("json").contactIds);
    const now = Date.now();
    return c.json({ success: true, data: users.map((u) => userWithStatusView(u.user, { phone: u.phone }, now)) });
  },
);

contactsRouter.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Contacts"],
    summary: "Your address book (000)",
    description: "Bare array like /with-status, but every contact is listed; `currentStatus` is null where you may not see it.",
    security: bearer,
    responses: { 200: ok(z.array(ContactView), "Array of contacts") },
  }),
  async (c) => {
    const rows = await listContacts(c.var.db, c.var.auth.id);
    const now = Date.now();
    return c.json(rows.map((r) => contactView(r, now)));
  },
);

contactsRouter.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["Contacts"],
    summary: "Add a contact by user id (either form), phone number or email (000)",
    description:
      "`{userId | contactId | phoneNumber | email, name?}` (`contactId` is an alias of `userId`; the first of userId, " +
      "contactId, phoneNumber, email given is used and the others must name the same user). 201 with the contact; " +
      "200 with it if it was already in your book (a given `name` replaces the saved one).",
    security: bearer,
    request: { body: jsonBody(AddContactBody) },
    responses: {
      201: ok(ContactView, "The contact, with `currentStatus`"),
      200: ok(ContactView, "Already a contact"),
      400: described("Invalid, or yourself"),
      404: described("No such user"),
      409: described("The address book is full (at most 5,000 contacts per user)"),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    await checkLookupRate(c.env, c.var.auth.id);
    const { created, contact } = await addContact(
      c.var.db,
      c.var.auth.id,
      { ...body, userId: body.userId ?? body.contactId },
      config(c.env).phoneRegion,
    );
    return c.json(contactView(contact), created ? 201 : 200);
  },
);

contactsRouter.openapi(
  createRoute({
    method: "get",
    path: "/{id}/status",
    tags: ["Contacts"],
    summary: "A contact's status (000)",
    description: "`id` is the contact user's `_id` or `userId`. 404 if not in your contacts; 403 if hidden from you.",
    security: bearer,
    request: { params: ContactIdParam },
    responses: { 200: ok(EffectiveStatus, "`{status, customStatus, statusUntil}`"), 403: described("Access denied"), 404: described("Not a contact") },
  }),
  async (c) => {
    const user = await contactStatus(c.var.db, c.var.auth.id, c.req.valid("param").id);
    return c.json(effectiveStatus(user));
  },
);

contactsRouter.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags: ["Contacts"],
    summary: "Remove a contact (000)",
    description: "`id` is the contact user's `_id` or `userId`.",
    security: bearer,
    request: { params: ContactIdParam },
    responses: { 200: ok(Done, "`{success:true, message:\"Contact removed\"}`"), 404: described("Not a contact") },
  }),
  async (c) => {
    await removeContact(c.var.db, c.var.auth.id, c.req.valid("param").id);
    return c.json({ success: true, message: "Contact removed" });
  },
);

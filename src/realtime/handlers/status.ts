/**
 * 000 real-time status.
 *
 * - On connect every socket gets `contacts_status_initial`: an array of
 *   `{contactId, userId, name, status, customStatus, statusUntil}` for the
 *   caller's contacts whose status the caller may see (contactId = the
 *   contact's `_id`, as in `contact_status_update`).
 * - `update_contacts` re-reads the contact list and re-sends
 *   `contacts_status_initial`; the ack gets the same array. Watchers of a
 *   status change are computed from D1 when it happens (src/domain/status.ts),
 *   so a newly added contact's updates arrive with or without this event.
 */
import { listContacts } from "../../domain/contacts";
import type { Db } from "../../db/client";
import { contactStatusEntry } from "../../views/status";
import type { ConnectHook, EventHandler, HandlerTable, SocketContext } from "../events";

export async function contactsStatusSnapshot(db: Db, viewerId: string) {
  const rows = await listContacts(db, viewerId);
  const now = Date.now();
  return rows.filter((r) => r.visible).map((r) => contactStatusEntry(r.user, now));
}

export async function sendContactsStatus(ctx: SocketContext) {
  const list = await contactsStatusSnapshot(ctx.db, ctx.userId);
  ctx.emit("contacts_status_initial", list);
  return list;
}

/** On connect: `contacts_status_initial`. */
export const statusOnConnect: ConnectHook = async (ctx) => {
  await sendContactsStatus(ctx);
};

const on_update_contacts: EventHandler<"update_contacts"> = async (ctx) => sendContactsStatus(ctx);

export const statusHandlers = {
  update_contacts: on_update_contacts,
} satisfies Partial<HandlerTable>;

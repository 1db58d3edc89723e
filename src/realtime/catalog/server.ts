/**
 * What the AsyncAPI document says about each server->client event besides
 * its schema and dialects (src/views/socket-schemas.ts): summary, documents,
 * audience. One entry per event of the event maps, in the document's order.
 */
import type { ServerEventName } from "../../views/event-map";
import type { ServerDoc } from "./types";

const MEMBERSHIP_SUMMARY: Record<string, string> = {
  membersAdded: "Members were added to a group.",
  membersRemoved: "Members were removed from a group.",
  memberLeft: "A member left the conversation.",
  groupRenamed: "A group was renamed.",
};

const MEMBERSHIP = ["membersAdded", "members_added", "membersRemoved", "members_removed", "memberLeft", "member_left", "groupRenamed", "group_renamed"] as const;

/** Group membership events, under 003-style and 004-style names. */
const membershipDocs = () =>
  Object.fromEntries(
    MEMBERSHIP.map((name): [string, ServerDoc] => [
      name,
      {
        summary: MEMBERSHIP_SUMMARY[name.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase())],
        documents: ["ours"],
        audience: "every member's connections (removed members and the one who left too)",
      },
    ]),
  ) as Record<(typeof MEMBERSHIP)[number], ServerDoc>;

export const SERVER_DOCS: { [E in ServerEventName]: ServerDoc } = {
  connection: {
    summary: "Sent on connect to every connection.",
    documents: ["002"],
    audience: "the connecting socket, right after CONNECT",
  },
  online_users: {
    summary: "Online users among those whose presence the caller may see: 002's array (pushed on connect), 004's `{users:[emails]}`.",
    documents: ["002", "004"],
    audience: "standard: on connect and in answer to get_online_users; chat-socket: in answer to get_online_users",
  },
  contacts_status_initial: {
    summary: "The caller's contacts with their current status and its expiry (`statusUntil`).",
    documents: ["000"],
    audience: "the connecting socket on connect, and in answer to update_contacts",
  },
  contact_status_update: {
    summary: "A watched user's status changed, or expired back to `available` (Durable Object alarm).",
    documents: ["000"],
    audience: "every connection of every user who may see the owner's status (contacts, friends, conversation partners)",
  },
  user_online: {
    summary: "A watched user came online (their first connection).",
    documents: ["002", "004"],
    audience: "watchers (friends, contacts' owners, conversation partners) not blocked by the user",
  },
  user_offline: {
    summary: "A watched user went offline (their last connection closed).",
    documents: ["002", "004"],
    audience: "watchers not blocked by the user",
  },
  userStatus: {
    summary: "001's presence change `{userId, isOnline, lastSeen}`.",
    documents: ["001"],
    audience: "watchers not blocked by the user",
  },
  receiveMessage: {
    summary: "A new message (001/003 clients).",
    documents: ["001", "003"],
    audience: "every member's standard connections except the sender's sending connection",
  },
  receive_message: {
    summary: "A new message (002 clients).",
    documents: ["002"],
    audience: "recipients' standard connections",
  },
  new_message: {
    summary: "A new message (004 clients), on every member's chat-socket connection including the sending one.",
    documents: ["004"],
    audience: "every member's chat-socket connections",
  },
  message_notification: {
    summary: "A short notification of a new message: union of 002 and 004 fields.",
    documents: ["002", "004"],
    audience: "recipients' connections",
  },
  message_sent: {
    summary: "The sender's own confirmation `{success, message}` (002).",
    documents: ["002"],
    audience: "the sender's standard connections (the sending socket gets it in answer to send_message)",
  },
  message_status: {
    summary: "Delivery state of a message one sent: `delivered` once a recipient's device got it, `read` once read.",
    documents: ["001"],
    audience: "the sender's connections",
  },
  message_read: {
    summary: "A message one sent was read (002).",
    documents: ["002"],
    audience: "every connection of the sender",
  },
  message_read_confirmed: {
    summary: "Answer to mark_message_read.",
    documents: ["002"],
    audience: "the reading socket",
  },
  marked_as_read: {
    summary: "A member read the conversation (004).",
    documents: ["004"],
    audience: "connections that joined the conversation's room (join_conversation / joinGroup)",
  },
  typingStatus: {
    summary: "001's typing indicator.",
    documents: ["001"],
    audience: "the other members' standard connections; only changes are sent",
  },
  typing_indicator: {
    summary: "002's typing indicator.",
    documents: ["002"],
    audience: "the other members' standard connections; only changes are sent",
  },
  user_typing: {
    summary: "004's typing indicator.",
    documents: ["004"],
    audience: "chat-socket connections that joined the conversation's room",
  },
  message_history: {
    summary: "Answer to get_message_history.",
    documents: ["002"],
    audience: "the asking socket",
  },
  unread_count: {
    summary: "Answer to get_unread_count.",
    documents: ["002"],
    audience: "the asking socket",
  },
  synced_messages: {
    summary: "Answer to sync_messages.",
    documents: ["ours"],
    audience: "the asking socket",
  },
  joined_conversation: {
    summary: "Answer to join_conversation.",
    documents: ["004"],
    audience: "the joining socket",
  },
  left_conversation: {
    summary: "Answer to leave_conversation.",
    documents: ["004"],
    audience: "the leaving socket",
  },
  messageEdited: {
    summary: "A message of the conversation was edited (001 message schema).",
    documents: ["ours"],
    audience: "every member's standard connections",
  },
  message_edited: {
    summary: "A message of the conversation was edited: 002 message on standard connections, 004 message on chat-socket ones.",
    documents: ["ours"],
    audience: "every member's connections",
  },
  messageDeleted: {
    summary: "A message of the conversation was deleted (soft; no text or attachment).",
    documents: ["ours"],
    audience: "every member's standard connections",
  },
  message_deleted: {
    summary: "A message of the conversation was deleted: 002 message on standard connections, 004 message on chat-socket ones.",
    documents: ["ours"],
    audience: "every member's connections",
  },
  ...membershipDocs(),
  error: {
    summary: "A client->server event failed (its ack, if any, gets the full error body).",
    documents: ["002", "004"],
    audience: "the socket whose event failed",
  },
};

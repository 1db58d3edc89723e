/**
 * What the AsyncAPI document says about each client->server event besides
 * its schemas (src/views/socket-schemas.ts): summary, documents, events the
 * asking socket also gets, errors. One entry per event of the event map, in
 * the document's order.
 */
import type { ClientEventName } from "../../views/event-map";
import type { ClientDoc, ErrorCase } from "./types";

const invalid = (status = 400): ErrorCase => ({ status, when: "the payload is invalid (the message names the field)" });
const limited: ErrorCase = { status: 429, when: "over the event's rate budget (README \"Rate limits\")" };
const notMember: ErrorCase = { status: 404, when: "no such conversation, or the caller is not a member" };
const blocked: ErrorCase = { status: 403, when: "`Access denied`: the addressed user blocked the caller" };
const noUser: ErrorCase = { status: 404, when: "the addressed user does not exist" };

/** The same text for a start/stop pair. */
const typingDocs = <N extends ClientEventName>(names: N[], doc: (name: N) => ClientDoc) =>
  Object.fromEntries(names.map((name) => [name, doc(name)])) as Record<N, ClientDoc>;

export const CLIENT_DOCS: { [E in ClientEventName]: ClientDoc } = {
  send_message: {
    summary:
      "Send a message. With `receiverId` (002) the connection also gets `message_sent`; with `to_email` or `conversation_id` (004) " +
      "the ack is the 004 message. Accepts `clientMsgId`/`client_msg_id` (a repeat returns the first message).",
    documents: ["002", "004"],
    answers: ["message_sent"],
    errors: [invalid(), { status: 422, when: "an invalid 004 payload" }, noUser, blocked, { status: 429, when: "over 100 messages a minute, or the connection's budget" }],
  },
  sendMessage: {
    summary: "Send a message: with `conversationId` (003) the ack is the REST envelope; with `recipientId` (001) the 001 message.",
    documents: ["001", "003"],
    errors: [invalid(), notMember, noUser, blocked, { status: 429, when: "over 100 messages a minute, or the connection's budget" }],
  },
  mark_message_read: {
    summary: "Mark one message read (002); the sender gets `message_read` and `message_status`.",
    documents: ["002"],
    answers: ["message_read_confirmed"],
    errors: [invalid(), { status: 404, when: "no such message, or not a member" }, limited],
  },
  markMessagesRead: {
    summary: "Mark a conversation (or one `messageId` in it) read (003).",
    documents: ["003"],
    errors: [invalid(), notMember, limited],
  },
  mark_as_read: {
    summary: "Mark a conversation read (004); members who joined its room get `marked_as_read`.",
    documents: ["004"],
    answers: ["marked_as_read"],
    errors: [invalid(422), notMember, limited],
  },
  get_message_history: {
    summary: "A page of the 1-on-1 history with `otherUserId` (002): page 1 is the newest, each page oldest first.",
    documents: ["002"],
    answers: ["message_history"],
    errors: [invalid(), noUser, blocked, limited],
  },
  get_unread_count: {
    summary: "The caller's unread messages over all conversations (002).",
    documents: ["002"],
    answers: ["unread_count"],
    errors: [limited],
  },
  getMessages: {
    summary: "A page of a conversation (003): page 1 is the newest, each page oldest first; `hasNextPage` = older messages exist.",
    documents: ["003"],
    errors: [invalid(), notMember, limited],
  },
  sync_messages: {
    summary: "Catch-up after a disconnection: the messages after `since` (a `seq` or an ISO timestamp).",
    documents: ["ours"],
    answers: ["synced_messages"],
    errors: [invalid(), notMember, limited],
  },
  ...typingDocs(["typing_start", "typing_stop"], (name) => ({
    summary: `${name === "typing_start" ? "Start" : "Stop"} typing: to a user by \`receiverId\` (002; only into an existing 1-on-1 conversation, never creating one) or in a conversation by \`conversation_id\` (004). A start lasts 5 s unless renewed.`,
    documents: ["002", "004"],
    errors: [invalid(), { status: 422, when: "an invalid 004 payload on a chat-socket connection" }, noUser, blocked, notMember, limited],
  })),
  ...typingDocs(["typing", "stopTyping"], (name) => ({
    summary: `${name === "typing" ? "Start" : "Stop"} typing to \`recipientId\` (001; only into an existing 1-on-1 conversation, never creating one).`,
    documents: ["001"],
    errors: [invalid(), noUser, blocked, limited],
  })),
  createGroup: {
    summary: "Create a group (003); the ack is the body of `POST /api/conversations/group`.",
    documents: ["003"],
    errors: [invalid(), noUser, limited],
  },
  joinGroup: {
    summary: "Join a conversation's room on this connection (003): room events (`marked_as_read`, `user_typing`) reach it.",
    documents: ["003"],
    errors: [invalid(), notMember, limited],
  },
  join_conversation: {
    summary: "Join a conversation's room on this connection (004).",
    documents: ["004"],
    answers: ["joined_conversation"],
    errors: [invalid(422), { status: 422, when: "not a member (004 answers 422)" }, limited],
  },
  leave_conversation: {
    summary: "Leave a conversation's room on this connection (004).",
    documents: ["004"],
    answers: ["left_conversation"],
    errors: [invalid(422), { status: 422, when: "not a member (004 answers 422)" }, limited],
  },
  get_online_users: {
    summary: "Online users among those whose presence the caller may see (never the whole user base).",
    documents: ["004", "002"],
    answers: ["online_users"],
    errors: [limited],
  },
  update_contacts: {
    summary: "Re-read the contact list and re-send `contacts_status_initial` (000).",
    documents: ["000"],
    answers: ["contacts_status_initial"],
    errors: [limited],
  },
  echo: {
    summary: "Diagnostics: the ack is the payload unchanged (text, JSON or binary).",
    documents: ["ours"],
    errors: [limited],
  },
};

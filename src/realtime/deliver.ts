/**
 * Real-time delivery of a newly stored message: the ONE function every
 * message write (REST now, socket handlers too) calls after `sendMessage`
 * created a message.
 *
 * standard dialect (001/002): recipients get `receiveMessage` (001 view),
 *   `receive_message` (002 view) and `message_notification`.
 * chat-socket dialect (004): every member, the sender's other devices
 *   included, gets `new_message` (004 view); recipients also get
 *   `message_notification` (the union of the 002 and 004 fields).
 */
import { eq } from "drizzle-orm";
import { type Conversation, conversationMembers } from "../db/schema";
import type { Env } from "../env";
import type { Db } from "../lib/http";
import { message001, message002, message004, messageNotification, type MessageRecord } from "../views/message";
import { emitToUser, emitToUsers } from "./emit";

/** Resolves to the number of connections reached. */
export async function deliverMessage(env: Env, db: Db, conversation: Conversation, record: MessageRecord): Promise<number> {
  const members = await db
    .select({ userId: conversationMembers.userId })
    .from(conversationMembers)
    .where(eq(conversationMembers.conversationId, conversation.id))
    .all();
  const senderId = record.message.senderId;
  const recipients = members.map((m) => m.userId).filter((id) => id !== senderId);
  const v004 = message004(record);
  const notification = messageNotification(record);
  const [toRecipients, toSender] = await Promise.all([
    emitToUsers(env, recipients, {
      standard: [
        ["receiveMessage", message001(record)],
        ["receive_message", message002(record)],
        ["message_notification", notification],
      ],
      "chat-socket": [
        ["new_message", v004],
        ["message_notification", notification],
      ],
    }),
    members.some((m) => m.userId === senderId)
      ? emitToUser(env, senderId, { standard: [], "chat-socket": [["new_message", v004]] }).catch(() => 0)
      : Promise.resolve(0),
  ]);
  return toRecipients + toSender;
}

/**
 * What a conversation's room answers over RPC (besides the read models in
 * src/domain/message-model.ts): refusals carry the HTTP status they stand for.
 */
import type { LastMessage, MessageRecord } from "../domain/message-model";
import type { NewMessage } from "./message-log";

export type RoomError = { ok: false; status: 400 | 403 | 404; error: string; rejoin?: true };

export interface SendRequest extends NewMessage {
  /** the connection that sent it over a socket and gets its own confirmation (standard dialect) */
  exceptSid: string | null;
  /** how the sender's document names the reply field, for the error message */
  replyField: string;
  /** the sender addressed the other user (not the conversation): someone who left a 1-on-1 is to be a member again */
  addressedUser: boolean;
  /**
   * Answered before the sender's own devices have their copy (a socket send:
   * its connection has the ack). A REST send is answered once the sender's
   * inbox has it too, so a read right after the answer sees it.
   */
  senderCopyAfterAnswer: boolean;
}

/**
 * A new message's answer carries `deliveredAt` when a recipient's live
 * connection had it before the answer (null: none had; absent for a repeated
 * clientMsgId). A socket sender's own connection (`exceptSid`) hears the
 * delivered status from its own gateway, after its ack, not from its hub.
 */
export type SendOutcome = { ok: true; record: MessageRecord; created: boolean; deliveredAt?: Date | null } | RoomError;

export interface ReadOutcome {
  record: MessageRecord | null;
  modifiedCount: number;
  readSeqBefore: number;
  readSeqAfter: number;
}

export const notFound = (error = "Conversation not found"): RoomError => ({ ok: false, status: 404, error });

/** What an inbox shows of a message just sent. */
export function lastOf(r: MessageRecord): LastMessage {
  const m = r.message;
  return { id: m.id, seq: m.seq, senderId: m.senderId, sender: r.sender, text: m.text, type: m.type, deleted: false, edited: false, createdAt: m.createdAt };
}

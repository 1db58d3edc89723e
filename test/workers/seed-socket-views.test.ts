/**
 * Wire shapes fixed by the socket conformance audit (test/e2e/seed-socket-*):
 * - `receiveMessage` carries 001's Message Schema plus 003's non-clashing
 *   message fields (a 003 `sendMessage` client listens to it too);
 * - `user_online` carries the union of 002 and 004 presence fields,
 *   `lastSeen` included, like `user_offline`.
 */
import { describe, expect, it } from "vitest";
import type { User } from "../../src/db/schema";
import type { Message } from "../../src/domain/message-model";
import { presenceEvents, userOfflinePayload, userOnlinePayload } from "../../src/views/presence";
import { message001, type MessageRecord, receiveMessagePayload } from "../../src/views/message";

const at = new Date("2024-01-15T11:00:00.000Z");

function person(id: string, name: string): User {
  return {
    id,
    userId: crypto.randomUUID(),
    name,
    email: `${name.toLowerCase().replace(/ /g, ".")}@example.com`,
    phoneNumber: null,
    username: name.toLowerCase().replace(/ /g, ""),
    role: "user",
    profileImage: null,
    timezone: "UTC",
    passwordHash: null,
    status: "available",
    customStatus: "",
    statusUntil: null,
    statusSource: "user",
    statusRestore: null,
    statusVisibility: "everyone",
    isOnline: true,
    lastSeen: at,
    createdAt: at,
    updatedAt: at,
  } as User;
}

function record(over: Partial<Message> = {}): MessageRecord {
  const sender = person("0123456789abcdef01234567", "John Doe");
  const message = {
    id: "0123456789abcdef0123456a",
    conversationId: "0123456789abcdef0123456b",
    seq: 3,
    senderId: sender.id,
    recipientId: null,
    type: "text",
    text: "Hello everyone!",
    attachmentType: "file",
    attachmentUrl: "https://example.com/file.pdf",
    uploadId: null,
    payload: JSON.stringify({ customData: "value" }),
    replyTo: null,
    clientMsgId: null,
    createdAt: at,
    deliveredAt: null,
    edited: false,
    editedAt: null,
    deleted: false,
    deletedBy: null,
    deletedAt: null,
    ...over,
  } as Message;
  return { message, sender, recipient: null, seenBy: [], read: false };
}

describe("receiveMessage", () => {
  it("is 001's Message Schema plus 003's message, messageType, fileUrl, timestamp, receiverId and the sender object", () => {
    const r = record();
    const p = receiveMessagePayload(r);
    // every 001 field, unchanged (senderId an id string, status the delivery state)
    expect(p).toMatchObject(message001(r));
    expect(p).toMatchObject({
      senderId: "0123456789abcdef01234567",
      status: "sent",
      text: "Hello everyone!",
      createdAt: at.toISOString(),
      message: "Hello everyone!",
      messageType: "text",
      fileUrl: "https://example.com/file.pdf",
      payload: { customData: "value" },
      timestamp: at.toISOString(),
      receiverId: null,
      sender: { _id: "0123456789abcdef01234567", name: "John Doe", email: "john.doe@example.com" },
    });
  });

  it("never shows a deleted message's text or file", () => {
    const p = receiveMessagePayload(record({ deleted: true, deletedAt: at, deletedBy: "0123456789abcdef01234567" }));
    expect(p).toMatchObject({ text: "", message: "", fileUrl: null, attachment: null, payload: null, deleted: true });
  });
});

describe("presence payloads", () => {
  it("user_online and user_offline both carry userId, _id, name, username, email, lastSeen", () => {
    const u = person("0123456789abcdef0123456c", "Ann Smith");
    const keys = ["userId", "_id", "name", "username", "email", "lastSeen"];
    expect(Object.keys(userOnlinePayload(u))).toEqual(expect.arrayContaining(keys));
    expect(Object.keys(userOfflinePayload({ ...u, isOnline: false }))).toEqual(expect.arrayContaining(keys));
    expect(userOnlinePayload(u)).toMatchObject({ userId: u.userId, _id: u.id, lastSeen: at.toISOString(), isOnline: true });
    const out = presenceEvents(u) as Record<string, unknown[][]>;
    expect(out.standard.map((e) => e[0])).toEqual(["user_online", "userStatus"]);
    expect(out["chat-socket"].map((e) => e[0])).toEqual(["user_online"]);
    expect(out["chat-socket"][0][1]).toEqual(out.standard[0][1]);
  });
});

/**
 * Payload dispatch details found by the socket conformance audit: a null
 * dispatch key counts as absent, so a client that sends every field of its
 * form (`conversationId: null`, `receiverId: null`) reaches the document it
 * was written for.
 */
import { describe, expect, it } from "vitest";
import { fakeSocket, makeUser } from "./helpers";

describe("null dispatch keys", () => {
  it("sendMessage {conversationId: null, recipientId} is a 001 send; send_message {receiverId: null, to_email} a 004 send", async () => {
    const a = await makeUser({ name: "Null Ann" });
    const b = await makeUser({ name: "Null Ben" });
    const s = fakeSocket(a);
    const m001 = await s.call("sendMessage", { conversationId: null, recipientId: b._id, text: "001 with a null conversationId" });
    expect(m001).toMatchObject({ senderId: a._id, recipientId: b._id, text: "001 with a null conversationId", status: expect.any(String) });
    const m004 = await s.call("send_message", { receiverId: null, to_email: b.email, message: "004 with a null receiverId" });
    expect(m004).toMatchObject({ conversation_id: m001.conversationId, sender_email: a.email, message: "004 with a null receiverId" });
    // typing_start {receiverId: null, conversation_id} is 004's
    const typing = await s.call("typing_start", { receiverId: null, conversation_id: m001.conversationId });
    expect(typing).toMatchObject({ success: true, conversation_id: m001.conversationId, typing: true });
    await s.call("typing_stop", { receiverId: null, conversation_id: m001.conversationId });
    // nothing to dispatch on: the error still names the fields
    await expect(s.call("sendMessage", { conversationId: null, text: "x" })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/conversationId.*recipientId/) });
    await expect(s.call("send_message", { receiverId: null, content: "x" })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/receiverId/) });
  });
});

/**
 * 003 "Socket.IO Integration", against `wrangler dev`: the five socket
 * events it names (`sendMessage`, `getMessages`, `markMessagesRead`,
 * `createGroup`, `joinGroup`) with the REST bodies as payloads and acks
 * (CONTRACT.md: ack = the body of the matching REST call), between real
 * clients of 000 tokens (standard dialect); members of a group hear each
 * message once, a 004 member in its own names.
 */
import { afterEach, describe, expect, it } from "vitest";
import { http } from "./client";
import { connectWith, emitAck, expectErrorAck, ISO, next, OBJECT_ID, user000, user004 } from "./seed-socket-helpers";
import { closeAll, record } from "./sockets";

afterEach(() => closeAll());

describe("003 socket events", () => {
  it("createGroup, joinGroup, sendMessage, getMessages, markMessagesRead: acks are the REST bodies; members hear each message", async () => {
    const john = await user000("John Doe");
    const jane = await user000("Jane Smith");
    const bob = await user004("Bob Wilson");
    const { socket: sj } = await connectWith(john.token, []);
    const { socket: sn } = await connectWith(jane.token, [], { transports: ["websocket"] });
    const { socket: sb } = await connectWith(bob.token, [], { transports: ["polling"] });

    // createGroup: the body and answer of POST /api/conversations/group
    const created = await emitAck(sj, "createGroup", { name: "Project Team", members: [jane._id, bob._id] });
    expect(created).toMatchObject({
      success: true,
      statusCode: 201,
      message: "Group conversation created successfully",
      data: { _id: expect.stringMatching(OBJECT_ID), name: "Project Team", type: "group", createdBy: john._id, status: "active", createdAt: expect.stringMatching(ISO) },
    });
    expect(created.data.members.map((m: any) => m._id).sort()).toEqual([john._id, jane._id, bob._id].sort());
    for (const m of created.data.members) expect(m).toMatchObject({ _id: expect.any(String), name: expect.any(String), email: expect.any(String) });
    const conversationId = created.data._id as string;
    const rest = await http("GET", `/api/conversations/${conversationId}`, { token: jane.token });
    expect(rest.body.data).toMatchObject({ _id: conversationId, name: "Project Team", type: "group" });

    const joined = await emitAck(sn, "joinGroup", { conversationId });
    expect(joined).toMatchObject({ success: true, statusCode: 200, data: { _id: conversationId, type: "group" } });

    // sendMessage with the body of POST /api/messages
    const janeGets = next(sn, "receiveMessage");
    const janeGets002 = next(sn, "receive_message");
    const bobGets = next(sb, "new_message");
    const johnOwn = record(sj, "receiveMessage");
    const sent = await emitAck(sj, "sendMessage", {
      conversationId,
      message: "Hello everyone!",
      messageType: "text",
      fileUrl: "https://example.com/file.pdf",
      payload: { customData: "value" },
    });
    expect(sent).toMatchObject({
      success: true,
      statusCode: 201,
      message: "Message sent successfully",
      data: {
        _id: expect.stringMatching(OBJECT_ID),
        conversationId,
        senderId: { _id: john._id, name: "John Doe", email: john.email },
        message: "Hello everyone!",
        messageType: "text",
        fileUrl: "https://example.com/file.pdf",
        payload: { customData: "value" },
        timestamp: expect.stringMatching(ISO),
        read: false,
        status: "saved",
        edited: false,
        deleted: false,
      },
    });
    const id = sent.data._id as string;
    // receiveMessage (the event a sendMessage client listens to) carries 001's and 003's fields
    expect(await janeGets).toMatchObject({
      _id: id,
      conversationId,
      senderId: john._id,
      text: "Hello everyone!",
      createdAt: sent.data.timestamp,
      message: "Hello everyone!",
      messageType: "text",
      fileUrl: "https://example.com/file.pdf",
      payload: { customData: "value" },
      timestamp: sent.data.timestamp,
      sender: { _id: john._id, name: "John Doe" },
    });
    expect(await janeGets002).toMatchObject({ _id: id, content: "Hello everyone!", senderId: john._id, senderName: "John Doe" });
    expect(await bobGets).toMatchObject({ id, conversation_id: conversationId, sender_email: john.email, sender_name: "John Doe", message: "Hello everyone!" });

    // Jane answers; getMessages is the REST page (newest page, oldest first)
    const johnGets = next(sj, "receiveMessage");
    await emitAck(sn, "sendMessage", { conversationId, message: "Hi John", messageType: "text" });
    expect(await johnGets).toMatchObject({ message: "Hi John", senderId: jane._id });
    const page = await emitAck(sb, "getMessages", { conversationId, page: 1, limit: 20 });
    expect(page).toMatchObject({
      success: true,
      statusCode: 200,
      message: "Messages retrieved successfully",
      data: { pagination: { currentPage: 1, totalPages: 1, totalMessages: 2, hasNextPage: false, hasPrevPage: false } },
    });
    expect(page.data.messages.map((m: any) => m.message)).toEqual(["Hello everyone!", "Hi John"]);
    expect(page.data.messages[0]).toMatchObject({ _id: id, conversationId, senderId: { _id: john._id, name: "John Doe" }, timestamp: expect.stringMatching(ISO), edited: false });
    const restPage = await http("GET", `/api/messages/conversation/${conversationId}?page=1&limit=20`, { token: bob.token });
    expect(restPage.body).toEqual(page);

    // markMessagesRead: {modifiedCount} of the caller's unread messages; Jane joined the room, so she hears 004's marked_as_read
    const janeSeesRead = next(sn, "marked_as_read");
    const marked = await emitAck(sb, "markMessagesRead", { conversationId });
    expect(await janeSeesRead).toMatchObject({ conversation_id: conversationId, user_email: bob.email });
    expect(marked).toEqual({ success: true, statusCode: 200, message: "Messages marked as read", data: { modifiedCount: 2 } });
    expect(await emitAck(sb, "markMessagesRead", { conversationId })).toMatchObject({ data: { modifiedCount: 0 } });
    const one = await emitAck(sn, "markMessagesRead", { conversationId, messageId: id });
    expect(one).toMatchObject({ success: true, statusCode: 200, message: "Message marked as read", data: { _id: id } });
    expect(one.data.seenBy).toEqual(expect.arrayContaining([expect.objectContaining({ userId: jane._id, timestamp: expect.stringMatching(ISO) })]));

    // the sender's socket did not get its own message back as receiveMessage
    expect(johnOwn.events.map(([m]) => m.message)).toEqual(["Hi John"]);
  });

  it("errors: non-members, unknown conversations, bad payloads", async () => {
    const a = await user000("Outsider A");
    const b = await user000("Member B");
    const c = await user000("Member C");
    const { socket: sa } = await connectWith(a.token, []);
    const { socket: sb } = await connectWith(b.token, []);
    const group = await emitAck(sb, "createGroup", { name: "Closed", members: [c._id] });
    const conversationId = group.data._id as string;
    const errors = record(sa, "error");

    expectErrorAck(await emitAck(sa, "sendMessage", { conversationId, message: "let me in" }), 404, /Conversation not found/);
    expectErrorAck(await emitAck(sa, "getMessages", { conversationId }), 404, /Conversation not found/);
    expectErrorAck(await emitAck(sa, "markMessagesRead", { conversationId }), 404, /Conversation not found/);
    expectErrorAck(await emitAck(sa, "joinGroup", { conversationId }), 404, /Conversation not found/);
    expectErrorAck(await emitAck(sa, "sendMessage", { conversationId: "conv_123456789", message: "x" }), 400, /conversationId/);
    expectErrorAck(await emitAck(sa, "sendMessage", { conversationId, message: "" }), 400, /message/);
    expectErrorAck(await emitAck(sa, "sendMessage", { conversationId, message: "x", messageType: "hologram" }), 400, /messageType/);
    expectErrorAck(await emitAck(sa, "createGroup", { name: "No members" }), 400, /members/);
    expectErrorAck(await emitAck(sa, "createGroup", { name: "Ghosts", members: ["0123456789abcdef01234567"] }), 404, /not found/i);
    expectErrorAck(await emitAck(sa, "getMessages", { conversationId, page: "first" }), 400, /page/);
    await new Promise((r) => setTimeout(r, 200));
    expect(errors.events).toHaveLength(10);
    const page = await emitAck(sb, "getMessages", { conversationId });
    expect(page.data.messages).toEqual([]);
  });
});

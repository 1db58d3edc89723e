/**
 * The API documents (issue 12 item 6): the AsyncAPI 3 document lists every
 * socket event the server handles (the registry) and every event real
 * connections receive in a scenario covering messages, typing, reads, rooms,
 * presence and status, with payloads that fit the documented schemas;
 * `/docs/socket` renders it.
 * (test/e2e/asyncapi.test.ts scans src/ for emitted event names.)
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createDb } from "../../src/db/client";
import { friendships } from "../../src/db/schema";
import { handledEvents } from "../../src/realtime/handlers";
import { CLIENT_EVENTS, SERVER_EVENTS } from "../../src/realtime/catalog";
import { CreateGroup } from "../../src/lib/requests";
import { api, makeUser } from "./helpers";
import { eventOf, hubStub, sioWs, type Frame, waitFor as waitForState, type WsClient } from "./realtime-helpers";

const db = createDb(env.DB);

async function doc() {
  const res = await api("GET", "/asyncapi.json");
  expect(res.status).toBe(200);
  return res.body;
}

/** Event names of the document's operations, by dialect and action. */
function opNames(d: any, dialect: string, action: "send" | "receive"): Set<string> {
  return new Set(
    Object.entries(d.operations)
      .filter(([id, op]: [string, any]) => id.startsWith(`${dialect}.`) && op.action === action)
      .map(([, op]: [string, any]) => op.title as string),
  );
}

describe("AsyncAPI document", () => {
  it("is AsyncAPI 3 with one channel per dialect, and handles exactly the registered events", async () => {
    const d = await doc();
    expect(d.asyncapi).toBe("3.0.0");
    expect(Object.keys(d.channels).sort()).toEqual(["chat-socket", "standard"]);
    const registered = handledEvents().filter((n) => !n.startsWith("test_"));
    expect(registered.length).toBeGreaterThan(15);
    for (const dialect of ["standard", "chat-socket"]) {
      const handled = opNames(d, dialect, "receive");
      for (const name of registered) expect(handled, `${dialect}: ${name}`).toContain(name);
      // and nothing the server does not handle
      for (const name of handled) expect(registered).toContain(name);
    }
  });

  it("every operation references messages that resolve, with payloads; client events have an ack and the error ack", async () => {
    const d = await doc();
    const resolve = (ref: string) => ref.slice(2).split("/").reduce((o: any, k) => o?.[k.replace(/~1/g, "/").replace(/~0/g, "~")], d);
    for (const [id, op] of Object.entries<any>(d.operations)) {
      expect(resolve(op.channel.$ref), id).toBeDefined();
      for (const m of op.messages) {
        const target = resolve(m.$ref);
        expect(target, `${id} ${m.$ref}`).toBeDefined();
        const message = target.$ref ? resolve(target.$ref) : target;
        expect(message.payload, id).toBeDefined();
      }
      if (op.action === "receive") {
        expect(op.reply.messages.map((m: any) => m.$ref)).toEqual([expect.stringMatching(/\.ack$/), expect.stringMatching(/error\.ack$/)]);
        expect(op["x-errors"].some((e: any) => e.status === 429)).toBe(true);
        expect(op["x-rate-limit"]).toMatchObject({ kind: expect.any(String), burst: expect.any(Number) });
      }
    }
  });

  it("payload schemas are the handlers' validation schemas; emitted payloads the views' schemas", async () => {
    const d = await doc();
    const createGroup = d.components.messages["standard.createGroup"].payload;
    const expected: any = z.toJSONSchema(CreateGroup, { io: "input", target: "draft-7" });
    delete expected.$schema;
    expect(createGroup).toEqual(expected);
    expect(createGroup.required).toEqual(["name", "members"]);
    const send = d.components.messages["chat-socket.send_message"].payload;
    expect(JSON.stringify(send)).toContain("to_email");
    expect(JSON.stringify(send)).toContain("receiverId");
    // the dialect decides online_users' shape
    expect(d.components.messages["standard.online_users"].payload.type).toBe("array");
    expect(d.components.messages["chat-socket.online_users"].payload.properties.users.type).toBe("array");
    expect(d.components.messages["chat-socket.new_message"].payload.required).toEqual(expect.arrayContaining(["id", "conversation_id", "sender_email", "message", "timestamp"]));
    expect(d.components.messages["error.ack"].payload.required).toEqual(["success", "statusCode", "message", "error", "detail"]);
  });

  it("/docs/socket renders every event, self-contained", async () => {
    const res = await api("GET", "/docs/socket");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = String(res.body);
    for (const e of [...CLIENT_EVENTS, ...SERVER_EVENTS]) expect(html).toContain(`<code>${e.name}</code>`);
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
  });

  it("every event real connections receive is in the document (both dialects)", async () => {
    const d = await doc();
    const [a, b] = [await makeUser({ name: "Ann" }), await makeUser({ name: "Ben" })];
    await db.insert(friendships).values([
      { userId: a._id, friendId: b._id },
      { userId: b._id, friendId: a._id },
    ]);
    expect((await api("POST", "/api/contacts", { token: a.token, body: { userId: b._id } })).status).toBe(201);
    const seen = { standard: new Set<string>(), "chat-socket": new Set<string>() };
    const mismatches: string[] = [];
    const record = (dialect: keyof typeof seen) => (f: Frame) => {
      const e = eventOf(f);
      if (!e) return;
      const name = String(e[0]);
      seen[dialect].add(name);
      // the payload fits the schema the document gives it
      const entry = SERVER_EVENTS.find((x) => x.name === name);
      const schema = entry && (entry.payload instanceof z.ZodType ? entry.payload : entry.payload[dialect]);
      if (!schema) return;
      const parsed = schema.safeParse(e[1]);
      if (!parsed.success) mismatches.push(`${dialect} ${name}: ${parsed.error.message}`);
    };
    const waitFor = async (client: WsClient, dialect: keyof typeof seen, name: string) => {
      const rec = record(dialect);
      await client.until((f) => (rec(f), eventOf(f)?.[0] === name), 5000);
    };
    const std = await sioWs({ token: a.token });
    const chat = await sioWs({ token: b.token }, "&dialect=chat-socket");
    await waitFor(std.client, "standard", "contacts_status_initial");
    await waitFor(chat.client, "chat-socket", "contacts_status_initial");
    let id = 0;
    const emit = (client: WsClient, event: string, payload?: unknown) =>
      client.send(`42${id++}${JSON.stringify(payload === undefined ? [event] : [event, payload])}`);

    emit(std.client, "send_message", { receiverId: b._id, content: "hello" });
    const [msg] = (await (async () => {
      const rec = record("chat-socket");
      const f = await chat.client.until((x) => (rec(x), eventOf(x)?.[0] === "new_message"), 5000);
      return eventOf(f)!.slice(1);
    })()) as any[];
    emit(chat.client, "join_conversation", { conversation_id: msg.conversation_id });
    await waitFor(chat.client, "chat-socket", "joined_conversation");
    // typing to a user goes into the conversation that now exists (typing never creates one)
    emit(std.client, "typing_start", { receiverId: b._id });
    await waitFor(chat.client, "chat-socket", "user_typing");
    emit(std.client, "typing_stop", { receiverId: b._id });
    emit(std.client, "joinGroup", { conversationId: msg.conversation_id });
    emit(chat.client, "typing_start", { conversation_id: msg.conversation_id });
    await waitFor(std.client, "standard", "typing_indicator");
    emit(chat.client, "send_message", { conversation_id: msg.conversation_id, message: "hi back" });
    await waitFor(std.client, "standard", "receive_message");
    emit(chat.client, "mark_as_read", { conversation_id: msg.conversation_id });
    await waitFor(std.client, "standard", "marked_as_read");
    emit(std.client, "mark_message_read", { messageId: msg.id });
    await waitFor(std.client, "standard", "message_read_confirmed");
    emit(std.client, "get_message_history", { otherUserId: b._id });
    await waitFor(std.client, "standard", "message_history");
    emit(std.client, "get_unread_count");
    await waitFor(std.client, "standard", "unread_count");
    emit(chat.client, "get_online_users");
    await waitFor(chat.client, "chat-socket", "online_users");
    emit(chat.client, "sync_messages", { conversation_id: msg.conversation_id });
    await waitFor(chat.client, "chat-socket", "synced_messages");
    emit(std.client, "sendMessage", { conversationId: "0".repeat(24), message: "nowhere" });
    await waitFor(std.client, "standard", "error");
    expect((await api("PUT", "/api/status-management", { token: b.token, body: { status: "busy", duration: 30 } })).status).toBe(200);
    await waitFor(std.client, "standard", "contact_status_update");
    emit(chat.client, "leave_conversation", { conversation_id: msg.conversation_id });
    await waitFor(chat.client, "chat-socket", "left_conversation");
    std.client.close();
    await waitFor(chat.client, "chat-socket", "user_offline");
    chat.client.close();
    for (const u of [a, b]) await waitForState(async () => (await hubStub(u._id).sessions()).length === 0, "the hubs to forget the closed connections", 5000);

    expect(mismatches).toEqual([]);
    for (const dialect of ["standard", "chat-socket"] as const) {
      const documented = opNames(d, dialect, "send");
      expect(seen[dialect].size).toBeGreaterThan(5);
      for (const name of seen[dialect]) expect(documented, `${dialect} received ${name}`).toContain(name);
    }
    expect([...seen.standard]).toEqual(expect.arrayContaining(["connection", "online_users", "receive_message", "receiveMessage", "typing_indicator", "typingStatus"]));
    expect([...seen["chat-socket"]]).toEqual(expect.arrayContaining(["new_message", "user_typing", "message_notification"]));
  });
});

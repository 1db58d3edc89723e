/**
 * What chat users expect to see live (issue: edits, deletes, membership
 * changes and renames reach the other members' devices at once, in each
 * dialect's naming, and are recovered after a drop like messages), with real
 * socket.io-client instances over both transports against `wrangler dev`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type FormUser, formLogin, http } from "./client";
import { closeAll, connect, type ConnectOptions, record, type Socket, waitFor } from "./sockets";

const login = (name: string) => formLogin(name, "live");
const std = (u: FormUser, opts: ConnectOptions = {}) => connect(u.token, { ...opts, query: { dialect: "standard" } });
const chat = (u: FormUser, opts: ConnectOptions = {}) => connect(u.token, opts);
const next = (socket: Socket, event: string, filter?: (p: any) => boolean, timeout = 8000) =>
  waitFor(socket, event, { timeout, filter: filter ? (p: any) => filter(p) : undefined }).then((args) => args[0]);

afterEach(() => closeAll());

async function group(creator: FormUser, members: FormUser[], name = "Live"): Promise<string> {
  const res = await http("POST", "/api/conversations/group", { token: creator.token, body: { name, members: members.map((m) => m._id) } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data._id;
}

describe("edits and deletes reach every member's devices", () => {
  it.each(["websocket", "polling"] as const)("over %s, in both dialects", async (mode) => {
    const [ann, ben, cat] = await Promise.all([login("Ann"), login("Ben"), login("Cat")]);
    const conversationId = await group(ann, [ben, cat]);
    const sb = await std(ben, { mode });
    const sc = await chat(cat, { mode });
    const sent = await http("POST", "/api/messages", { token: ann.token, body: { conversationId, message: "first draft" } });
    const id = sent.body.data._id;

    const edited = [
      next(sb, "messageEdited", (m) => m._id === id),
      next(sb, "message_edited", (m) => m._id === id),
      next(sc, "message_edited", (m) => m.id === id),
    ];
    expect((await http("PUT", `/api/messages/${id}`, { token: ann.token, body: { message: "final" } })).status).toBe(200);
    const [e001, e002, e004] = await Promise.all(edited);
    expect(e001).toMatchObject({ _id: id, text: "final", edited: true, conversationId });
    expect(e002).toMatchObject({ _id: id, content: "final", edited: true });
    expect(e004).toMatchObject({ id, message: "final", edited: true, conversation_id: conversationId });

    const deleted = [next(sb, "message_deleted", (m) => m._id === id), next(sc, "message_deleted", (m) => m.id === id)];
    expect((await http("DELETE", `/api/messages/${id}`, { token: ann.token })).status).toBe(200);
    const [d002, d004] = await Promise.all(deleted);
    expect(d002).toMatchObject({ _id: id, deleted: true, content: "" });
    expect(d004).toMatchObject({ id, deleted: true, message: "" });
  });

  it("an edit made while a device was away is recovered with it", async () => {
    const [ann, ben] = await Promise.all([login("Ann"), login("Ben")]);
    const conversationId = await group(ann, [ben]);
    const sb = await std(ben, { mode: "websocket", reconnection: true, reconnectionDelay: 600, reconnectionDelayMax: 600, randomizationFactor: 0 });
    const sent = await http("POST", "/api/messages", { token: ann.token, body: { conversationId, message: "v1" } });
    const edits = record(sb, "message_edited");
    const dropped = waitFor(sb, "disconnect");
    const back = waitFor(sb, "connect", { timeout: 15_000 });
    sb.io.engine.close();
    await dropped;
    expect((await http("PUT", `/api/messages/${sent.body.data._id}`, { token: ann.token, body: { message: "v2" } })).status).toBe(200);
    await back;
    expect(sb.recovered).toBe(true);
    if (!edits.events.length) await next(sb, "message_edited");
    expect(edits.events.map(([m]) => m.content)).toEqual(["v2"]);
  });
});

describe("membership changes and renames reach members live", () => {
  it.each(["websocket", "polling"] as const)("over %s: added, renamed, removed, left", async (mode) => {
    const [ann, ben, cat, dan] = await Promise.all([login("Ann"), login("Ben"), login("Cat"), login("Dan")]);
    const conversationId = await group(ann, [ben, cat]);
    const sb = await std(ben, { mode });
    const sc = await chat(cat, { mode });
    const sd = await std(dan, { mode });

    const added = [next(sb, "membersAdded"), next(sc, "members_added"), next(sd, "members_added")];
    expect((await http("POST", `/api/conversations/${conversationId}/members`, { token: ben.token, body: { members: [dan._id] } })).status).toBe(200);
    for (const payload of await Promise.all(added)) {
      expect(payload).toMatchObject({ conversationId, conversation_id: conversationId, by: { _id: ben._id }, members: [{ _id: dan._id, name: "Dan" }] });
    }

    const renamed = [next(sb, "groupRenamed"), next(sc, "group_renamed")];
    expect((await http("PUT", `/api/conversations/${conversationId}`, { token: ann.token, body: { name: "Renamed" } })).status).toBe(200);
    for (const payload of await Promise.all(renamed)) expect(payload).toMatchObject({ conversationId, name: "Renamed", by: { _id: ann._id } });

    const removed = [next(sb, "members_removed"), next(sd, "membersRemoved")];
    expect((await http("DELETE", `/api/conversations/${conversationId}/members`, { token: ann.token, body: { members: [dan._id] } })).status).toBe(200);
    for (const payload of await Promise.all(removed)) expect(payload).toMatchObject({ conversationId, members: [{ _id: dan._id }] });

    const left = [next(sb, "memberLeft"), next(sc, "member_left")];
    expect((await http("DELETE", `/api/conversations/${conversationId}/leave`, { token: cat.token })).status).toBe(200);
    for (const payload of await Promise.all(left)) expect(payload).toMatchObject({ conversationId, userId: cat._id });
  });
});

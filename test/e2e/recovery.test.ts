/**
 * No message lost on reconnect, against `wrangler dev` with the stock
 * socket.io-client:
 * - connection-state recovery: a client whose connection drops
 *   mid-conversation while the other side keeps sending comes back with
 *   `socket.recovered === true` and gets every message exactly once, in
 *   order (all three transport modes; rooms are kept);
 * - a client without recovery (a new client, or too late) catches up with
 *   `since` over REST and `sync_messages`;
 * - a sender that retries after a drop with the same clientMsgId ends with
 *   its message stored and delivered once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type FormUser, formLogin, http } from "./client";
import { ack, closeAll, type ConnectOptions, connect, eventually, record, type Socket, type TransportMode, upgraded, waitFor } from "./sockets";

type U = FormUser;

const login = (name: string) => formLogin(name, "rec");

const std = (u: U, opts: ConnectOptions = {}) => connect(u.token, { ...opts, query: { ...(opts.query ?? {}), dialect: "standard" } });
/** Reconnects by itself, after a pause long enough for messages to be sent while it is away. */
const RECONNECTING: ConnectOptions = { reconnection: true, reconnectionDelay: 600, reconnectionDelayMax: 600, randomizationFactor: 0 };

const contents = (rec: { events: any[][] }) => rec.events.map(([m]) => m.content ?? m.message);

async function send(from: Socket, to: U, content: string) {
  const reply = await ack(from, "send_message", { receiverId: to._id, content, clientMsgId: content });
  if (!reply?.success) throw new Error(`send ${content}: ${JSON.stringify(reply)}`);
  return reply.message;
}

describe("connection-state recovery", () => {
  afterEach(() => closeAll());

  it.each<TransportMode>(["websocket", "polling", "default"])("%s: a dropped client comes back recovered with every message once, in order", async (mode) => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    const sa = await std(ann, { mode: "websocket" });
    const sb = await std(ben, { mode, ...RECONNECTING });
    if (mode === "default") await upgraded(sb);
    const got = record(sb, "receive_message");
    const notes = record(sb, "message_notification");

    for (let i = 1; i <= 3; i++) await send(sa, ben, `m${i}`);
    await eventually(() => got.events.length === 3, 8000, "the first three messages");
    const firstSid = sb.id;

    const dropped = waitFor(sb, "disconnect");
    const back = waitFor(sb, "connect", { timeout: 15_000 });
    sb.io.engine.close(); // the connection drops; Ann keeps writing
    await dropped;
    for (let i = 4; i <= 9; i++) await send(sa, ben, `m${i}`);
    await back;
    expect(sb.recovered).toBe(true);
    expect(sb.id).not.toBe(firstSid);
    for (let i = 10; i <= 12; i++) await send(sa, ben, `m${i}`);
    // wait for the last event of each stream that is asserted (the notification follows the message)
    await eventually(() => got.events.some(([m]) => m.content === "m12"), 8000, "m12");
    await eventually(() => notes.events.some(([n]) => n.message === "m12"), 8000, "the m12 notification");

    const expected = Array.from({ length: 12 }, (_, i) => `m${i + 1}`);
    expect(contents(got)).toEqual(expected);
    expect(notes.events.map(([n]) => n.message)).toEqual(expected);
    // every replayed event carried an offset: the client's position moved on
    expect(got.events.every((args) => typeof args.at(-1) === "string")).toBe(true);
  });

  it("a recovered 004 connection is still in its rooms", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    const start = await http("POST", "/api/conversations/start", { token: ann.token, form: { to_email: ben.email } });
    const conv = start.body.conversation_id as string;
    const sa = await connect(ann.token, { mode: "websocket" });
    const sb = await connect(ben.token, { mode: "websocket", ...RECONNECTING });
    await ack(sb, "join_conversation", { conversation_id: conv });
    const typing = record(sb, "user_typing");
    const news = record(sb, "new_message");

    const dropped = waitFor(sb, "disconnect");
    const back = waitFor(sb, "connect", { timeout: 15_000 });
    sb.io.engine.close();
    await dropped;
    await ack(sa, "typing_start", { conversation_id: conv }); // while Ben is away
    await ack(sa, "send_message", { conversation_id: conv, message: "while away" });
    await back;
    expect(sb.recovered).toBe(true);
    await ack(sa, "typing_stop", { conversation_id: conv });
    await eventually(() => typing.events.length === 2, 8000, "both typing events");
    expect(typing.events.map(([t]) => t.typing)).toEqual([true, false]);
    const after = waitFor(sb, "new_message", { filter: (m: any) => m.message === "after" });
    await ack(sa, "send_message", { conversation_id: conv, message: "after" });
    await after;
    expect(news.events.map(([m]) => m.message)).toEqual(["while away", "after"]);
  });

  it("the server dropping a connection (malformed packet) is recovered too", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    const sa = await std(ann, { mode: "polling" });
    const sb = await std(ben, { mode: "websocket", ...RECONNECTING });
    const got = record(sb, "receive_message");
    await send(sa, ben, "before");
    await eventually(() => got.events.length === 1, 8000, "before");
    const dropped = waitFor(sb, "disconnect");
    const back = waitFor(sb, "connect", { timeout: 15_000 });
    sb.io.engine.write("not a socket.io packet");
    await dropped;
    await send(sa, ben, "during");
    await back;
    expect(sb.recovered).toBe(true);
    await send(sa, ben, "after");
    await eventually(() => got.events.length === 3, 8000, "three messages");
    expect(contents(got)).toEqual(["before", "during", "after"]);
  });
});

describe("catch-up without recovery, and retries", () => {
  afterEach(() => closeAll());

  it("a new client (no recovery) catches up with since over REST and sync_messages", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    const sa = await std(ann, { mode: "websocket" });
    let sb = await std(ben, { mode: "polling" });
    const got = record(sb, "receive_message");
    const m1 = await send(sa, ben, "c1");
    const m2 = await send(sa, ben, "c2");
    await eventually(() => got.events.length === 2, 8000, "c1, c2");
    const conv = m1.conversationId as string;
    const lastSeq = got.events.at(-1)![0].seq as number;
    sb.close(); // the app is closed: a later client has no recovery state

    const missed = [];
    for (let i = 3; i <= 5; i++) missed.push(await send(sa, ben, `c${i}`));
    sb = await std(ben, { mode: "websocket" });
    expect(sb.recovered).toBeFalsy();

    const rest = await http("GET", `/api/conversations/${conv}/messages?since=${lastSeq}`, { token: ben.token });
    expect(rest.status).toBe(200);
    expect(rest.body.map((m: any) => m.id)).toEqual(missed.map((m) => m._id));
    expect(rest.body.map((m: any) => m.message)).toEqual(["c3", "c4", "c5"]);
    const rest003 = await http("GET", `/api/messages/conversation/${conv}?since=${lastSeq}&limit=2`, { token: ben.token });
    expect(rest003.body.data).toMatchObject({ hasMore: true, lastSeq: lastSeq + 3 });
    expect(rest003.body.data.messages.map((m: any) => m.message)).toEqual(["c3", "c4"]);
    const byTime = await http("GET", `/api/conversations/${conv}/messages?since=${encodeURIComponent(got.events.at(-1)![0].sentAt)}`, {
      token: ben.token,
    });
    expect(byTime.body.map((m: any) => m.message)).toEqual(["c3", "c4", "c5"]);

    const synced = await ack(sb, "sync_messages", { conversationId: conv, since: lastSeq });
    expect(synced).toMatchObject({ success: true, conversationId: conv, hasMore: false, lastSeq: lastSeq + 3 });
    expect(synced.messages.map((m: any) => m._id)).toEqual(missed.map((m) => m._id));
    expect(synced.messages.map((m: any) => m.seq)).toEqual([lastSeq + 1, lastSeq + 2, lastSeq + 3]);
    expect(m2.seq).toBe(lastSeq);
    const bad = await http("GET", `/api/conversations/${conv}/messages?since=soon`, { token: ben.token });
    expect(bad.status).toBe(422);
    expect(bad.body.message).toMatch(/since/);
  });

  it("a sender that retries after a drop with the same clientMsgId stores and delivers the message once", async () => {
    const ann = await login("Ann");
    const ben = await login("Ben");
    const sa = await std(ann, { mode: "websocket", ...RECONNECTING });
    const sb = await std(ben, { mode: "polling" });
    const got = record(sb, "receive_message");

    await send(sa, ben, "r1");
    // the send goes out and the connection drops before (or after) its answer: the client cannot know
    const dropped = waitFor(sa, "disconnect");
    const back = waitFor(sa, "connect", { timeout: 15_000 });
    sa.emit("send_message", { receiverId: ben._id, content: "r2", clientMsgId: "retry-r2" });
    sa.io.engine.close();
    await dropped;
    await back;
    // so it sends again with the same clientMsgId
    const retried = await ack(sa, "send_message", { receiverId: ben._id, content: "r2", clientMsgId: "retry-r2" });
    expect(retried).toMatchObject({ success: true, message: { content: "r2", clientMsgId: "retry-r2" } });
    await send(sa, ben, "r3");
    await eventually(() => got.events.some(([m]) => m.content === "r3"), 8000, "r3");
    expect(contents(got)).toEqual(["r1", "r2", "r3"]);
    const history = await http("GET", `/api/messages/${ann._id}`, { token: ben.token });
    expect(history.body.map((m: any) => m.text)).toEqual(["r1", "r2", "r3"]);
  });
});

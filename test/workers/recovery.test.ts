/**
 * Connection-state recovery: the wire protocol (CONNECT answers carry `pid`,
 * every event carries an offset, a client coming back with `{pid, offset}`
 * gets the same pid and what it missed), and the user's outbound log in the
 * UserHub (who gets what replayed, windows and trimming, delivery status of
 * replayed messages). Compliance mode, which offers no recovery, is covered
 * by the compliance suites.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { issueToken } from "../../src/lib/tokens";
import { OUTBOX_RETAIN_MS, RECOVERY_WINDOW_MS } from "../../src/objects/user-hub";
import { api, makeUser, roomMessages, type TestUser } from "./helpers";
import { eventOf, hubStub, waitFor as until, type WsClient, wsHandshake } from "./realtime-helpers";
import { roomStub } from "./objects";


afterEach(() => vi.useRealTimers());

function advance(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ms);
}

const tokenOf = (u: TestUser) => issueToken(env, { sub: u._id, uid: u.userId, dlc: "standard" });

/** Socket.IO over WebSocket with the given CONNECT payload; resolves with the client and the parsed CONNECT answer. */
async function connectWith(payload: Record<string, unknown>) {
  const { client, sid } = await wsHandshake();
  client.send(`40${JSON.stringify(payload)}`);
  const answer = await client.nextText();
  if (!answer.startsWith("40{")) throw new Error(`not connected: ${answer}`);
  return { client, sid, connect: JSON.parse(answer.slice(2)) as { sid: string; pid?: string } };
}

/** Collects `[event, ...args]` of every EVENT frame from now on. */
function frames(client: WsClient) {
  const seen: unknown[][] = [];
  client.ws.addEventListener("message", (e) => {
    const ev = eventOf(e.data as string);
    if (ev) seen.push(ev);
  });
  return seen;
}

describe("the wire: pid, offsets, replay", () => {
  it("CONNECT answers {sid, pid}; every event ends with an offset; coming back with {pid, offset} replays what was missed, once, in order", async () => {
    const u = await makeUser();
    const token = await tokenOf(u);
    const first = await connectWith({ token });
    expect(first.connect).toEqual({ sid: expect.any(String), pid: expect.stringMatching(/^[\w-]{16}$/) });
    const seen = frames(first.client);
    await hubStub(u._id).emit([["note", { n: 1 }]]);
    await hubStub(u._id).emit({ standard: [["note", { n: 2 }]], "chat-socket": [["other", { n: 2 }]] });
    await until(() => seen.filter((e) => e[0] === "note").length === 2, "two notes");
    const notes = seen.filter((e) => e[0] === "note");
    expect(notes.map((e) => e.length)).toEqual([3, 3]);
    const [o1, o2] = notes.map((e) => Number(e[2]));
    expect(o2).toBeGreaterThan(o1);
    // a direct emit (an ack-less answer to this connection) carries the last offset it had
    // (the connect-time events came before the notes: the connection's events keep their order)
    const after = seen.length;
    first.client.send('42["get_online_users"]');
    await until(() => seen.slice(after).some((e) => e[0] === "online_users"), "online_users");
    expect(seen.slice(after).find((e) => e[0] === "online_users")!.at(-1)).toBe(String(o2));

    first.client.close();
    await until(async () => (await hubStub(u._id).sessions()).length === 0, "the drop to be noticed");
    for (let n = 3; n <= 5; n++) await hubStub(u._id).emit([["note", { n }]]);

    const again = await connectWith({ token, pid: first.connect.pid, offset: String(o1) });
    expect(again.connect.pid).toBe(first.connect.pid);
    expect(again.connect.sid).not.toBe(first.connect.sid);
    const replayed: unknown[][] = [];
    for (;;) {
      const ev = eventOf(await again.client.nextText());
      if (ev?.[0] === "note") replayed.push(ev);
      if ((ev?.[1] as { n?: number })?.n === 5) break;
    }
    expect(replayed.map((e) => (e[1] as { n: number }).n)).toEqual([2, 3, 4, 5]);
    const offsets = replayed.map((e) => Number(e.at(-1)));
    expect(offsets[0]).toBe(o2);
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
    again.client.close();
  });

  it("an unknown pid or a bad offset connects as a new session (not recovered)", async () => {
    const u = await makeUser();
    const token = await tokenOf(u);
    const first = await connectWith({ token });
    first.client.close();
    const unknown = await connectWith({ token, pid: "AAAAAAAAAAAAAAAA", offset: "1" });
    expect(unknown.connect.pid).not.toBe("AAAAAAAAAAAAAAAA");
    const badOffset = await connectWith({ token, pid: first.connect.pid, offset: "not-an-offset" });
    expect(badOffset.connect.pid).not.toBe(first.connect.pid);
    // someone else's pid is not yours (recovery sessions live in each user's own hub)
    const other = await makeUser();
    const stolen = await connectWith({ token: await tokenOf(other), pid: badOffset.connect.pid, offset: "0" });
    expect(stolen.connect.pid).not.toBe(badOffset.connect.pid);
    for (const c of [unknown, badOffset, stolen]) c.client.close();
  });
});

describe("the outbound log (UserHub)", () => {
  const fakeSid = () => crypto.randomUUID().replace(/-/g, "").slice(0, 20);

  it("replays by dialect, skips what excluded the session, includes what was only for it", async () => {
    const u = await makeUser();
    const hub = hubStub(u._id);
    const s1 = fakeSid();
    const opened = await hub.openSession(s1, "standard");
    expect(opened).toMatchObject({ recovered: false, replay: [], first: true });
    const other = await hub.openSession(fakeSid(), "chat-socket");
    // the emit that s1 caused skips s1; one only for the other session; one per dialect
    await hubStub(u._id).emit([["caused-by-s1", 1]], { exceptSid: s1 });
    await hubStub(u._id).emit([["only-other", 2]], { onlyPid: other.pid });
    await hubStub(u._id).emit({ standard: [["std", 3]], "chat-socket": [["chat", 3]] });
    await hubStub(u._id).emit([["for-all", 4]]);
    // the fake sessions have no connection: delivery found them gone
    expect(await hub.sessions()).toEqual([]);

    const back = await hub.openSession(fakeSid(), "standard", { pid: opened.pid, offset: opened.offset });
    expect(back.recovered).toBe(true);
    expect(back.pid).toBe(opened.pid);
    expect(back.replay.map((r) => JSON.parse(r.event)[0])).toEqual(["std", "for-all"]);
    expect(back.offset).toBe(back.replay.at(-1)!.offset);
    const asChat = await hub.openSession(fakeSid(), "chat-socket", { pid: other.pid, offset: other.offset });
    expect(asChat.recovered).toBe(true);
    expect(asChat.replay.map((r) => JSON.parse(r.event)[0])).toEqual(["caused-by-s1", "only-other", "chat", "for-all"]);
    // events of a dialect no recovery session speaks are not logged at all
    const solo = await makeUser();
    const soloHub = hubStub(solo._id);
    await soloHub.openSession(fakeSid(), "standard");
    const head = (await soloHub.recoveryState()).head;
    await hubStub(solo._id).emit({ standard: [["std", 1]], "chat-socket": [["chat", 1]] });
    expect((await soloHub.recoveryState()).head).toBe(head + 1);
    // an offset from the future is not served
    const future = await hub.openSession(fakeSid(), "standard", { pid: opened.pid, offset: "999999" });
    expect(future.recovered).toBe(false);
  });

  it("a recovery session is forgotten RECOVERY_WINDOW_MS after its connection dropped", async () => {
    const u = await makeUser();
    const hub = hubStub(u._id);
    const opened = await hub.openSession(fakeSid(), "standard");
    await hubStub(u._id).emit([["x", 1]]); // finds it gone: detached now
    expect((await hub.recoveryState()).sessions).toEqual([expect.objectContaining({ pid: opened.pid, sid: null, detachedAt: expect.any(Number) })]);
    advance(RECOVERY_WINDOW_MS + 1000);
    const late = await hub.openSession(fakeSid(), "standard", { pid: opened.pid, offset: opened.offset });
    expect(late.recovered).toBe(false);
    expect(late.pid).not.toBe(opened.pid);
  });

  it("events older than the log keeps make recovery fail instead of silently skipping them", async () => {
    const u = await makeUser();
    const token = await tokenOf(u);
    const live = await connectWith({ token }); // a live connection keeps its recovery session
    const seen = frames(live.client);
    await hubStub(u._id).emit([["old", 1]]);
    await until(() => seen.some((e) => e[0] === "old"), "old");
    const oldOffset = String(Number(seen.find((e) => e[0] === "old")!.at(-1)) - 1);
    advance(OUTBOX_RETAIN_MS + 1000);
    await hubStub(u._id).emit([["new", 2]]); // trims "old"
    const state = await hubStub(u._id).recoveryState();
    expect(state.trimmed).toBeGreaterThan(Number(oldOffset));
    const tooLate = await connectWith({ token, pid: live.connect.pid, offset: oldOffset });
    expect(tooLate.connect.pid).not.toBe(live.connect.pid);
    live.client.close();
    tooLate.client.close();
  });

  it("a message replayed to a recovering recipient becomes delivered, and its sender is told", async () => {
    const ann = await makeUser({ name: "Ann" });
    const ben = await makeUser({ name: "Ben" });
    const annSocket = await connectWith({ token: await tokenOf(ann) });
    const annSeen = frames(annSocket.client);
    const benHub = hubStub(ben._id);
    const away = await benHub.openSession(fakeSid(), "standard");
    await hubStub(ben._id).emit([["warm-up", 0]]); // Ben's only session is found gone: he is away, recoverable
    const sent = await api("POST", "/api/messages/send", { token: ann.token, body: { recipientId: ben._id, text: "while you were away" } });
    expect(sent.status).toBe(201);
    await roomStub(sent.body.conversationId).deliveriesIdle();
    const stored = async () => (await roomMessages(sent.body.conversationId)).find((m) => m.id === sent.body._id);
    expect((await stored())?.delivered_at).toBeNull();

    const back = await benHub.openSession(fakeSid(), "standard", { pid: away.pid, offset: away.offset });
    expect(back.replay.map((r) => JSON.parse(r.event)[0])).toEqual(["warm-up", "receiveMessage", "receive_message", "message_notification"]);
    await until(async () => !!(await stored())?.delivered_at, "delivered");
    await until(() => annSeen.some((e) => e[0] === "message_status"), "message_status to the sender");
    expect(annSeen.find((e) => e[0] === "message_status")![1]).toMatchObject({ messageId: sent.body._id, status: "delivered" });
    annSocket.client.close();
  });
});

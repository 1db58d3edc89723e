/**
 * Ordering and exactly-once over the wire, against `wrangler dev` with real
 * socket.io-client instances: several senders writing into one group at once
 * over sockets (both transports) and REST, and one client message id resent
 * concurrently over the socket and REST.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type FormUser, formLogin, http } from "./client";
import { ack, closeAll, connect, eventually, record, type Socket } from "./sockets";

const login = (name: string) => formLogin(name, "order");
const std = (u: FormUser, mode: "websocket" | "polling" | "default" = "websocket") => connect(u.token, { mode, query: { dialect: "standard" } });

afterEach(() => closeAll());

async function group(creator: FormUser, members: FormUser[]): Promise<string> {
  const res = await http("POST", "/api/conversations/group", {
    token: creator.token,
    body: { name: "order", members: members.map((m) => m._id) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data._id;
}

describe("one conversation, many writers", () => {
  it("every member's stream is the conversation's seq order, each message once, whoever sent it and however", async () => {
    const people = await Promise.all(["Ann", "Ben", "Cat", "Dan"].map(login));
    const [ann, ben, cat, dan] = people;
    const conversationId = await group(ann, [ben, cat, dan]);
    const sockets: Socket[] = [await std(ann), await std(ben, "polling"), await std(cat, "default"), await std(dan)];
    const streams = sockets.map((s) => record(s, "receiveMessage"));
    const PER_WRITER = 8;
    const bySocket = (s: Socket, who: string) =>
      (async () => {
        for (let i = 0; i < PER_WRITER; i++) await ack(s, "sendMessage", { conversationId, message: `${who} ${i}` });
      })();
    const byRest = (u: FormUser, who: string) =>
      (async () => {
        for (let i = 0; i < PER_WRITER; i++) {
          const res = await http("POST", "/api/messages", { token: u.token, body: { conversationId, message: `${who} ${i}` } });
          expect(res.status).toBe(201);
        }
      })();
    // Ann and Ben over their sockets, Cat over REST, Dan over both at once
    await Promise.all([bySocket(sockets[0], "ann"), bySocket(sockets[1], "ben"), byRest(cat, "cat"), bySocket(sockets[3], "dan-socket"), byRest(dan, "dan-rest")]);
    const total = 5 * PER_WRITER;
    // a member gets the others' messages live; its own come back as confirmations
    const history = await http("GET", `/api/messages/conversation/${conversationId}?page=1&limit=100`, { token: ann.token });
    const all = history.body.data.messages as { _id: string; seq: number; senderId: { _id: string } }[];
    expect(all.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const [i, stream] of streams.entries()) {
      const me = people[i]._id;
      const expected = all.filter((m) => m.senderId._id !== me).map((m) => m._id);
      await eventually(() => stream.events.length >= expected.length, 15_000, `${people[i].name}'s messages`);
      const got = stream.events.map(([m]) => m as { _id: string; seq: number });
      expect(got.map((m) => m._id), `${people[i].name}'s stream`).toEqual(expected);
      expect(got.map((m) => m.seq)).toEqual([...got.map((m) => m.seq)].sort((a, b) => a - b));
    }
  });

  it("one clientMsgId resent at once over the socket and REST is stored and delivered once", async () => {
    const [ann, ben] = await Promise.all([login("Ann"), login("Ben")]);
    const sa = await std(ann);
    const sb = await std(ben, "polling");
    const got = record(sb, "receive_message");
    const clientMsgId = `dup-${crypto.randomUUID()}`;
    const answers = await Promise.all([
      ack(sa, "send_message", { receiverId: ben._id, content: "once", clientMsgId }),
      http("POST", "/api/messages/send", { token: ann.token, body: { recipientId: ben._id, text: "once", clientMsgId } }),
      ack(sa, "send_message", { receiverId: ben._id, content: "once", clientMsgId }),
      http("POST", "/api/messages/send", { token: ann.token, body: { recipientId: ben._id, text: "once", clientMsgId } }),
    ]);
    const ids = new Set([answers[0].message._id, answers[1].body._id, answers[2].message._id, answers[3].body._id]);
    expect(ids.size).toBe(1);
    // a later marker proves nothing else is on its way (a connection gets a conversation's messages in order)
    await ack(sa, "send_message", { receiverId: ben._id, content: "marker" });
    await eventually(() => got.events.some(([m]) => m.content === "marker"), 8000, "marker");
    expect(got.events.map(([m]) => m.content)).toEqual(["once", "marker"]);
  });
});

/**
 * Property-based fuzzing of Engine.IO / Socket.IO packets over both
 * transports (issue 11 item 8), through the real Worker entry.
 *
 * Each run opens a connection (polling or WebSocket), CONNECTs with a valid
 * token, sends 1–5 generated packets — Engine.IO packets of every type with
 * garbage payloads, Socket.IO packets with valid prefixes and garbage
 * (malformed JSON, wrong namespaces, acks without ids, binary placeholders
 * that never come, oversized events), and EVENTs naming every registered
 * handler with random payloads (real ids of a conversation, a message and a
 * peer mixed with garbage) — then an `echo` with an ack id, and waits for
 * that ack or for the server to close the connection (a protocol error is a
 * legitimate end). Properties:
 *  - no HTTP answer is a 5xx (polling POST/GET, handshakes);
 *  - no ack carries a 5xx error body (an unexpected handler failure);
 *  - nothing logged looks like a crash, nor "socket handler failed" /
 *    "socket packet handling failed" / "socket.io decode failed";
 *  - the connection answers or closes (never hangs);
 *  - a control client connected before the fuzz still answers `echo` and
 *    `get_unread_count` afterwards, and a new one connects and does too.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handledEvents } from "../../src/realtime/handlers";
import { api, makeUser, type TestUser } from "./helpers";
import { garbage, watchConsoleErrors } from "./fuzz-support";
import { exports } from "cloudflare:workers";
import { ORIGIN, poll, pollingHandshake, push, type WsClient, within, wsHandshake } from "./realtime-helpers";

const RUNS = 75;
const stats = { inputs: 0, packets: 0, failures: 0 };
/** Handled failures that log with a crash-like word but are not crashes: none known so far. */
const watch = watchConsoleErrors();
const HANDLER_FAILURE = /socket handler failed|socket packet handling failed|socket\.io decode failed|disconnect handler failed|disconnect hook failed/;

let users: TestUser[] = [];
let peer: TestUser;
let conversationId = "";
let messageId = "";
let control: WsClient;

beforeAll(async () => {
  peer = await makeUser();
  users = await Promise.all([0, 1, 2, 3].map(() => makeUser()));
  const sent = await api("POST", "/api/messages/send", { token: users[0].token, body: { recipientId: peer._id, text: "hi" } });
  conversationId = sent.body.conversationId;
  messageId = sent.body._id;
  control = await connectWs(peer);
});

afterAll(() => {
  watch.restore();
  control?.close();
  console.log(`socket fuzz: ${stats.inputs} inputs (${stats.packets} packets) tried, ${stats.failures} failures`);
});

async function connectWs(u: TestUser, dialect?: string): Promise<WsClient> {
  const { client } = await wsHandshake(dialect ? `&dialect=${dialect}` : "");
  client.send(`40${JSON.stringify({ token: u.token })}`);
  const answer = await client.nextText();
  if (!answer.startsWith("40")) throw new Error(`CONNECT refused: ${answer}`);
  // answer heartbeats like a real client, so the control connection lives through the whole fuzz
  client.ws.addEventListener("message", (e) => {
    if (e.data === "2") client.send("3");
  });
  return client;
}

/** echo and get_unread_count round trips on a live connection. */
async function roundTrip(client: WsClient, id: number) {
  client.send(`42${id}["echo",{"alive":${id}}]`);
  expect(await client.until((f) => typeof f === "string" && f.startsWith(`43${id}`), 5000)).toBe(`43${id}[{"alive":${id}}]`);
  client.send(`42${id + 1}["get_unread_count"]`);
  const ack = (await client.until((f) => typeof f === "string" && f.startsWith(`43${id + 1}`), 5000)) as string;
  expect(JSON.parse(ack.slice(`43${id + 1}`.length))[0]).toEqual(expect.objectContaining({ count: expect.any(Number) }));
}

const jsonText = (v: unknown) => JSON.stringify(v) ?? "null";
const ids = () => [conversationId, messageId, peer._id, peer.userId, peer.email, users[1]._id, "000000000000000000000000"];
const field = () => fc.oneof({ arbitrary: fc.constantFrom(...ids()), weight: 3 }, { arbitrary: garbage, weight: 2 });
const payloadArb = () =>
  fc.oneof(
    garbage,
    fc.record(
      {
        conversationId: field(),
        conversation_id: field(),
        receiverId: field(),
        recipientId: field(),
        to_email: field(),
        messageId: field(),
        otherUserId: field(),
        message: fc.oneof(fc.string(), garbage),
        text: fc.oneof(fc.string(), garbage),
        content: fc.oneof(fc.string(), garbage),
        name: fc.oneof(fc.string(), garbage),
        members: fc.oneof(fc.array(field(), { maxLength: 3 }), garbage),
        participants: fc.oneof(fc.array(field(), { maxLength: 3 }), garbage),
        groupId: field(),
        since: garbage,
        limit: garbage,
        page: garbage,
        clientMsgId: garbage,
        attachment: fc.oneof(garbage, fc.record({ url: fc.constantFrom("/api/uploads/000000000000000000000000", "http://evil.example/x", "javascript:alert(1)") })),
        fileUrl: garbage,
        file_url: garbage,
      },
      { requiredKeys: [] },
    ),
  );

type Frame = string | Uint8Array;

/** One generated input: a list of frames (text packets, or raw binary). */
const packetArb = (): fc.Arbitrary<Frame[]> => {
  const eventName = fc.oneof({ arbitrary: fc.constantFrom(...handledEvents()), weight: 4 }, { arbitrary: fc.oneof(fc.string(), fc.constantFrom("connect", "disconnect", "error", "newListener", "__proto__")), weight: 1 });
  const ackId = fc.option(fc.oneof(fc.nat(100000), fc.constant(Number.MAX_SAFE_INTEGER)), { nil: undefined });
  const nsp = fc.option(fc.constantFrom("/", "/admin", "/x,y", "//", "/\u0000"), { freq: 5, nil: undefined });
  const event = fc.tuple(nsp, ackId, eventName, fc.array(payloadArb(), { maxLength: 3 })).map(([n, id, name, args]) => [`42${n ? `${n},` : ""}${id ?? ""}${jsonText([name, ...args])}`]);
  const engineGarbage = fc.tuple(fc.constantFrom("0", "1", "2", "3", "5", "6", "7", "9", "", "b"), fc.string({ maxLength: 50 })).map(([t, s]) => [t + s]);
  const sioGarbage = fc
    .tuple(fc.constantFrom("0", "1", "2", "3", "4", "5", "6", "7", "8", "-"), nsp, fc.option(fc.oneof(fc.nat(), fc.constant(-1)), { nil: undefined }), fc.oneof(garbage.map(jsonText), fc.constantFrom("[", '["echo"', '{"a":', "[]", "[1]", "[null]", "[[\"echo\"]]", "null", "")))
    .map(([t, n, id, body]) => [`4${t}${n ? `${n},` : ""}${id ?? ""}${body}`]);
  const ackNoId = fc.constantFrom("43[1]", "43", "46[]", "43-1[]", "4399999999999999999999[1]").map((f): Frame[] => [f]);
  const binary = fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), ackId, fc.constantFrom(...handledEvents(), "echo"), fc.array(fc.uint8Array({ maxLength: 32 }), { maxLength: 3 }))
    .map(([declared, placeholders, id, name, bins]) => [
      `45${declared}-${id ?? ""}${jsonText([name, ...Array.from({ length: placeholders }, (_, num) => ({ _placeholder: true, num: num * 7 - 1 }))])}`,
      ...bins,
    ]);
  const rawBinary = fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 3 });
  const oversized = fc
    .constantFrom(`42["echo","${"x".repeat(1_100_000)}"]`, `42["send_message",{"receiverId":"x","content":"${"y".repeat(300_000)}"}]`, `42${"[".repeat(5000)}`)
    .map((f): Frame[] => [f]);
  // JSON.parse makes "__proto__" an own key: payloads that try to smuggle fields through it
  const protoKeys = fc
    .tuple(ackId, fc.constantFrom(...handledEvents()), fc.constantFrom(...ids()))
    .map(([id, name, ref]): Frame[] => [
      `42${id ?? ""}["${name}",{"__proto__":{"receiverId":"${ref}","conversationId":"${ref}","conversation_id":"${ref}","recipientId":"${ref}"},"constructor":{"prototype":{"x":1}},"toString":1,"hasOwnProperty":"x"}]`,
    ]);
  return fc.oneof(
    { arbitrary: protoKeys, weight: 2 },
    { arbitrary: event, weight: 8 },
    { arbitrary: engineGarbage, weight: 2 },
    { arbitrary: sioGarbage, weight: 3 },
    { arbitrary: ackNoId, weight: 1 },
    { arbitrary: binary, weight: 2 },
    { arbitrary: rawBinary, weight: 1 },
    { arbitrary: oversized, weight: 1 },
  );
};

/** who sends, in which dialect (both: 004's chat-socket dispatches and answers differently), which packets */
const inputArb = () => fc.tuple(fc.nat(users.length - 1), fc.array(packetArb(), { minLength: 1, maxLength: 5 }), fc.constantFrom("standard", "chat-socket"));

function check5xxAcks(frames: string[]) {
  for (const f of frames) {
    const m = /^43\d+(\[.*)$/s.exec(f);
    if (!m) continue;
    const body = JSON.parse(m[1])[0];
    if (body && typeof body === "object" && typeof body.statusCode === "number" && body.statusCode >= 500) {
      throw new Error(`an ack carries a ${body.statusCode}: ${f.slice(0, 300)}`);
    }
  }
}

const ECHO_ID = 777001;

describe("Socket.IO packet fuzz", () => {
  it("over WebSocket frames: no 5xx ack, no crash, the connection answers or closes", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(inputArb(), async ([who, inputs, dialect]) => {
        stats.inputs++;
        const client = await connectWs(users[who], dialect);
        const texts: string[] = [];
        try {
          for (const frames of inputs) for (const f of frames) (stats.packets++, client.send(f));
          client.send(`42${ECHO_ID}["echo","done"]`);
          // wait for the echo's ack or the close, collecting every text frame
          await within(
            (async () => {
              for (;;) {
                const f = await client.next(10_000).catch(() => null);
                if (f === null) return; // closed (or timed out: caught below by isClosed)
                if (typeof f === "string") texts.push(f);
                if (typeof f === "string" && f.startsWith(`43${ECHO_ID}`)) return;
              }
            })(),
            12_000,
            "the echo's ack or the close",
          );
          if (!client.isClosed && !texts.some((t) => t.startsWith(`43${ECHO_ID}`))) throw new Error("neither answered nor closed");
          check5xxAcks(texts);
          const crashes = watch.lines.filter((l) => HANDLER_FAILURE.test(l)).concat(watch.crashes());
          if (crashes.length) throw new Error(`logged: ${crashes.join("\n").slice(0, 800)}`);
        } catch (err) {
          stats.failures++;
          throw err;
        } finally {
          client.close();
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });

  it("over polling POST bodies: no 5xx, no 5xx ack, no crash, the session answers or closes", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(inputArb(), async ([who, inputs, dialect]) => {
        stats.inputs++;
        const { sid } = await pollingHandshake(`&dialect=${dialect}`);
        const texts: string[] = [];
        const expectNo5xx = (status: number, what: string, body: string) => {
          if (status >= 500) throw new Error(`${what} answered ${status}: ${body.slice(0, 300)}`);
        };
        try {
          let r = await push(sid, `40${JSON.stringify({ token: users[who].token })}`);
          expectNo5xx(r.status, "CONNECT push", r.body);
          // one POST per input: its frames as an Engine.IO payload (binary as base64 "b" packets)
          for (const frames of inputs) {
            stats.packets += frames.length;
            const body = frames
              .map((f) => (typeof f === "string" ? `4${f}` : `b${btoa(String.fromCharCode(...f))}`))
              .join("\x1e");
            r = await push(sid, body);
            expectNo5xx(r.status, "POST", r.body);
            if (r.status !== 200) return; // the session refused (400/413) and is gone: a legitimate end
          }
          r = await push(sid, `42${ECHO_ID}["echo","done"]`);
          expectNo5xx(r.status, "echo POST", r.body);
          if (r.status !== 200) return;
          const deadline = Date.now() + 12_000;
          for (;;) {
            if (Date.now() > deadline) throw new Error("neither answered nor closed");
            const p = await poll(sid);
            expectNo5xx(p.status, "poll", p.body);
            if (p.status !== 200) break; // session gone
            const packets = p.body.split("\x1e");
            for (const pk of packets) if (pk.startsWith("4")) texts.push(pk.slice(1));
            if (packets.includes("1") || texts.some((t) => t.startsWith(`43${ECHO_ID}`))) break;
          }
          check5xxAcks(texts);
          const crashes = watch.lines.filter((l) => HANDLER_FAILURE.test(l)).concat(watch.crashes());
          if (crashes.length) throw new Error(`logged: ${crashes.join("\n").slice(0, 800)}`);
        } catch (err) {
          stats.failures++;
          throw err;
        } finally {
          await push(sid, "1").catch(() => {});
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });

  it("handshakes and requests with random query strings, methods and headers: no 5xx", { timeout: 60_000 }, async () => {
    const { sid: liveSid } = await pollingHandshake();
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            EIO: fc.oneof(fc.constantFrom("4", "3", "5", "", "04", "4.0", "-1"), fc.string({ maxLength: 5 })),
            transport: fc.oneof(fc.constantFrom("polling", "websocket", "webtransport", "", "POLLING"), fc.string({ maxLength: 8 })),
            sid: fc.oneof(fc.constantFrom(liveSid, "", "x".repeat(500), "../", "%00"), fc.string({ maxLength: 30 })),
            t: fc.string({ maxLength: 20 }),
            b64: fc.constantFrom("1", "0", "true", ""),
            dialect: fc.oneof(fc.constantFrom("standard", "chat-socket", "x"), fc.string({ maxLength: 8 })),
            recovery: fc.constantFrom("false", "true", "1", ""),
            j: fc.string({ maxLength: 5 }),
          },
          { requiredKeys: [] },
        ),
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"),
        fc.constantFrom("/socket.io/", "/socket.io", "/socket.io/x", "/engine.io/"),
        fc.option(fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom("40", "1", "2", "3", "6", "5", "42[\"echo\"]", "b", "bAAAA")), { nil: undefined }),
        fc.record({ upgrade: fc.constantFrom("websocket", "h2c", ""), origin: fc.constantFrom("http://evil.example", "null", ""), "content-type": fc.constantFrom("text/plain", "application/octet-stream", "application/json", "") }, { requiredKeys: [] }),
        async (query, method, path, body, headers) => {
          stats.inputs++;
          // a GET on the live session would be a long poll (answered at the next heartbeat): not waited for here
          if ((method === "GET" || method === "HEAD") && query.sid === liveSid) query = { ...query, sid: "x" };
          const qs = new URLSearchParams(query as Record<string, string>).toString();
          const hasBody = body !== undefined && method !== "GET" && method !== "HEAD";
          const h = Object.fromEntries(Object.entries(headers).filter(([, v]) => v)) as Record<string, string>;
          const res = await exports.default.fetch(new Request(`${ORIGIN}${path}?${qs}`, { method, headers: h, body: hasBody ? body : undefined }));
          if (res.webSocket) {
            res.webSocket.accept();
            res.webSocket.close(1000, "fuzz");
          } else await res.text();
          if (res.status >= 500) {
            stats.failures++;
            throw new Error(`${method} ${path}?${qs} answered ${res.status}`);
          }
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    );
    await push(liveSid, "1").catch(() => {});
    expect(watch.crashes()).toEqual([]);
  });

  it("regression (found by the fuzz): events named like Object.prototype members are budgeted as `other`, not a crash", async () => {
    const client = await connectWs(users[0]);
    for (const [i, name] of ["__proto__", "constructor", "toString", "hasOwnProperty"].entries()) {
      client.send(`42${50 + i}${JSON.stringify([name, {}])}`);
      const ack = (await client.until((f) => typeof f === "string" && f.startsWith(`43${50 + i}`), 5000)) as string;
      expect(JSON.parse(ack.slice(`43${50 + i}`.length))[0].statusCode, name).toBeLessThan(500);
    }
    client.close();
    expect(watch.lines.filter((l) => HANDLER_FAILURE.test(l))).toEqual([]);
  });

  it("a control client connected before the fuzz, and a new one, still answer", async () => {
    await roundTrip(control, 900);
    const fresh = await connectWs(await makeUser());
    await roundTrip(fresh, 910);
    fresh.close();
    expect(watch.crashes()).toEqual([]);
  });
});

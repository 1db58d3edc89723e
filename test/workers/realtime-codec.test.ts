/** The Engine.IO wire format helpers (src/realtime/engine/codec.ts). */
import { describe, expect, it } from "vitest";
import { decodeFrame, decodePayloadText, encodeFrame, encodePayloadText, frameSize, newSid, openPacket, SID_PATTERN } from "../../src/realtime/engine/codec";

describe("Engine.IO codec", () => {
  it("encodes a polling payload: text packets joined by \\x1e, binary as b+base64", () => {
    const payload = encodePayloadText([
      { type: "message", data: "hello" },
      { type: "ping" },
      { type: "message", data: Uint8Array.from([1, 2, 3, 4]) },
      { type: "message", data: Uint8Array.from([255, 0]).buffer },
      { type: "noop" },
    ]);
    expect(payload).toBe("4hello\x1e2\x1ebAQIDBA==\x1eb/wA=\x1e6");
  });

  it("decodes a polling payload, binary back to ArrayBuffer", () => {
    const packets = decodePayloadText("4hello\x1e3\x1ebAQIDBA==\x1e4\u00e9\u{1F600}")!;
    expect(packets.map((p) => p.type)).toEqual(["message", "pong", "message", "message"]);
    expect(packets[0].data).toBe("hello");
    expect(packets[2].data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(packets[2].data)]).toEqual([1, 2, 3, 4]);
    expect(packets[3].data).toBe("\u00e9\u{1F600}");
  });

  it("rejects malformed payloads as a whole", () => {
    expect(decodePayloadText("abc")).toBeNull();
    expect(decodePayloadText("4ok\x1ex")).toBeNull();
    expect(decodePayloadText("")).toBeNull();
    expect(decodePayloadText("9")).toBeNull();
  });

  it("frames: text packets as strings, binary raw; decoding mirrors it", () => {
    expect(encodeFrame({ type: "message", data: "hi" })).toBe("4hi");
    expect(encodeFrame({ type: "pong", data: "probe" })).toBe("3probe");
    const raw = encodeFrame({ type: "message", data: Uint8Array.from([9, 8, 7]).subarray(1) });
    expect(raw).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(raw as ArrayBuffer)]).toEqual([8, 7]);
    expect(decodeFrame("2probe")).toEqual({ type: "ping", data: "probe" });
    expect(decodeFrame("5")).toEqual({ type: "upgrade" });
    expect(decodeFrame("x").type).toBe("error");
    const bin = decodeFrame(Uint8Array.from([1]).buffer);
    expect(bin.type).toBe("message");
  });

  it("the open packet has exactly the five documented keys, in order", () => {
    const frame = encodeFrame(openPacket({ sid: "abc", upgrades: ["websocket"], pingInterval: 300, pingTimeout: 200, maxPayload: 1e6 }));
    expect(frame).toBe('0{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}');
  });

  it("session ids are 20 url-safe characters and unique", () => {
    const ids = new Set(Array.from({ length: 200 }, newSid));
    expect(ids.size).toBe(200);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{20}$/);
      expect(SID_PATTERN.test(id)).toBe(true);
    }
    expect(SID_PATTERN.test("../etc")).toBe(false);
  });

  it("measures frames in bytes", () => {
    expect(frameSize("\u00e9")).toBe(2);
    expect(frameSize(new ArrayBuffer(7))).toBe(7);
  });
});

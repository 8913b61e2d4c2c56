import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  encodeBatch,
  encodeMessage,
  FRAME_BYTES,
  HEADER_BYTES,
  MAX_FRAME_BYTES,
  payloadBytes,
} from "../../net/framing.ts";
import { Reassembler, type ReassemblyResult } from "../../net/reassembler.ts";

function reassembler(max = 1 << 20, timeout = 1000, onTimeout?: (m: string) => void) {
  return new Reassembler({
    maxMessageBytes: max,
    incompleteTimeoutMs: timeout,
    onTimeout: (r) => onTimeout?.(r.message),
  });
}

function feed(r: Reassembler, frames: Iterable<Uint8Array>): ReassemblyResult[] {
  return [...frames].flatMap((frame) => r.push(frame));
}

describe("framing", () => {
  it("takes a module name of 255 bytes and refuses one of 256, saying why", () => {
    const r = reassembler();
    const longest = "é".repeat(127) + "m"; // 255 bytes of UTF-8 in 128 characters
    assert.deepEqual(feed(r, encodeMessage(1, { module: longest, data: "x" })), [
      { kind: "message", id: 1, module: longest, data: "x" },
    ]);
    assert.throws(
      () => [...encodeMessage(2, { module: longest + "m", data: "x" })],
      /a module name may have at most 255 bytes/,
    );
  });

  it("reports the message a closing connection cut off, and nothing when none was arriving", () => {
    const r = reassembler();
    const frames = [...encodeMessage(9, { module: "m", data: new Uint8Array(3 * FRAME_BYTES) })];
    assert.ok(frames.length >= 4);
    assert.deepEqual(feed(r, frames.slice(0, 2)), []);
    const report = r.close();
    assert.deepEqual(
      { id: report?.id, received: report?.received, count: report?.count },
      { id: 9, received: 2, count: frames.length },
    );
    assert.equal(
      report?.message,
      `message 9 was cut off when the connection ended (2 of ${frames.length} chunks had ` +
        "arrived); it was dropped",
    );
    assert.equal(r.close(), undefined, "once only");
    const whole = reassembler();
    feed(whole, frames);
    assert.equal(whole.close(), undefined, "a complete message leaves nothing to report");
  });

  it("counts a payload's bytes: UTF-8 for text, the length for bytes", () => {
    assert.equal(payloadBytes("héllo"), 6);
    assert.equal(payloadBytes(new Uint8Array(7)), 7);
    assert.equal(payloadBytes(""), 0);
  });

  it("round-trips text, bytes and empty messages with their module", () => {
    const r = reassembler();
    const bytes = crypto.getRandomValues(new Uint8Array(50_000));
    const results = [
      ...feed(r, encodeMessage(1, { module: "chat", data: "héllo ✓" })),
      ...feed(r, encodeMessage(2, { module: "", data: bytes })),
      ...feed(r, encodeMessage(3, { module: "m", data: "" })),
      ...feed(r, encodeMessage(4, { module: "m", data: new Uint8Array() })),
    ];
    assert.deepEqual(results, [
      { kind: "message", id: 1, module: "chat", data: "héllo ✓" },
      { kind: "message", id: 2, module: "", data: bytes },
      { kind: "message", id: 3, module: "m", data: "" },
      { kind: "message", id: 4, module: "m", data: new Uint8Array() },
    ]);
    r.close();
  });

  it("unpacks a batch of small messages in order, and reports a broken batch", () => {
    const r = reassembler();
    const frames = [1, 2, 3].map((id) =>
      [...encodeMessage(id, { module: "m", data: `n${id}` })][0]
    );
    const batch = encodeBatch(frames);
    assert.equal(batch[0], 2, "a batch starts with byte 2");
    assert.deepEqual(
      r.push(batch),
      [1, 2, 3].map((id) => ({
        kind: "message",
        id,
        module: "m",
        data: `n${id}`,
      })),
    );
    const cut = batch.subarray(0, batch.length - 2);
    const results = r.push(cut);
    assert.deepEqual(results.slice(0, 2).map((x) => x.kind), ["message", "message"]);
    assert.equal(results[2].kind, "error");
    assert.match((results[2] as { message: string }).message, /batch of \d+ bytes broken at byte/);
    const nested = encodeBatch([encodeBatch(frames)]);
    assert.equal(r.push(nested)[0].kind, "error", "a batch inside a batch is refused");
    r.close();
  });

  it("never makes a frame larger than 16 KiB and uses as few as it can", () => {
    const frames = [...encodeMessage(9, { module: "gossip", data: new Uint8Array(100_000) })];
    assert.ok(frames.every((f) => f.length <= FRAME_BYTES));
    assert.equal(frames.length, Math.ceil((100_000 + 6) / (FRAME_BYTES - HEADER_BYTES)));
    assert.equal(payloadBytes("€"), 3);
  });

  it("takes a message of exactly the maximum and refuses one byte more, at every frame size", () => {
    for (const frameBytes of [FRAME_BYTES, MAX_FRAME_BYTES]) {
      for (
        const max of [99_000, 100_000, frameBytes - HEADER_BYTES, 3 * (frameBytes - HEADER_BYTES)]
      ) {
        for (const size of [max - 1, max, max + 1]) {
          const r = reassembler(max);
          const results = feed(
            r,
            encodeMessage(1, { module: "", data: new Uint8Array(size) }, frameBytes),
          );
          r.close();
          const kinds = results.map((x) => x.kind === "error" ? x.code : x.kind);
          assert.deepEqual(
            kinds,
            [size <= max ? "message" : "message-too-large"],
            `${size} bytes against a maximum of ${max} in frames of ${frameBytes}`,
          );
        }
      }
    }
  });

  it("cuts at every chunk boundary into full frames, and joins them again", () => {
    for (const frameBytes of [FRAME_BYTES, MAX_FRAME_BYTES]) {
      const room = frameBytes - HEADER_BYTES;
      const module = "mod";
      const firstRoom = room - module.length;
      for (
        const size of [
          0,
          1,
          firstRoom - 1,
          firstRoom,
          firstRoom + 1,
          firstRoom + room,
          firstRoom + room + 1,
        ]
      ) {
        const data = Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 255);
        const frames = [...encodeMessage(3, { module, data }, frameBytes)];
        const expected = size <= firstRoom ? 1 : 1 + Math.ceil((size - firstRoom) / room);
        assert.equal(frames.length, expected, `${size} bytes in frames of ${frameBytes}`);
        assert.ok(frames.every((f) => f.length <= frameBytes));
        assert.ok(
          frames.slice(0, -1).every((f) => f.length === frameBytes),
          "all but the last full",
        );
        const r = reassembler(1 << 20);
        const [result] = feed(r, frames);
        r.close();
        assert.deepEqual(result, { kind: "message", id: 3, module, data });
      }
    }
  });

  it("shares a limit on unfinished bytes across reassemblers, and gives it back", () => {
    const budget = { held: 0, limit: 5 * FRAME_BYTES }; // room for one 64 KiB message, not two
    const [a, b] = [0, 1].map(() =>
      new Reassembler({ maxMessageBytes: 1 << 20, incompleteTimeoutMs: 1000, budget })
    );
    const big = (
      id: number,
    ) => [...encodeMessage(id, { module: "", data: new Uint8Array(4 * FRAME_BYTES) })];
    const [a1, a2, ...aRest] = big(1);
    const [b1, b2, b3, b4, ...bRest] = big(2);
    assert.deepEqual([...a.push(a1), ...a.push(a2)], [], "a holds two frames");
    assert.deepEqual([...b.push(b1), ...b.push(b2), ...b.push(b3)], [], "b holds three more");
    const refused = b.push(b4);
    assert.equal(refused.length, 1);
    assert.equal(refused[0].kind === "error" && refused[0].code, "message-too-large");
    assert.match(
      refused[0].kind === "error" ? refused[0].message : "",
      /would hold 98214 bytes of unfinished messages from its peers, its maximum is 81920/,
    );
    assert.deepEqual(bRest.flatMap((f) => b.push(f)), [], "the rest is skipped");
    const done = aRest.flatMap((f) => a.push(f));
    assert.equal(done.length, 1);
    assert.equal(done[0].kind, "message", "a finishes: its bytes go back");
    assert.equal(budget.held, 0);
    const again = big(3).flatMap((f) => b.push(f));
    assert.equal(again[0]?.kind, "message", "b has room again");
    b.push(big(4)[0]);
    assert.ok(budget.held > 0);
    b.close();
    assert.equal(budget.held, 0, "closing gives back what an unfinished message held");
    a.close();
  });

  it("refuses a message over the maximum once, skipping the rest of it", () => {
    const r = reassembler(40_000);
    const results = feed(r, encodeMessage(5, { module: "", data: new Uint8Array(100_000) }));
    assert.equal(results.length, 1);
    assert.equal(results[0].kind === "error" && results[0].code, "message-too-large");
    assert.match(results[0].kind === "error" ? results[0].message : "", /maximum of 40000/);
    assert.deepEqual(feed(r, encodeMessage(6, { module: "", data: "next" })).map((x) => x.kind), [
      "message",
    ]);
    r.close();
  });

  it("reports malformed frames, gaps and invalid UTF-8", () => {
    const r = reassembler();
    const bad = (results: ReassemblyResult[]) =>
      results.map((x) => x.kind === "error" ? x.code : x.kind);
    assert.deepEqual(bad(r.push(new Uint8Array([1, 2, 3]))), ["bad-frame"]);
    assert.deepEqual(bad(r.push(new Uint8Array(20).fill(7))), ["bad-frame"]);
    const frames = [...encodeMessage(7, { module: "", data: "x".repeat(60_000) })];
    assert.deepEqual(
      bad([...r.push(frames[0]), ...r.push(frames[2]), ...r.push(frames[3])]),
      ["bad-frame"],
      "a gap is reported once; the rest of that message is skipped",
    );
    const interrupted = [...encodeMessage(8, { module: "", data: "y".repeat(40_000) })];
    assert.deepEqual(
      bad([...r.push(interrupted[0]), ...feed(r, encodeMessage(9, { module: "", data: "z" }))]),
      ["bad-frame", "message"],
    );
    const invalid = [...encodeMessage(10, { module: "", data: new Uint8Array([0xff, 0xfe]) })][0];
    invalid[1] = 0; // claim it is text
    assert.deepEqual(bad(r.push(invalid)), ["bad-frame"]);
    r.close();
  });

  it("drops and reports a message that stays incomplete", async () => {
    const timeouts: string[] = [];
    const r = reassembler(1 << 20, 30, (m) => timeouts.push(m));
    const frames = [...encodeMessage(11, { module: "", data: "x".repeat(40_000) })];
    assert.deepEqual(r.push(frames[0]), []);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(timeouts.length, 1);
    assert.match(timeouts[0], /message 11 stayed incomplete \(1 of 3 chunks\) for 30 ms/);
    assert.deepEqual(r.push(frames[1]).map((x) => x.kind), ["error"], "its rest is out of order");
    r.close();
  });
});

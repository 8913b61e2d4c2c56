import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DataPath,
  type DataPathEvents,
  REFUSALS_PER_SECOND,
  WASTE_BURST,
  WASTE_PER_SECOND,
} from "../../net/data_path.ts";
import { encodeMessage, FRAME_BYTES, MAX_FRAME_BYTES } from "../../net/framing.ts";
import { Reassembler, type ReassemblyResult } from "../../net/reassembler.ts";
import { maxMessageSize } from "../../net/sdp.ts";
import { FakeChannel } from "../support/fake_channel.ts";

/** A data path whose reports are recorded as strings, in order. */
function recorded(options: ConstructorParameters<typeof DataPath>[0] = {}) {
  const log: string[] = [];
  const events: DataPathEvents = {
    sent: (id) => log.push(`sent ${id}`),
    failed: (id, code) => log.push(`failed ${id} ${code}`),
    message: (module, data) => log.push(`message ${module} ${String(data).slice(0, 20)}`),
    error: (code) => log.push(`error ${code}`),
    refusedByPeer: (id, code, message) => log.push(`refused ${id} ${code} ${message}`),
    closedByPeer: () => log.push("closed by peer"),
    broken: (reason) => log.push(`broken ${reason}`),
    overlay: (module, data) => log.push(`overlay ${JSON.stringify(module)} ${data}`),
  };
  return { path: new DataPath(options, events), log };
}

/** Everything `channel` carried, reassembled. */
function received(channel: FakeChannel): ReassemblyResult[] {
  const r = new Reassembler({ maxMessageBytes: 1 << 24, incompleteTimeoutMs: 1000 });
  const results = channel.sent.flatMap((frame) => r.push(frame));
  r.close();
  return results;
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe("data path (fake channel)", () => {
  it("does not recurse when the channel is not open while messages wait (the pump crash)", async () => {
    // The old per-peer pump returned before any await when the connection counted as open but
    // the channel was closing, and its `finally` started it again synchronously: thousands of
    // frames deep, `RangeError: Maximum call stack size exceeded`, an unhandled rejection.
    const { path, log } = recorded();
    const channel = new FakeChannel();
    channel.readyState = "closing";
    path.attach(channel);
    for (let id = 1; id <= 3; id++) path.enqueue({ id, module: "m", data: "x" });
    for (let i = 0; i < 10_000; i++) path.flush();
    await tick();
    assert.equal(channel.sent.length, 0);
    assert.equal(path.queued, 3);
    assert.deepEqual(log, []);
    path.failAll("peer-gone", "gone");
    assert.deepEqual(log, ["failed 1 peer-gone", "failed 2 peer-gone", "failed 3 peer-gone"]);
  });

  it("sends a lone message at once and batches small messages that wait together", async () => {
    const { path, log } = recorded();
    const channel = new FakeChannel();
    path.attach(channel);
    path.enqueue({ id: 1, module: "m", data: "alone" });
    path.flush();
    await tick();
    for (let id = 2; id <= 5; id++) path.enqueue({ id, module: "m", data: `small ${id}` });
    path.flush();
    await tick();
    assert.equal(channel.sent.length, 2, "one send for the lone message, one for the batch");
    assert.deepEqual(log, ["sent 1", "sent 2", "sent 3", "sent 4", "sent 5"]);
    assert.deepEqual(
      received(channel).map((r) => r.kind === "message" && r.data),
      ["alone", "small 2", "small 3", "small 4", "small 5"],
    );
  });

  it("stops at the high mark when the buffer never drains, without spinning", async () => {
    const { path, log } = recorded({ bufferHighBytes: 2 * FRAME_BYTES });
    const channel = new FakeChannel();
    channel.buffers = true;
    path.attach(channel);
    for (let id = 1; id <= 4; id++) {
      path.enqueue({ id, module: "m", data: new Uint8Array(FRAME_BYTES) }); // 2 frames each
    }
    path.flush();
    await tick(50);
    const sends = channel.sent.length;
    assert.ok(sends >= 2 && sends <= 4, `${sends} frames before the stall`);
    assert.ok(!log.includes("sent 3") && !log.includes("sent 4"), log.join());
    await tick(50);
    assert.equal(channel.sent.length, sends, "nothing more while the buffer stays full");
    path.detach();
    path.failAll("peer-gone", "stalled");
    assert.equal(
      log.filter((l) => l.startsWith("failed")).length +
        log.filter((l) => l.startsWith("sent")).length,
      4,
    );
    assert.ok(log.includes("failed 4 peer-gone"));
  });

  it("resumes when the buffer drains", async () => {
    const { path, log } = recorded({ bufferHighBytes: FRAME_BYTES });
    const channel = new FakeChannel();
    channel.buffers = true;
    path.attach(channel);
    for (let id = 1; id <= 3; id++) path.enqueue({ id, module: "m", data: new Uint8Array(20_000) });
    path.flush();
    for (let i = 0; i < 20 && log.length < 3; i++) {
      await tick(5);
      channel.drain();
    }
    assert.deepEqual(log, ["sent 1", "sent 2", "sent 3"]);
    assert.equal(received(channel).length, 3);
  });

  it("sends a message whole on the channel that replaced the one it was cut off on", async () => {
    const { path, log } = recorded({ bufferHighBytes: FRAME_BYTES });
    const first = new FakeChannel();
    first.buffers = true;
    path.attach(first);
    const big = crypto.getRandomValues(new Uint8Array(3 * FRAME_BYTES));
    path.enqueue({ id: 7, module: "m", data: big });
    path.flush();
    await tick(20);
    assert.ok(first.sent.length >= 1 && first.sent.length < 4, "cut off mid-message");
    assert.deepEqual(log, []);
    const second = new FakeChannel();
    path.attach(second);
    await tick(20);
    assert.deepEqual(log, ["sent 7"]);
    const results = received(second);
    assert.equal(results.length, 1);
    assert.deepEqual(results[0].kind === "message" && results[0].data, big);
  });

  it("keeps the queue across a detach and sends it on the next channel", async () => {
    const { path, log } = recorded();
    path.enqueue({ id: 1, module: "m", data: "waits" });
    path.flush(); // no channel yet: nothing happens
    const channel = new FakeChannel();
    path.attach(channel);
    await tick();
    assert.deepEqual(log, ["sent 1"]);
  });

  it("closes gracefully after a full queue: every message first, then the close message", async () => {
    const { path, log } = recorded();
    const channel = new FakeChannel();
    path.attach(channel);
    for (let id = 1; id <= 50; id++) path.enqueue({ id, module: "m", data: `m${id}` });
    const closed = path.closeGracefully(1_000);
    await tick(10);
    channel.readyState = "closed"; // the peer closed on the close message
    await closed;
    assert.equal(log.length, 50);
    assert.ok(log.every((l, i) => l === `sent ${i + 1}`));
    const results = received(channel);
    assert.equal(results.length, 51);
    const last = results.at(-1);
    assert.equal(last?.kind === "message" && last.module, "\u0000close");
    const peer = recorded();
    peer.path.attach(channel);
    for (const frame of channel.sent) peer.path.receive(frame.buffer);
    assert.equal(peer.log.at(-1), "closed by peer");
  });

  it("gives up a graceful close after its time when the peer never closes", async () => {
    const { path } = recorded();
    const channel = new FakeChannel();
    path.attach(channel);
    const started = Date.now();
    await path.closeGracefully(30);
    assert.ok(Date.now() - started >= 25);
  });

  it("reports a channel that refuses a frame as broken", async () => {
    const { path, log } = recorded();
    const channel = new FakeChannel();
    channel.send = () => {
      throw new Error("boom");
    };
    path.attach(channel);
    path.enqueue({ id: 1, module: "m", data: "x" });
    path.flush();
    await tick();
    assert.deepEqual(log, ["broken the data channel refused a frame: boom"]);
    assert.equal(path.queued, 1, "the message stays until the owner fails it");
  });

  it("refuses text frames and data before any channel", () => {
    const { path, log } = recorded();
    path.receive(new Uint8Array([1, 2, 3]));
    path.attach(new FakeChannel());
    path.receive("text");
    assert.deepEqual(log, ["error bad-frame", "error bad-frame"]);
  });
});

describe("data path frame size", () => {
  it("sends frames as large as the peer accepts, and they reassemble", async () => {
    const { path, log } = recorded();
    const channel = new FakeChannel();
    path.attach(channel, MAX_FRAME_BYTES);
    const big = crypto.getRandomValues(new Uint8Array(64 * 1024));
    path.enqueue({ id: 1, module: "m", data: big });
    path.flush();
    await tick();
    assert.deepEqual(log, ["sent 1"]);
    assert.equal(channel.sent.length, 1, "a 64 KiB message in one frame");
    const [result] = received(channel);
    assert.deepEqual(result.kind === "message" && result.data, big);
  });

  it("reads the peer's limit from its SDP (RFC 8841 defaults)", () => {
    assert.equal(maxMessageSize("v=0\r\na=max-message-size:262144\r\n"), 262144);
    assert.equal(maxMessageSize("v=0\r\n"), 64 * 1024, "absent: 64 KiB");
    assert.equal(maxMessageSize("a=max-message-size:0\r\n"), Infinity, "0: no limit");
    assert.equal(maxMessageSize("a=max-message-size:1000\r\n"), FRAME_BYTES, "never below 16 KiB");
  });
});

describe("data path refusals", () => {
  it("tells the sender which of its messages was refused, and how many per second", async () => {
    const small = recorded({ maxMessageBytes: 1000 });
    const big = recorded();
    const toSmall = new FakeChannel();
    const toBig = new FakeChannel();
    big.path.attach(toSmall);
    small.path.attach(toBig);
    for (let id = 1; id <= 3; id++) {
      big.path.enqueue({ id, module: "m", data: "x".repeat(id * 600) });
    }
    big.path.flush();
    await tick();
    for (const frame of toSmall.sent.splice(0)) small.path.receive(frame.slice().buffer);
    assert.deepEqual(small.log, [
      "message m xxxxxxxxxxxxxxxxxxxx",
      "error message-too-large",
      "error message-too-large",
    ]);
    await tick();
    for (const frame of toBig.sent.splice(0)) big.path.receive(frame.slice().buffer);
    const refusals = big.log.filter((line) => line.startsWith("refused"));
    assert.equal(refusals.length, 2);
    assert.match(refusals[0], /^refused 2 message-too-large .*1200 bytes.*1000/);
    assert.match(refusals[1], /^refused 3 message-too-large/);

    // a flood of bad messages: at most REFUSALS_PER_SECOND refusals go back
    for (let id = 4; id < 40; id++) big.path.enqueue({ id, module: "m", data: "y".repeat(1001) });
    big.path.flush();
    await tick();
    for (const frame of toSmall.sent.splice(0)) small.path.receive(frame.slice().buffer);
    await tick();
    const back = received(toBig).filter((r) => r.kind === "message");
    assert.ok(back.length <= REFUSALS_PER_SECOND, `${back.length} refusals sent`);
  });

  it("reports an unknown control message or a malformed refusal, refuses it by its id, and hands neither on", async () => {
    const { path, log } = recorded();
    const channel = new FakeChannel();
    path.attach(channel);
    const frames = [
      ...encodeMessage(1, { module: "\u0000hello", data: "?" }),
      ...encodeMessage(2, { module: "\u0000refused", data: "{not json" }),
      ...encodeMessage(3, {
        module: "\u0000refused",
        data: '{"id":1,"code":"other","message":""}',
      }),
    ];
    for (const frame of frames) path.receive(frame.slice().buffer);
    assert.deepEqual(log, ["error bad-frame", "error bad-frame", "error bad-frame"]);
    await tick();
    const refusals = received(channel).flatMap((r) =>
      r.kind === "message" && r.module === "\u0000refused" ? [JSON.parse(String(r.data))] : []
    );
    assert.deepEqual(refusals.map((r) => [r.id, r.code]), [
      [1, "bad-frame"],
      [2, "bad-frame"],
      [3, "bad-frame"],
    ]);
  });
});

describe("data path, frames of no use", () => {
  const beat = () => [...encodeMessage(1, { module: "\u0000beat", data: new Uint8Array(0) })][0];
  const junk = (i: number) =>
    [
      beat(),
      new Uint8Array([9, 9, 9]), // no frame at all
      [...encodeMessage(2, { module: "\u0000what", data: "?" })][0], // an unknown control message
    ][i % 3];

  it("reports exactly its budget of malformed frames, then drops them unreported", () => {
    const { path, log } = recorded();
    path.attach(new FakeChannel());
    const bad = new Uint8Array([9, 9, 9]);
    for (let i = 0; i < WASTE_BURST; i++) path.receive(bad.slice().buffer);
    assert.equal(log.length, WASTE_BURST, "each of the burst reported");
    path.receive(bad.slice().buffer);
    assert.equal(log.length, WASTE_BURST, "one beyond: dropped with no report");
  });

  it("drops a peer that keeps at it, once, whatever kind of frame it sends", () => {
    const clock = { now: 0 };
    const { path, log } = recorded({ now: () => clock.now, livenessTimeoutMs: 0 });
    path.attach(new FakeChannel());
    // every kind of useless frame is charged to one budget: a burst reported, one unreported
    for (let i = 0; i < 2 * WASTE_BURST; i++) path.receive(junk(i).slice().buffer);
    assert.ok(!log.some((line) => line.startsWith("broken")), "not yet: exactly both bursts");
    path.receive(beat().slice().buffer);
    const broken = log.filter((line) => line.startsWith("broken"));
    assert.equal(broken.length, 1);
    assert.match(broken[0], /frames of no use .* faster than 100 a second \(bursts of 400\)/);
    for (let i = 0; i < 1000; i++) path.receive(beat().slice().buffer);
    assert.equal(log.filter((line) => line.startsWith("broken")).length, 1, "said once");
  });

  it("drops a peer over twice WASTE_PER_SECOND for long, not one at it (simulated clock)", () => {
    for (const [perSecond, dropped] of [[2 * WASTE_PER_SECOND, false], [110, true]] as const) {
      const clock = { now: 0 };
      const { path, log } = recorded({ now: () => clock.now, livenessTimeoutMs: 0 });
      path.attach(new FakeChannel());
      let frames = 0;
      for (; frames < 600 * perSecond; frames++) {
        clock.now = Math.floor(frames * 1000 / perSecond);
        path.receive(beat().slice().buffer);
        if (log.some((line) => line.startsWith("broken"))) break;
      }
      const reported = log.filter((line) => line.startsWith("error")).length;
      assert.equal(reported, 0, "heartbeats are not reported, only counted");
      assert.equal(log.some((line) => line.startsWith("broken")), dropped, `${perSecond} a second`);
      // 110 a second empties the reported burst in 200 / 60 s, then the one beyond in 200 / 10
      if (dropped) assert.ok(Math.abs(frames / perSecond - (200 / 60 + 200 / 10)) < 1, `${frames}`);
    }
  });

  it("charges nothing for messages: a peer may send as many as it likes", () => {
    const { path, log } = recorded();
    path.attach(new FakeChannel());
    for (let id = 1; id <= 5_000; id++) {
      for (const frame of encodeMessage(id, { module: "m", data: "x" })) {
        path.receive(frame.slice().buffer);
      }
    }
    assert.equal(log.filter((line) => line.startsWith("message")).length, 5_000);
    assert.ok(!log.some((line) => line.startsWith("broken")));
  });
});

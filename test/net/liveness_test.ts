import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { Liveness } from "../../net/liveness.ts";
import { DataPath } from "../../net/data_path.ts";
import { FakeChannel } from "../support/fake_channel.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A watch with `timeoutMs` that records its beats and silences. */
function watched(timeoutMs: number) {
  const log = { beats: 0, silent: [] as number[] };
  const liveness = new Liveness(timeoutMs, {
    beat: () => log.beats++,
    silent: (ms) => log.silent.push(ms),
  });
  return { liveness, log };
}

describe("liveness watch", { timeout: 10_000 }, () => {
  it("beats while idle and declares the peer gone after the timeout of silence", async () => {
    const { liveness, log } = watched(250);
    liveness.start();
    await sleep(200);
    assert.ok(log.beats >= 1, `${log.beats} heartbeats in 200 ms with a 50 ms tick`);
    assert.deepEqual(log.silent, []);
    while (log.silent.length === 0) await sleep(10); // the test's timeout bounds this
    assert.equal(log.silent.length, 1, "declared gone once");
    assert.ok(log.silent[0] >= 250 && log.silent[0] < 600, `after ${log.silent[0]} ms`);
    const beats = log.beats;
    await sleep(150);
    assert.equal(log.beats, beats, "the watch stopped");
  });

  it("stays quiet while it hears the peer and sends", async () => {
    const { liveness, log } = watched(250);
    liveness.start();
    for (let i = 0; i < 20; i++) {
      liveness.heard();
      liveness.sent();
      await sleep(20);
    }
    liveness.stop();
    assert.deepEqual(log, { beats: 0, silent: [] });
  });

  it("never fires with a timeout of 0, nor after stop", async () => {
    const off = watched(0);
    off.liveness.start();
    const stopped = watched(100);
    stopped.liveness.start();
    stopped.liveness.stop();
    await sleep(250);
    assert.deepEqual([off.log, stopped.log], [{ beats: 0, silent: [] }, { beats: 0, silent: [] }]);
  });
});

describe("liveness of two data paths (fake channels)", { timeout: 10_000 }, () => {
  /** Two data paths wired to each other; `cut()` stops b's frames from reaching a. */
  function pair(timeoutMs: number) {
    const broken: string[] = [];
    const events = (name: string) => ({
      sent: () => {},
      failed: () => {},
      message: () => {},
      error: () => {},
      refusedByPeer: () => {},
      closedByPeer: () => {},
      overlay: () => {},
      broken: (reason: string) => broken.push(`${name}: ${reason}`),
    });
    const a = new DataPath({ livenessTimeoutMs: timeoutMs }, events("a"));
    const b = new DataPath({ livenessTimeoutMs: timeoutMs }, events("b"));
    const toB = new FakeChannel();
    const toA = new FakeChannel();
    toB.deliver = (data) => b.receive(data);
    toA.deliver = (data) => a.receive(data);
    a.attach(toB);
    b.attach(toA);
    return { a, b, broken, toA, toB, cut: () => toA.deliver = undefined };
  }

  it("keeps an idle connection alive with heartbeats, and notices a silent peer", async () => {
    const { a, b, broken, toA, cut } = pair(300);
    try {
      await sleep(700);
      assert.deepEqual(broken, [], "idle but alive: heartbeats both ways");
      assert.ok(toA.sent.length >= 3, `b sent ${toA.sent.length} heartbeats`);
      assert.ok(toA.sent.every((frame) => frame.length === 20), "a heartbeat is one 20-byte frame");
      cut();
      const cutAt = Date.now();
      while (broken.length === 0 && Date.now() - cutAt < 2000) await sleep(10);
      const noticed = Date.now() - cutAt;
      assert.equal(broken.length, 1, `only a noticed: ${broken}`);
      assert.match(broken[0], /^a: nothing heard from the peer for \d+ ms/);
      assert.ok(noticed >= 250 && noticed < 1500, `noticed after ${noticed} ms`);
    } finally {
      a.detach();
      b.detach();
    }
  });
});

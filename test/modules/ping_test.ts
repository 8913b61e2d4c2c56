import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { U256 } from "../../core/ids.ts";
import { PingLogic } from "../../modules/ping/logic.ts";
import { captureLogs } from "../support/log_capture.ts";
import { overlay } from "../../testing/overlay.ts";

describe("ping logic", () => {
  it("pings on the interval, answers pings, and measures round-trip times", () => {
    let clock = 1000;
    const logic = new PingLogic({ intervalTicks: 2, timeoutTicks: 10 }, () => clock);
    const peer = U256.random();
    logic.handle({ type: "neighbours", ids: [peer] });
    const first = logic.handle({ type: "tick", tick: 1 });
    const ping = first.find((o) => o.type === "send")!;
    assert.equal(ping.type === "send" && JSON.parse(ping.data).t, "ping");
    assert.equal(
      logic.handle({ type: "tick", tick: 2 }).filter((o) => o.type === "send").length,
      0,
    );
    assert.equal(
      logic.handle({ type: "tick", tick: 3 }).filter((o) => o.type === "send").length,
      1,
    );
    clock += 42;
    const nonce = ping.type === "send" ? JSON.parse(ping.data).n : 0;
    const rtt = logic.handle({
      type: "message",
      from: peer,
      data: JSON.stringify({ t: "pong", n: nonce }),
    });
    assert.deepEqual(rtt.find((o) => o.type === "rtt"), { type: "rtt", id: peer, ms: 42 });
    assert.deepEqual(logic.state[peer], { sent: 2, received: 1, rttMs: 42 });
    const answer = logic.handle({ type: "message", from: peer, data: '{"t":"ping","n":7}' });
    assert.deepEqual(answer[0], { type: "send", to: peer, data: '{"t":"pong","n":7}' });
  });

  it("warns about an unreadable message, and still counts it as a sign of life", async () => {
    const logic = new PingLogic({ intervalTicks: 1, timeoutTicks: 2 });
    const peer = U256.random();
    logic.handle({ type: "neighbours", ids: [peer] });
    logic.handle({ type: "tick", tick: 1 });
    const lines = await captureLogs(() => {
      logic.handle({ type: "message", from: peer, data: "garbage" });
    }, "warn");
    assert.match(String(lines[0]?.args[0]), /ignored an unreadable ping message/);
    const failed = logic.handle({ type: "tick", tick: 2 }).filter((o) => o.type === "failed");
    assert.deepEqual(failed, [], "it spoke at tick 1, so it is not silent yet");
  });

  it("keeps the counters of a neighbour that stays, forgets one that goes", () => {
    const logic = new PingLogic({ intervalTicks: 1, timeoutTicks: 100 });
    const [stays, goes, comes] = [U256.random(), U256.random(), U256.random()];
    logic.handle({ type: "neighbours", ids: [stays, goes] });
    logic.handle({ type: "tick", tick: 1 });
    const changed = logic.handle({ type: "neighbours", ids: [stays, comes] });
    assert.deepEqual(changed, [{
      type: "state",
      state: { [stays]: { sent: 1, received: 0 }, [comes]: { sent: 0, received: 0 } },
    }]);
  });

  it("counts pings that never left, only for neighbours, in the state", () => {
    const logic = new PingLogic({ intervalTicks: 1, timeoutTicks: 100 });
    const peer = U256.random();
    logic.handle({ type: "neighbours", ids: [peer] });
    assert.deepEqual(logic.state[peer], { sent: 0, received: 0 }, "no rttMs, no undelivered");
    const out = logic.handle({ type: "send-failed", to: peer, code: "peer-gone", message: "gone" });
    assert.deepEqual(out, [{
      type: "state",
      state: { [peer]: { sent: 0, received: 0, undelivered: 1 } },
    }]);
    logic.handle({ type: "send-failed", to: peer, code: "peer-gone", message: "gone" });
    assert.equal(logic.state[peer].undelivered, 2);
    const stranger = logic.handle({
      type: "send-failed",
      to: U256.random(),
      code: "peer-gone",
      message: "gone",
    });
    assert.deepEqual(Object.keys(stranger[0].type === "state" ? stranger[0].state : {}), [peer]);
  });

  it("says nothing for a message that changes nothing, and takes strangers' without harm", async () => {
    let clock = 0;
    const logic = new PingLogic({ intervalTicks: 1, timeoutTicks: 100 }, () => clock);
    const [peer, stranger] = [U256.random(), U256.random()];
    logic.handle({ type: "neighbours", ids: [peer] });
    const [ping] = logic.handle({ type: "tick", tick: 1 });
    const nonce = ping.type === "send" ? JSON.parse(ping.data).n : undefined;
    assert.equal(nonce, 1, "nonces count up from 1");
    const quiet = await captureLogs(() => {
      // a pong for a nonce never sent, and one from a node that is no neighbour: no output, no
      // warning (late pongs are normal)
      assert.deepEqual(
        logic.handle({ type: "message", from: peer, data: '{"t":"pong","n":99}' }),
        [],
      );
      assert.deepEqual(
        logic.handle({ type: "message", from: stranger, data: `{"t":"pong","n":${nonce}}` }),
        [],
      );
    }, "warn");
    assert.deepEqual(quiet, []);
    // a stranger's ping is answered (it may be a neighbour the network has not reported yet)
    const answer = logic.handle({ type: "message", from: stranger, data: '{"t":"ping","n":5}' });
    assert.deepEqual(answer[0], { type: "send", to: stranger, data: '{"t":"pong","n":5}' });
    clock = 7;
    const pong = logic.handle({ type: "message", from: peer, data: `{"t":"pong","n":${nonce}}` });
    assert.deepEqual(pong.map((o) => o.type), ["rtt", "state"]);
    assert.deepEqual(logic.state[peer], { sent: 1, received: 1, rttMs: 7 });
  });

  it("waits for at most 8 pongs per neighbour: the oldest unanswered ping is forgotten", () => {
    let clock = 0;
    const logic = new PingLogic({ intervalTicks: 1, timeoutTicks: 100 }, () => clock);
    const peer = U256.random();
    logic.handle({ type: "neighbours", ids: [peer] });
    const nonces: number[] = [];
    for (let tick = 1; tick <= 9; tick++) {
      for (const out of logic.handle({ type: "tick", tick })) {
        if (out.type === "send") nonces.push(JSON.parse(out.data).n);
      }
    }
    assert.deepEqual(nonces, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    clock = 100;
    const answered = (n: number) =>
      logic.handle({ type: "message", from: peer, data: `{"t":"pong","n":${n}}` })
        .some((o) => o.type === "rtt");
    assert.equal(answered(1), false, "the ninth ping pushed the first out");
    assert.equal(answered(2), true, "the eight after it are still awaited");
    assert.equal(answered(9), true);
  });

  it("reports a neighbour failed exactly timeoutTicks after it was last heard", () => {
    const logic = new PingLogic({ intervalTicks: 100, timeoutTicks: 3 });
    const peer = U256.random();
    logic.handle({ type: "neighbours", ids: [peer] });
    const failedAt = [1, 2, 3].filter((tick) =>
      logic.handle({ type: "tick", tick }).some((o) => o.type === "failed")
    );
    assert.deepEqual(failedAt, [3]);
  });

  it("reports a silent neighbour once, after the timeout", () => {
    const logic = new PingLogic({ intervalTicks: 1, timeoutTicks: 3 });
    const peer = U256.random();
    logic.handle({ type: "neighbours", ids: [peer] });
    const failed = [1, 2, 3, 4, 5].flatMap((tick) =>
      logic.handle({ type: "tick", tick }).filter((o) => o.type === "failed")
    );
    assert.deepEqual(failed, [{ type: "failed", id: peer }]);
  });
});

describe("ping on a simulated network", { timeout: 120_000 }, () => {
  it("reports a hung node failed after the timeout, and random connections replace it", async () => {
    const world = overlay({ seed: 5, ping: { intervalTicks: 2, timeoutTicks: 6 } });
    for (let i = 0; i < 100; i++) await world.join();
    for (let tick = 0; tick < 5; tick++) await world.step();
    const [hung] = world.nodes.keys();
    const neighbours = [...world.nodes.values()].filter((n) =>
      n.randomState!.connected.includes(hung)
    );
    assert.ok(neighbours.length > 0);
    world.sim.mute(hung);
    for (let tick = 0; tick < 8; tick++) await world.step();
    for (const n of neighbours) {
      assert.ok(n.failed.includes(hung), `${n.id.slice(0, 6)} reported the hung node`);
      assert.ok(
        !n.randomState!.connected.includes(hung) || n.randomState!.connecting.includes(hung),
      );
      assert.ok(n.randomState!.connected.length >= Math.min(3, n.randomState!.target), "replaced");
    }
    world.leave(hung);
    assert.ok(world.sim.connected(), "the others still form one graph");
  });
});

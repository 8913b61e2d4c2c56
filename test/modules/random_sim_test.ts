import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NodeID } from "../../core/ids.ts";
import { seededRandom } from "../../core/random.ts";
import { SimulatedTimer } from "../../core/timer.ts";
import { targetDegree } from "../../modules/random/logic.ts";
import type { RandomState } from "../../modules/random/messages.ts";
import {
  linkRandomToNetwork,
  linkRandomToTimer,
  startRandom,
} from "../../modules/random/module.ts";
import { NetworkSim, simInfo } from "../support/network_sim.ts";

/** N nodes running random connections on a simulated network, one shared timer. */
function overlay(n: number, seed = 1) {
  const timer = new SimulatedTimer();
  const sim = new NetworkSim({ rng: seededRandom(seed), settle: () => timer.broker.settle() });
  const states = new Map<NodeID, RandomState>();
  const join = () => {
    const info = simInfo();
    const id = info.pubkey as NodeID;
    const random = startRandom(id, {}, seededRandom(seed + states.size + 1));
    random.tapOut((out) => {
      if (out.type === "state") states.set(id, out.state);
    });
    linkRandomToNetwork(random, sim.join(info));
    linkRandomToTimer(timer.broker, random);
  };
  for (let i = 0; i < n; i++) join();
  /** One tick, then rounds until nothing is in flight. */
  const step = async () => {
    await timer.tick();
    for (let i = 0; i < 20 && sim.pending > 0; i++) await sim.round();
  };
  return { sim, states, step };
}

function degreesInBand(sim: NetworkSim, states: Map<NodeID, RandomState>): string[] {
  const problems: string[] = [];
  const others = sim.ids().length - 1;
  for (const id of sim.ids()) {
    const degree = sim.peersOf(id).length;
    const target = states.get(id)!.target;
    const low = Math.min(target, others);
    if (degree < low || degree > 2 * target) {
      problems.push(`${id.slice(0, 6)}: degree ${degree}, target ${target}`);
    }
  }
  return problems;
}

describe("random connections on a simulated network", () => {
  it("aims for a degree that grows like log N with a minimum", () => {
    assert.deepEqual([0, 1, 2, 5, 10, 100, 1000].map((n) => targetDegree(n)), [
      0,
      1,
      2,
      4,
      5,
      10,
      14,
    ]);
  });

  for (const n of [2, 3, 10, 100, 1000]) {
    it(
      `connects all ${n} nodes into one graph with degrees in the band`,
      { timeout: 120_000 },
      async () => {
        const { sim, states, step } = overlay(n);
        for (let tick = 0; tick < 5; tick++) await step();
        assert.ok(sim.connected(), "one connected graph");
        assert.deepEqual(degreesInBand(sim, states), []);
      },
    );
  }

  it("stays connected after 20% of 1,000 nodes leave", { timeout: 120_000 }, async () => {
    const { sim, states, step } = overlay(1000, 7);
    for (let tick = 0; tick < 5; tick++) await step();
    const leaving = sim.ids().slice(0, 200);
    for (const id of leaving) {
      sim.leave(id);
      states.delete(id);
    }
    for (let tick = 0; tick < 5; tick++) await step();
    assert.equal(sim.ids().length, 800);
    assert.ok(sim.connected(), "one connected graph after the departures");
    assert.deepEqual(degreesInBand(sim, states), []);
  });
});

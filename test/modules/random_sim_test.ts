import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import type { NodeID } from "../../core/ids.ts";
import { targetDegree } from "../../modules/random/logic.ts";
import type { RandomState } from "../../modules/random/messages.ts";
import type { NetworkSim } from "../../testing/network_sim.ts";
import { overlay } from "../../testing/overlay.ts";

/** N nodes running random connections on a simulated network. */
async function randomOverlay(n: number, seed = 1) {
  const world = overlay({ seed });
  for (let i = 0; i < n; i++) await world.join();
  const states = () => new Map([...world.nodes].map(([id, node]) => [id, node.randomState!]));
  return { ...world, states };
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
        const { sim, states, step } = await randomOverlay(n);
        for (let tick = 0; tick < 5; tick++) await step();
        assert.ok(sim.connected(), "one connected graph");
        assert.deepEqual(degreesInBand(sim, states()), []);
      },
    );
  }

  it("stays connected after 20% of 1,000 nodes leave", { timeout: 120_000 }, async () => {
    const { sim, states, step, leave } = await randomOverlay(1000, 7);
    for (let tick = 0; tick < 5; tick++) await step();
    for (const id of sim.ids().slice(0, 200)) leave(id);
    for (let tick = 0; tick < 5; tick++) await step();
    assert.equal(sim.ids().length, 800);
    assert.ok(sim.connected(), "one connected graph after the departures");
    assert.deepEqual(degreesInBand(sim, states()), []);
  });
});

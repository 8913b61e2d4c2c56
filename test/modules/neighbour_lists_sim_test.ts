import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { CATEGORIES } from "../../modules/gossip/event.ts";
import { type NeighbourList, neighbourList } from "../../modules/gossip/neighbour_list.ts";
import type { GossipBroker } from "../../modules/gossip/module.ts";
import { overlay } from "../../testing/overlay.ts";

/** The neighbour lists `gossip` keeps, by node. */
async function listsOf(gossip: GossipBroker): Promise<Map<string, NeighbourList>> {
  const reply = gossip.channelOut();
  await gossip.emitIn({ type: "list", category: CATEGORIES.neighbours });
  try {
    for (;;) {
      const out = await reply.recv();
      if (out.type !== "events") continue;
      const lists = out.events.flatMap((event) => neighbourList(event) ?? []);
      return new Map(lists.map((list) => [list.node, list]));
    }
  } finally {
    reply.close();
  }
}

describe("neighbour lists over gossip, simulated", { timeout: 120_000 }, () => {
  it("give every node a true map of the whole overlay, with how each link was set up", async () => {
    const world = overlay({
      seed: 5,
      gossip: true,
      random: { churnTicks: 0 },
      neighbourListTicks: 30,
    });
    for (let i = 0; i < 40; i++) await world.join(await NodeConfig.create());
    for (let tick = 0; tick < 60; tick++) await world.step();
    await world.drain();
    const nodes = [...world.nodes.values()];
    for (const node of nodes) {
      const lists = await listsOf(node.gossip!);
      assert.equal(lists.size, nodes.length, "a list of every node, its own included");
      for (const other of nodes) {
        const list = lists.get(other.id)!;
        assert.deepEqual(
          list.neighbours.map((link) => link.id).sort(),
          [...other.randomState!.connected].sort(),
          "each list is its node's connections",
        );
        assert.ok(list.neighbours.every((link) => link.via === "server" || link.via === "overlay"));
      }
    }
  });

  it("go out at most once per period however often the neighbours change, and not unasked", async () => {
    const world = overlay({
      seed: 6,
      gossip: true,
      random: { churnTicks: 1 },
      neighbourListTicks: 10,
    });
    const watched = await world.join(await NodeConfig.create());
    for (let i = 0; i < 29; i++) await world.join(await NodeConfig.create());
    const published: number[] = [];
    let tick = 0;
    watched.gossip!.tapOut((out) => {
      if (out.type === "new-event" && out.event.category === CATEGORIES.neighbours) {
        if (out.event.author === watched.id) published.push(tick);
      }
    });
    for (tick = 1; tick <= 60; tick++) await world.step();
    assert.ok(published.length >= 3, `published ${published.length} lists in 60 ticks`);
    const gaps = published.slice(1).map((at, i) => at - published[i]);
    assert.ok(gaps.every((gap) => gap >= 10), `gaps ${gaps}`);

    const quiet = overlay({ seed: 6, gossip: true }); // the default: no lists
    const nodes = [];
    for (let i = 0; i < 10; i++) nodes.push(await quiet.join(await NodeConfig.create()));
    for (let tick = 0; tick < 40; tick++) await quiet.step();
    for (const node of nodes) {
      assert.ok(node.randomState!.connected.length > 0);
      assert.equal((await listsOf(node.gossip!)).size, 0);
    }
  });
});

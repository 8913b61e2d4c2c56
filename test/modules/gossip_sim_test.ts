import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { createEvent } from "../../modules/gossip/event.ts";
import { overlay } from "../../testing/overlay.ts";

describe("gossip on a simulated network of 1,000 nodes", { timeout: 300_000 }, () => {
  it("spreads an event to every node, drops forgeries everywhere, and catches up late joiners", async () => {
    const world = overlay({ seed: 3, gossip: true });
    const author = await NodeConfig.create({ name: "author" });
    const forger = await NodeConfig.create({ name: "forger" });
    const origin = await world.join(author);
    const bad = await world.join(forger);
    for (let i = 0; i < 998; i++) await world.join();
    for (let tick = 0; tick < 5; tick++) await world.step();
    assert.ok(world.sim.connected());

    const before = { ...world.sim.traffic };
    await origin.gossip!.emitIn({ type: "add", category: "chat", payload: "hello, everyone" });
    const eventId = [...origin.seen][0];
    const rounds = await world.drain();
    const messages = world.sim.traffic.messages - before.messages;
    const bytes = world.sim.traffic.bytes - before.bytes;
    const missing = [...world.nodes.values()].filter((n) => !n.seen.has(eventId));
    assert.equal(missing.length, 0, `${missing.length} nodes did not get the event`);
    assert.ok(rounds <= 30, `took ${rounds} rounds`);
    assert.ok(bytes / 1000 < 20_000, `${bytes / 1000} bytes per node`);
    // deno-lint-ignore no-console
    console.log(
      `gossip, 1,000 nodes: ${rounds} rounds, ${(messages / 1000).toFixed(1)} messages and ` +
        `${Math.round(bytes / 1000)} bytes per node for one event`,
    );

    // A forgery: signed by the forger but claiming the author; its neighbours must refuse it.
    const genuine = await createEvent(forger, "chat", "I am the author", Date.now());
    const forged = { ...genuine, author: author.id };
    for (const neighbour of bad.randomState!.connected) {
      // straight into its network broker, as a hostile node's own code would (id 0: no one waits)
      await bad.network.emitIn({
        type: "send",
        to: neighbour,
        module: "gossip",
        id: 0,
        data: JSON.stringify({ t: "events", events: [forged] }),
      });
    }
    await world.drain();
    const refusing = bad.randomState!.connected.map((id) => world.nodes.get(id)!);
    assert.ok(refusing.every((n) => n.gossipState!.forged === 1), "each neighbour counted it");
    assert.ok([...world.nodes.values()].every((n) => !n.seen.has(forged.id)), "nobody kept it");

    // Late joiners get what they missed from their first neighbours.
    const late = await Promise.all(Array.from({ length: 20 }, () => world.join()));
    for (let tick = 0; tick < 5; tick++) await world.step();
    assert.deepEqual(late.filter((n) => !n.seen.has(eventId)).map((n) => n.id), []);
  });

  it("still reaches every node with 10% of messages lost and delays of 1-4 rounds", async () => {
    const world = overlay({ seed: 11, gossip: true, loss: 0.1, maxDelayRounds: 4 });
    const origin = await world.join(await NodeConfig.create({ name: "author" }));
    for (let i = 0; i < 299; i++) await world.join();
    for (let tick = 0; tick < 5; tick++) await world.step();
    await origin.gossip!.emitIn({ type: "add", category: "chat", payload: "despite the losses" });
    const id = [...origin.seen][0];
    let ticks = 0;
    while ([...world.nodes.values()].some((n) => !n.seen.has(id)) && ticks < 200) {
      await world.step(); // anti-entropy on its ticks repairs what the losses broke
      ticks++;
    }
    const missing = [...world.nodes.values()].filter((n) => !n.seen.has(id)).length;
    assert.equal(missing, 0, `${missing} nodes still lack the event after ${ticks} ticks`);
  });
});

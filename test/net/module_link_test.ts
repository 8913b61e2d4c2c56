import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../../core/broker.ts";
import type { NodeID } from "../../core/ids.ts";
import { MemoryStorage } from "../../core/storage.ts";
import { SimulatedTimer } from "../../core/timer.ts";
import { NetworkError } from "../../net/api.ts";
import { linkModule, type ModuleLinkIn } from "../../net/module_link.ts";
import { Node } from "../../node/node.ts";
import { NetworkSim } from "../../testing/network_sim.ts";

type Out = { type: "send"; to: NodeID; data: string };

/** A module that records what it is handed. */
function recorder(name: string) {
  const seen: ModuleLinkIn[] = [];
  const module = new Broker<ModuleLinkIn, Out>(name);
  module.addHandler({
    messages: (batch) => {
      seen.push(...batch);
      return [];
    },
  });
  return { module, seen };
}

async function deliver(sim: NetworkSim) {
  while (sim.pending > 0) await sim.round();
}

describe("module link (simulated network)", () => {
  it("hands a module only the messages tagged with its name", async () => {
    const sim = new NetworkSim();
    const a = sim.join();
    const b = sim.join();
    const [, bId] = sim.ids();
    const chat = recorder("chat");
    const other = recorder("other");
    linkModule(chat.module, b, "chat", (out) => out, (msg) => msg);
    linkModule(other.module, b, "other", (out) => out, (msg) => msg);
    await a.registrar.register("chat", () => {}).send(bId, "for chat");
    await deliver(sim);
    assert.deepEqual(chat.seen.map((m) => m.type === "message" && m.data), ["for chat"]);
    assert.deepEqual(other.seen, []);
  });

  it("tells a module that its message was not delivered, and to whom", async () => {
    const sim = new NetworkSim();
    const a = sim.join();
    const b = sim.join();
    const [, bId] = sim.ids();
    const { module, seen } = recorder("m");
    linkModule(module, a, "m", (out) => out, (msg) => msg, { connect: false });
    await module.emitOut({ type: "send", to: bId, data: "x" }); // no connection yet
    await deliver(sim);
    assert.equal(seen.length, 1);
    const failed = seen[0];
    assert.equal(failed.type, "send-failed");
    assert.equal(failed.type === "send-failed" && failed.to, bId);
    assert.equal(failed.type === "send-failed" && failed.code, "not-connected");
    void b;
  });

  it("keeps the reports of a Network wrapped around a Node's network apart from the modules'", async () => {
    const sim = new NetworkSim();
    const timer = new SimulatedTimer();
    const nodes = await Promise.all([0, 1, 2].map(() =>
      Node.start({
        storage: new MemoryStorage(),
        timer,
        startNetwork: (config) => Promise.resolve(sim.join(config.info)),
      })
    ));
    for (let i = 0; i < 20; i++) {
      await timer.tick();
      await deliver(sim);
    }
    assert.ok(nodes[0].connectedNodes().length > 0, "the modules talk to each other");
    // Sends of the Network to nodes that do not exist all fail; the modules' sends (gossip,
    // ping), which succeed, must not resolve any of them, nor their failures reject others.
    const net = nodes[0].network;
    const nowhere = Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(64, "f"));
    const results = nowhere.map((to) => net.send(to, "lost").then(() => "sent", (e) => e));
    const good = net.send(nodes[1].id, "hello");
    for (let i = 0; i < 5; i++) {
      await timer.tick();
      await deliver(sim);
    }
    await good;
    for (const result of await Promise.all(results)) {
      assert.ok(result instanceof NetworkError, `a send to nowhere ${result}`);
      assert.equal(result.code, "no-route");
    }
    for (const node of nodes) await node.close();
  });
});

/**
 * Bare `Network`s beside full nodes, on the simulated network: the full nodes' random
 * connections never choose a node that does not announce the overlay's modules, a bare network
 * hears only what is sent to it, and a node that announces modules it does not run is refused
 * their messages, after which the full nodes stop choosing it.
 * @module
 */

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import type { NodeID } from "../../core/ids.ts";
import { MemoryStorage } from "../../core/storage.ts";
import { SimulatedTimer } from "../../core/timer.ts";
import { Network, type NetworkMessage } from "../../net/api.ts";
import type { NetworkError } from "../../net/errors.ts";
import { Node } from "../../node/node.ts";
import { NetworkSim, simInfo } from "../../testing/network_sim.ts";

describe("bare networks beside full nodes (simulated network)", () => {
  it("are never chosen as neighbours, hear only their own messages, and liars are refused", async () => {
    const timer = new SimulatedTimer();
    const sim = new NetworkSim({ settle: () => timer.broker.settle() });
    const full = await Promise.all(Array.from({ length: 12 }, () =>
      Node.start({
        storage: new MemoryStorage(),
        timer,
        startNetwork: (config) => Promise.resolve(sim.join(config.info)),
      })));
    const bare = (modules: string[]) => {
      const info = { ...simInfo("bare"), modules };
      const net = new Network(info.pubkey as NodeID, sim.join(info));
      const heard: NetworkMessage[] = [];
      net.onMessage((message) => heard.push(message));
      return { net, heard };
    };
    const [a, b] = [bare([]), bare([])];
    // announces what a full node runs, but runs none of it
    const liar = bare(["random", "gossip", "ping", "stat"]);
    const refusedToFull: NetworkError[] = [];
    for (const node of full) node.network.onError((error) => refusedToFull.push(error));
    // every connection a full node's modules ask for, and every node ping found unresponsive
    const asked = new Map<NodeID, number>();
    const unresponsive: NodeID[] = [];
    for (const node of full) {
      node.ping!.tapOut((out) => void (out.type === "failed" && unresponsive.push(out.id)));
      node.network.broker.tapIn((msg) => {
        if (msg.type === "connect") asked.set(msg.to, (asked.get(msg.to) ?? 0) + 1);
      });
    }
    const step = async (ticks: number) => {
      for (let t = 0; t < ticks; t++) {
        await timer.tick();
        while (sim.pending > 0) await sim.round();
      }
    };
    await step(5);
    // the bare networks talk to each other and to a full node, which answers
    await a.net.send(b.net.id, "hello b");
    await b.net.send(full[0].id, "hello full");
    const reply = full[0].network.recv().then((m) => full[0].network.send(m.from, "hi bare"));
    await step(1);
    await reply;
    await step(60);

    const reached = new Set([full[0].id]);
    for (const id of reached) {
      for (const next of full.find((n) => n.id === id)!.connectedNodes()) reached.add(next);
    }
    assert.deepEqual([...reached].sort(), full.map((n) => n.id).sort(), "one overlay of them all");
    assert.equal(asked.get(a.net.id), undefined, "no full node chose a");
    assert.equal(asked.get(b.net.id), undefined, "no full node chose b");
    for (const node of full) {
      const neighbours = node.connectedNodes();
      assert.ok(!neighbours.includes(a.net.id) && !neighbours.includes(b.net.id));
      assert.ok(!neighbours.includes(liar.net.id), "the liar is no neighbour any more");
    }
    assert.deepEqual(a.heard.map((m) => m.data), []);
    const who = (id: NodeID) => id === a.net.id ? "a" : id === full[0].id ? "full" : id;
    assert.deepEqual(b.heard.map((m) => `${who(m.from)}: ${m.data}`), [
      "a: hello b",
      "full: hi bare",
    ]);
    assert.deepEqual(liar.heard, [], "the overlay's messages never reach recv");
    // the full nodes that chose the liar had their module messages refused, once each or so
    const chose = asked.get(liar.net.id) ?? 0;
    assert.ok(chose >= 1, "the liar was chosen at first, as it announced");
    assert.ok(refusedToFull.some((e) => e.code === "unknown-module" && e.to === liar.net.id));
    assert.ok(chose <= full.length, `chosen ${chose} times by ${full.length} nodes`);
    assert.ok(
      !unresponsive.includes(liar.net.id),
      "forgotten at its first refusal, before ping could find it unresponsive",
    );
    for (const node of full) await node.close(100);
    for (const { net } of [a, b, liar]) await net.close(100);
  });
});

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { MemoryStorage } from "../../core/storage.ts";
import { SimulatedTimer } from "../../core/timer.ts";
import { Node, type NodeSnapshot } from "../../node/node.ts";
import { captureLogs } from "../support/log_capture.ts";
import type { NetworkError } from "../../net/errors.ts";
import { NetworkSim } from "../../testing/network_sim.ts";

/** A shared simulated timer and network, and a way to start Nodes on them. */
function simulated() {
  const timer = new SimulatedTimer();
  const sim = new NetworkSim({ settle: () => timer.broker.settle() });
  const start = () =>
    Node.start({
      storage: new MemoryStorage(),
      timer,
      startNetwork: (config) => Promise.resolve(sim.join(config.info)),
    });
  return { timer, sim, start };
}

describe("Node on a simulated network", () => {
  it("carries an application's own module messages with send and on", async () => {
    const { sim, start } = simulated();
    const [a, b] = [await start(), await start()];
    const events: string[] = [];
    b.onPeer((event) => events.push(`${event.type} ${event.id === a.id}`));
    const heard: string[] = [];
    const subscription = b.on("votes", (msg) => heard.push(`${msg.from === a.id} ${msg.data}`));
    const sent = a.send(b.id, "yes", "votes");
    while (sim.pending > 0) await sim.round();
    await sent;
    assert.deepEqual(heard, ["true yes"]);
    assert.deepEqual(events, ["connected true"], "b heard a connect");
    assert.deepEqual(b.peers(), [a.id]);
    subscription.remove();
    await a.send(b.id, "ignored now", "votes");
    while (sim.pending > 0) await sim.round();
    assert.deepEqual(heard, ["true yes"], "no handler after remove");
    await assert.rejects(a.send(b.id, "x", "gossip"), /"gossip" is taken on this node/);
    assert.throws(() => a.on("", () => {}), /"" is for recv\(\)/);
    assert.throws(() => a.on("ping", () => {}), /"ping" is taken on this node/);
    const again = a.on("votes", () => {});
    assert.throws(() => a.on("votes", () => {}), /has a handler on this node already/);
    again.remove();
    await assert.rejects(
      a.send("not-an-id", "x", "votes"),
      (e: Error) => e.name === "NetworkError",
    );
    await a.close(100);
    await b.close(100);
  });

  it("takes its modules off a shared timer when it closes", async () => {
    const { timer, start } = simulated();
    const [stays, leaves] = [await start(), await start()];
    const ticked = (node: Node) => {
      const seen: number[] = [];
      node.random!.tapIn((msg) => void (msg.type === "tick" && seen.push(msg.tick)));
      return seen;
    };
    const [staying, leaving] = [ticked(stays), ticked(leaves)];
    await timer.tick();
    await leaves.close(100);
    await timer.tick();
    await timer.tick();
    assert.equal(staying.length, 3, "the other node still ticks");
    assert.equal(leaving.length, 1, "the closed node's modules no longer tick (or stay in memory)");
    await stays.close(100);
  });

  it("runs its modules, keeps snapshots, builds a directory and shares chat", async () => {
    const timer = new SimulatedTimer();
    const sim = new NetworkSim({ settle: () => timer.broker.settle() });
    const storages = Array.from({ length: 5 }, () => new MemoryStorage());
    const start = (storage: MemoryStorage, name: string) =>
      Node.start({
        storage,
        timer,
        newConfig: { name },
        startNetwork: (config) => Promise.resolve(sim.join(config.info)),
      });
    const nodes = await Promise.all(storages.map((s, i) => start(s, `node${i}`)));
    const seen: NodeSnapshot[] = [];
    nodes[0].subscribe((snapshot) => seen.push(snapshot));
    const settle = async (ticks: number) => {
      for (let t = 0; t < ticks; t++) {
        await timer.tick();
        while (sim.pending > 0) await sim.round();
      }
    };
    await settle(10); // stat reports on its 10-tick interval
    assert.ok(sim.connected());
    assert.ok(nodes[0].connectedNodes().length >= 3);
    assert.ok(seen.length > 0 && seen.at(-1)!.random!.connected.length >= 3, "subscribers see it");
    assert.deepEqual(Object.keys(nodes[0].snapshot()).sort(), ["gossip", "ping", "random", "stat"]);

    const directory = await nodes[0].knownNodes();
    assert.deepEqual(directory.map((n) => n.name).sort(), ["node1", "node2", "node3", "node4"]);

    await nodes[2].sendChat("hello from node2");
    await settle(1);
    for (const node of nodes) {
      const history = await node.chatHistory();
      assert.deepEqual(history.map((m) => `${m.name}: ${m.text}`), ["node2: hello from node2"]);
    }

    // A message for a module the other node does not run is refused to its sender (whose
    // send had resolved: its onError hears it), and logged there.
    const refused: NetworkError[] = [];
    nodes[1].network.onError((error) => refused.push(error));
    const lines = await captureLogs(async () => {
      await nodes[1].send(nodes[1].connectedNodes()[0], "x", "nobody-runs-this");
      while (sim.pending > 0) await sim.round();
    }, "warn");
    assert.ok(
      lines.some((l) =>
        /module "nobody-runs-this", which this node does not run/.test(String(l.args[0]))
      ),
    );
    assert.deepEqual(refused.map((e) => e.code), ["unknown-module"]);

    // Restart node 3 from its storage: same identity, chat history kept.
    const id = nodes[3].id;
    await nodes[3].close();
    const again = await start(storages[3], "ignored");
    assert.equal(again.id, id);
    assert.deepEqual((await again.chatHistory()).map((m) => m.text), ["hello from node2"]);
  });
});

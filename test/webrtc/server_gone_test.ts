/**
 * The signalling server killed for good under 30 real nodes (node-datachannel, on a timer ten
 * times faster than the real one, as the real gossip bench runs): 24 nodes in one process (a
 * "swarm") and 6 in processes of their own, killed one every 2 s (20 s of module time) without
 * notice. The 24 left refill their degree with connections set up through the overlay, stay one
 * connected graph, and a chat message reaches every one of them.
 * @module
 */

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { until } from "../../harness/network.ts";
import { type PeerProcess, startPeer } from "../../harness/peer_process.ts";
import { startSignalProcess } from "../../harness/signal_process.ts";

/** One swarm node as its report gives it. */
interface Reported {
  id: string;
  peers: string[];
  setupVia: Record<string, string>;
  open: string[];
  chats: string[];
}

/** The swarm's report of its nodes. */
async function report(swarm: PeerProcess): Promise<Reported[]> {
  swarm.send({ report: true });
  for (;;) {
    const event = await swarm.next();
    if (event.event === "report") return event.nodes as Reported[];
  }
}

/** True when the nodes' connections among themselves form one graph. */
function oneGraph(nodes: Reported[]): boolean {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const seen = new Set([nodes[0].id]);
  const todo = [nodes[0]];
  while (todo.length > 0) {
    for (const peer of todo.pop()!.peers) {
      const next = byId.get(peer);
      if (next && !seen.has(peer)) {
        seen.add(peer);
        todo.push(next);
      }
    }
  }
  return seen.size === nodes.length;
}

describe("the signalling server gone for good", { timeout: 150_000 }, () => {
  it("30 real nodes keep one graph, refill through the overlay, and chat", async () => {
    const server = await startSignalProcess([]);
    const engine = ["--signal", server.url, "--engine", "node-datachannel"];
    const victims: PeerProcess[] = [];
    let swarm: PeerProcess | undefined;
    try {
      for (let i = 0; i < 6; i++) {
        victims.push(await startPeer("deno", [...engine, "--mode", "node", "--name", `v${i}`]));
      }
      swarm = await startPeer("deno", [...engine, "--mode", "swarm", "--count", "24"]);
      const live = swarm;
      await until(
        "every node has 3 connections",
        async () => (await report(live)).every((node) => node.peers.length >= 3),
        60_000,
      );
      await server.kill();
      // every connection there is, or is being set up, when the server dies: only those can
      // have been set up through it
      const before = new Set(
        (await report(live)).flatMap((node) =>
          Object.keys(node.setupVia).map((peer) => `${node.id}>${peer}`)
        ),
      );
      const victimIds = new Set(victims.map((victim) => victim.id));
      for (const victim of victims) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        victim.child.kill("SIGKILL");
      }
      // the victims' neighbours notice within the liveness timeout and fill their degree again
      let nodes: Reported[] = [];
      await until("the nodes left are one graph, none below 3 live neighbours", async () => {
        nodes = await report(live);
        return oneGraph(nodes) &&
          nodes.every((node) => node.peers.filter((id) => !victimIds.has(id)).length >= 3);
      }, 60_000);
      // the connections open now that were not there before (one the module still lists while
      // it closes, or while it is set up anew, is not among them)
      const made = nodes.flatMap((node) =>
        node.open.filter((peer) => !before.has(`${node.id}>${peer}`)).map((peer) => ({
          at: node.id.slice(0, 8),
          via: node.setupVia[peer],
        }))
      );
      assert.ok(made.length > 0, "the nodes made new connections");
      assert.deepEqual(made.filter((m) => m.via !== "overlay"), [], "all through the overlay");

      const text = "after the server and six nodes are gone";
      live.send({ chat: text, from: 5 });
      await until("every live node has the message", async () => {
        return (await report(live)).every((node) => node.chats.includes(text));
      }, 30_000);
    } finally {
      // killed, not closed: what is tested ends above, and tearing down a process full of
      // native connections is not part of it
      for (const peer of [...victims, swarm]) peer?.child.kill("SIGKILL");
      await server.kill();
    }
  });
});

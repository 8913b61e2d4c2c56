/**
 * Gossip in simulation: for N nodes running random connections and gossip on the simulated
 * network, the rounds (network hops) one chat event needs to reach every node, and the
 * messages and payload bytes per node it costs.
 *
 *     npm run bench:gossip                    # N = 100, 1,000, 10,000
 *     deno run -A bench/gossip_bench.ts --sizes 100,1000 --json out.json
 * @module
 */

import { NodeConfig } from "../core/config.ts";
import { overlay } from "../testing/overlay.ts";
import { listOption, publish } from "./report.ts";

/** One network size's figures. */
export interface GossipBenchRow {
  /** Nodes in the network. */
  nodes: number;
  /** Rounds (one hop each) until every node had the event. */
  rounds: number;
  /** Messages sent per node for the event. */
  messagesPerNode: number;
  /** Payload bytes sent per node for the event. */
  bytesPerNode: number;
  /** Nodes that had the event at the end (all of them unless something is wrong). */
  reached: number;
}

/** Builds a network of `n` nodes, lets it connect, spreads one event and measures it. */
export async function measureGossip(n: number, seed = 1): Promise<GossipBenchRow> {
  const world = overlay({ seed, gossip: true });
  const origin = await world.join(await NodeConfig.create({ name: "origin" }));
  for (let i = 1; i < n; i++) await world.join();
  for (let tick = 0; tick < 5; tick++) await world.step();
  const before = { ...world.sim.traffic };
  await origin.gossip!.emitIn({ type: "add", category: "chat", payload: "one chat message" });
  const id = [...origin.seen][0];
  const rounds = await world.drain(1000);
  const reached = [...world.nodes.values()].filter((node) => node.seen.has(id)).length;
  return {
    nodes: n,
    rounds,
    messagesPerNode: (world.sim.traffic.messages - before.messages) / n,
    bytesPerNode: (world.sim.traffic.bytes - before.bytes) / n,
    reached,
  };
}

/** Formats rows as an aligned table. */
export function formatGossipTable(rows: GossipBenchRow[]): string {
  const head = ["nodes", "rounds", "messages/node", "bytes/node", "reached"];
  const lines = rows.map((r) => [
    r.nodes.toLocaleString("en-US"),
    String(r.rounds),
    r.messagesPerNode.toFixed(1),
    Math.round(r.bytesPerNode).toLocaleString("en-US"),
    `${r.reached}/${r.nodes}`,
  ]);
  return [head, ...lines].map((cells) => cells.map((c) => c.padStart(14)).join("")).join("\n");
}

if (import.meta.main) {
  const sizes = listOption("--sizes", [100, 1000, 10_000]);
  const rows: GossipBenchRow[] = [];
  for (const n of sizes) rows.push(await measureGossip(n));
  await publish(formatGossipTable(rows), {
    bench: "gossip",
    sizes,
    rows,
  });
}

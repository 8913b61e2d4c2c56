/**
 * Connection setup through the overlay, simulated: N nodes (random connections and gossip, on
 * the in-memory network) form an overlay, then churn (1% of the nodes replaced every tick, and
 * each node's own churn), once with random connections that prefer nodes reachable through a
 * neighbour (`overlayPreference`, default 0.9) and once without (0). Reports the share of new
 * connections whose setup needs no signalling server, and what the preference does to the
 * graph: one connected component, degrees in their band, the rounds gossip needs to reach
 * every node.
 *
 *     npm run bench:overlay-signal                  # 1,000 and 10,000 nodes
 *     deno run -A bench/overlay_signal_bench.ts --sizes 300 --json out.json
 * @module
 */

import { NodeConfig } from "../core/config.ts";
import type { NodeID } from "../core/ids.ts";
import { overlay } from "../testing/overlay.ts";
import { listOption, numberOption, publish } from "./report.ts";

/** One run's figures. */
export interface OverlaySignalRow {
  /** Nodes online. */
  nodes: number;
  /** The random connections' preference for nodes reachable through a neighbour. */
  preference: number;
  /** Connections opened during the churn. */
  setups: number;
  /** Their share set up through the overlay (a neighbour connected to the target). */
  overlayShare: number;
  /** The same share among the setups after each node's first two. */
  overlayShareAfterFirstTwo: number;
  /** One connected graph at the end. */
  connected: boolean;
  /** Nodes whose degree is outside [target, 2 · target] at the end. */
  outOfBand: number;
  /** Rounds one gossip event took to reach every node at the end (or all it reached). */
  gossipRounds: number;
  /** Nodes the event reached. */
  gossipReached: number;
}

/** Forms an overlay of `n` nodes, churns it for `ticks`, and measures. */
export async function measureOverlaySignal(
  n: number,
  preference: number,
  ticks: number,
  seed = 1,
): Promise<OverlaySignalRow> {
  const world = overlay({
    seed,
    gossip: true,
    random: { overlayPreference: preference, churnTicks: 20 },
  });
  for (let i = 0; i < n; i++) await world.join();
  for (let tick = 0; tick < 5; tick++) await world.step();
  const before = { ...world.sim.setups };
  const perTick = Math.max(1, Math.round(n / 100));
  for (let tick = 0; tick < ticks; tick++) {
    const ids = world.sim.ids();
    for (let i = 0; i < perTick; i++) world.leave(ids[(tick * perTick + i * 7919) % ids.length]);
    for (let i = 0; i < perTick; i++) await world.join();
    await world.step();
  }
  for (let tick = 0; tick < 3; tick++) await world.step();
  const overlaySetups = world.sim.setups.overlay - before.overlay;
  const serverSetups = world.sim.setups.server - before.server;
  // a node's first two setups cannot go through the overlay: it has no neighbour yet
  const firstTwo = world.sim.setups.firstTwo - before.firstTwo;
  let outOfBand = 0;
  for (const [id, node] of world.nodes) {
    const degree = world.sim.peersOf(id as NodeID).length;
    const target = node.randomState?.target ?? 0;
    if (degree < Math.min(target, world.nodes.size - 1) || degree > 2 * target) outOfBand++;
  }
  const origin = await world.join(await NodeConfig.create({ name: "origin" }));
  for (let tick = 0; tick < 3; tick++) await world.step();
  await origin.gossip!.emitIn({ type: "add", category: "chat", payload: "one chat message" });
  const event = [...origin.seen][0];
  const gossipRounds = await world.drain(1000);
  return {
    nodes: n,
    preference,
    setups: overlaySetups + serverSetups,
    overlayShare: overlaySetups / Math.max(1, overlaySetups + serverSetups),
    overlayShareAfterFirstTwo: overlaySetups /
      Math.max(1, overlaySetups + serverSetups - firstTwo),
    connected: world.sim.connected(),
    outOfBand,
    gossipRounds,
    gossipReached: [...world.nodes.values()].filter((node) => node.seen.has(event)).length,
  };
}

function table(rows: OverlaySignalRow[]): string {
  const head = [
    "nodes",
    "preference",
    "setups",
    "via overlay",
    "after first 2",
    "connected",
    "off band",
    "gossip",
  ];
  const lines = rows.map((r) => [
    r.nodes.toLocaleString("en-US"),
    String(r.preference),
    String(r.setups),
    `${(r.overlayShare * 100).toFixed(1)} %`,
    `${(r.overlayShareAfterFirstTwo * 100).toFixed(1)} %`,
    r.connected ? "yes" : "NO",
    String(r.outOfBand),
    `${r.gossipRounds} rounds, ${r.gossipReached}/${r.nodes + 1}`,
  ]);
  return [head, ...lines].map((cells) => cells.map((c) => c.padStart(14)).join("")).join("\n");
}

if (import.meta.main) {
  const sizes = listOption("--sizes", [1000, 10_000]);
  const ticks = numberOption("--ticks", 30);
  const preferences = listOption("--preferences", [0, 0.9]);
  const rows: OverlaySignalRow[] = [];
  for (const n of sizes) {
    for (const preference of preferences) {
      rows.push(await measureOverlaySignal(n, preference, ticks));
    }
  }
  await publish(table(rows), { bench: "overlay-signal", sizes, ticks, rows });
}

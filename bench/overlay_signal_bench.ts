/**
 * Connection setup through the overlay, simulated: N nodes (random connections and gossip, on
 * the in-memory network) form an overlay, then churn (1% of the nodes replaced every tick, and
 * each node's own churn), once with random connections that prefer nodes reachable through a
 * neighbour (`overlayPreference`, default 0.9) and once without (0). Reports the share of new
 * connections whose setup needs no signalling server, and what the preference does to the
 * graph: one connected component, degrees in their band, the rounds gossip needs to reach
 * every node.
 *
 * Then what neighbour lists over gossip cost: the bytes a node sends per tick with and without
 * them, on the same churning overlay of signing nodes.
 *
 * Then, with real nodes (node-datachannel, loopback): the time from `send` to a new node until it
 * resolved (setup and first message), through the overlay (a shared neighbour carries the setup)
 * against through the signalling server, in the same run.
 *
 *     npm run bench:overlay-signal                  # 1,000 and 10,000 nodes, 20 setups each way
 *     deno run -A bench/overlay_signal_bench.ts --sizes 300 --rounds 5 --json out.json
 * @module
 */

import { NodeConfig } from "../core/config.ts";
import type { NodeID } from "../core/ids.ts";
import { overlay } from "../testing/overlay.ts";
import { listOption, numberOption, publish } from "./report.ts";
import { serveSignal } from "../adapters/deno/serve_signal.ts";
import { loopbackNode } from "../harness/network.ts";
import type { Network } from "../net/api.ts";

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
  // the first two setups a node opens: with no neighbour yet, most cannot use the overlay
  const firstTwo = world.sim.setups.firstTwo - before.firstTwo;
  const firstTwoOverlay = world.sim.setups.firstTwoOverlay - before.firstTwoOverlay;
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
    overlayShareAfterFirstTwo: (overlaySetups - firstTwoOverlay) /
      Math.max(1, overlaySetups + serverSetups - firstTwo),
    connected: world.sim.connected(),
    outOfBand,
    gossipRounds,
    gossipReached: [...world.nodes.values()].filter((node) => node.seen.has(event)).length,
  };
}

/** What neighbour lists over gossip cost, simulated. */
export interface NeighbourListCost {
  /** Nodes online (each signs, so each publishes its list). */
  nodes: number;
  /** Ticks measured (a tick is a second on a real node). */
  ticks: number;
  /** Bytes a node sent per tick without lists. */
  withoutBytesPerTick: number;
  /** Bytes a node sent per tick with lists (one every 30 ticks at most, on change). */
  withBytesPerTick: number;
}

/**
 * Traffic per node with and without neighbour lists, on the same churning overlay of `n` nodes
 * that all sign (the lists of a node without a key cannot be published).
 */
export async function measureNeighbourListCost(
  n: number,
  ticks: number,
): Promise<NeighbourListCost> {
  const signers = await Promise.all(Array.from({ length: n + ticks }, () => NodeConfig.create()));
  const perTick = async (neighbourListTicks: number) => {
    const world = overlay({
      seed: 2,
      gossip: true,
      neighbourListTicks,
      random: { churnTicks: 20 },
    });
    const fresh = [...signers];
    for (let i = 0; i < n; i++) await world.join(fresh.pop());
    for (let tick = 0; tick < 5; tick++) await world.step();
    const before = world.sim.traffic.bytes;
    for (let tick = 0; tick < ticks; tick++) {
      world.leave(world.sim.ids()[(tick * 7919) % n]);
      await world.join(fresh.pop());
      await world.step();
    }
    return (world.sim.traffic.bytes - before) / n / ticks;
  };
  return {
    nodes: n,
    ticks,
    withoutBytesPerTick: await perTick(0),
    withBytesPerTick: await perTick(30),
  };
}

/** Setup times with real nodes, ms, each way: medians and 90th percentiles. */
export interface SetupLatency {
  /** Setups carried by a shared neighbour. */
  overlay: { p50: number; p90: number };
  /** Setups carried by the signalling server. */
  server: { p50: number; p90: number };
  /** Rounds measured (one setup each way per round). */
  rounds: number;
}

/**
 * Each round: nodes X and Y connect to a hub H through the server; then X's first message to Y
 * (set up through H) and a fresh node's first message to another fresh node (through the server)
 * are timed, from `send` until it resolved.
 */
export async function measureSetupLatency(rounds: number): Promise<SetupLatency> {
  const server = await serveSignal({ port: 0 });
  const nets: Network[] = [];
  const start = async (name: string) => {
    const net = await loopbackNode(server.url, "node-datachannel", name);
    nets.push(net);
    return net;
  };
  const timed = async (from: Network, to: Network) => {
    const sent = performance.now();
    await from.send(to.id, "first");
    return performance.now() - sent;
  };
  const overlay: number[] = [];
  const direct: number[] = [];
  try {
    const hub = await start("hub");
    for (let round = 0; round < rounds; round++) {
      const [x, y, p, q] = [await start("x"), await start("y"), await start("p"), await start("q")];
      await x.send(hub.id, "hi");
      await y.send(hub.id, "hi");
      // the hub tells its neighbours whom it reaches within 200 ms
      await new Promise((resolve) => setTimeout(resolve, 500));
      overlay.push(await timed(x, y));
      direct.push(await timed(p, q));
      const [via] = (await x.connections()).filter((c) => c.id === y.id);
      if (via?.status.setupVia !== "overlay") {
        throw new Error("the setup did not go through the hub");
      }
    }
  } finally {
    for (const net of nets) await net.close();
    await server.close();
  }
  const stats = (values: number[]) => {
    const sorted = values.toSorted((a, b) => a - b);
    return {
      p50: sorted[Math.floor(sorted.length / 2)],
      p90: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))],
    };
  };
  return { overlay: stats(overlay), server: stats(direct), rounds };
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
  const rounds = numberOption("--rounds", 20);
  const rows: OverlaySignalRow[] = [];
  for (const n of sizes) {
    for (const preference of preferences) {
      rows.push(await measureOverlaySignal(n, preference, ticks));
    }
  }
  const cost = await measureNeighbourListCost(
    numberOption("--list-nodes", 100), // the cost grows with the cube of the nodes
    numberOption("--list-ticks", 90),
  );
  const costLine = `neighbour lists over gossip, ${cost.nodes} signing nodes, ${cost.ticks} ` +
    `ticks of churn: ${Math.round(cost.withoutBytesPerTick)} B a node sends per tick without, ` +
    `${Math.round(cost.withBytesPerTick)} B with (${
      (cost.withBytesPerTick / cost.withoutBytesPerTick).toFixed(2)
    }x)`;
  const latency = await measureSetupLatency(rounds);
  const latencyLine = `setup and first message, real nodes, ${rounds} each way: through the ` +
    `overlay p50 ${latency.overlay.p50.toFixed(1)} ms, p90 ${latency.overlay.p90.toFixed(1)} ms; ` +
    `through the server p50 ${latency.server.p50.toFixed(1)} ms, p90 ${
      latency.server.p90.toFixed(1)
    } ms`;
  await publish(`${table(rows)}\n${costLine}\n${latencyLine}`, {
    bench: "overlay-signal",
    sizes,
    ticks,
    rows,
    cost,
    latency,
  });
  Deno.exit(0); // the native engine keeps handles open after its peers closed
}

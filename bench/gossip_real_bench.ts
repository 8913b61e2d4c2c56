/**
 * Gossip with real nodes: N full Nodes (node-datachannel, loopback, one process, the modules'
 * default settings on a timer ten times faster than the default second) join one signalling
 * server running in its own process, form their overlay, and one chat message is
 * spread to all of them. Reports the bytes that passed through the signalling server (from the
 * first node's start until every node had the message, and during the spread alone) beside
 * fledger's figures for the same measurement (../shared/reference/fledger.md §9), and how the
 * connections were set up: every size runs twice, with connection setup through the overlay
 * (the default) and with every setup through the server (`overlaySignalling: false`, no
 * preference for nodes reachable through a neighbour: flnet before the overlay carried setups).
 *
 *     npm run bench:gossip-real                       # N = 10, 30, 100, both ways
 *     deno run -A bench/gossip_real_bench.ts --sizes 10,30 --modes overlay --json out.json
 * @module
 */

import { IntervalTimer } from "../core/timer.ts";
import type { Node } from "../node/node.ts";
import { loopbackFullNode, until } from "../harness/network.ts";
import { startSignalProcess } from "../harness/signal_process.ts";
import { listOption, publish, textOption } from "./report.ts";
import { RANDOM_DEFAULTS } from "../modules/random/messages.ts";

/** fledger's signalling bytes to spread one chat message, by N (flnode/tests/gossip_large.rs). */
const FLEDGER_BYTES: Record<number, number> = {
  3: 9e3,
  10: 79e3,
  100: 7_000e3,
  150: 41_000e3,
};

/** One network size's figures. */
export interface GossipRealRow {
  /** Nodes started. */
  nodes: number;
  /** Setups through the overlay where a neighbour can carry them, or all through the server. */
  mode: SetupMode;
  /** Whether every node got the message in time (false: `stoppedBecause` says why). */
  completed: boolean;
  /** Why the run stopped short, when it did. */
  stoppedBecause?: string;
  /** Seconds until every node had at least min(3, N-1) connections. */
  overlaySeconds: number;
  /** Seconds from sending until every node had the message. */
  spreadSeconds: number;
  /** Bytes through the signalling server (received + sent) from start to the end of the spread. */
  signalBytesTotal: number;
  /** Bytes through the signalling server during the spread alone. */
  signalBytesSpread: number;
  /** fledger's figure for this N, when it published one. */
  fledgerBytes?: number;
  /** Connections opened during the run (each counted once, at the end that offered or not). */
  connections: number;
  /** Of those, set up through the overlay. */
  viaOverlay: number;
  /**
   * Connections nodes asked for after their first two (counted at the end that asked: a
   * newcomer's first connections reach older nodes through the server, and are not theirs)...
   */
  laterEnds: number;
  /** ...and of those, the ones set up through the overlay. */
  laterEndsViaOverlay: number;
}

/** How the nodes of a run set up their connections. */
export type SetupMode = "overlay" | "server";

/** Counts the connections `node` opens and how each was set up. */
function countSetups(node: Node, row: GossipRealRow): void {
  const asked = new Set<string>();
  let opened = 0;
  node.network.broker.tapIn((msg) => {
    if (msg.type === "connect") asked.add(msg.to);
  });
  node.network.broker.tapOut((out) => {
    if (out.type !== "connected") return;
    const overlay = out.via === "overlay";
    row.connections += 0.5; // seen at both ends
    if (overlay) row.viaOverlay += 0.5;
    if (!asked.delete(out.id) || opened++ < 2) return; // another node's setup, or a first two
    row.laterEnds++;
    if (overlay) row.laterEndsViaOverlay++;
  });
}

async function serverBytes(http: string): Promise<number> {
  const stats = await (await fetch(`${http}/stats`)).json();
  return stats.bytesReceived + stats.bytesSent;
}

/**
 * Starts `n` nodes that set up connections as `mode` says, spreads one chat message and
 * measures it; gives up after `limitMs`.
 */
export async function measureRealGossip(
  n: number,
  limitMs = 60_000,
  mode: SetupMode = "overlay",
): Promise<GossipRealRow> {
  const server = await startSignalProcess([
    ...["--max-conns", String(n + 50)],
    ...["--max-conns-per-ip", String(n + 50)], // every node is on 127.0.0.1
  ]);
  const http = server.url.replace(/^ws/, "http");
  const timer = new IntervalTimer(100);
  const nodes: Node[] = [];
  const row: GossipRealRow = {
    nodes: n,
    mode,
    completed: false,
    overlaySeconds: NaN,
    spreadSeconds: NaN,
    signalBytesTotal: NaN,
    signalBytesSpread: NaN,
    ...(FLEDGER_BYTES[n] ? { fledgerBytes: FLEDGER_BYTES[n] } : {}),
    connections: 0,
    viaOverlay: 0,
    laterEnds: 0,
    laterEndsViaOverlay: 0,
  };
  const overlay = mode === "overlay";
  try {
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const node = await loopbackFullNode(server.url, "node-datachannel", timer, `n${i}`, {
        random: { overlayPreference: overlay ? RANDOM_DEFAULTS.overlayPreference : 0 },
      }, { overlaySignalling: overlay });
      countSetups(node, row);
      nodes.push(node);
    }
    const degree = Math.min(3, n - 1);
    await until(
      `all ${n} nodes have ${degree} connections`,
      () => nodes.every((node) => node.connectedNodes().length >= degree),
      limitMs,
    );
    row.overlaySeconds = (performance.now() - started) / 1000;
    const before = await serverBytes(http);
    const text = `one message for ${n} nodes`;
    const sent = performance.now();
    await nodes[0].sendChat(text);
    await until(`all ${n} nodes have the message`, async () => {
      for (const node of nodes) {
        if (!(await node.chatHistory()).some((m) => m.text === text)) return false;
      }
      return true;
    }, limitMs);
    row.spreadSeconds = (performance.now() - sent) / 1000;
    const after = await serverBytes(http);
    row.signalBytesSpread = after - before;
    row.signalBytesTotal = after;
    row.completed = true;
  } catch (error) {
    row.stoppedBecause = (error as Error).message;
  } finally {
    timer.close();
    await Promise.all(nodes.map((node) => node.close().catch(() => {})));
    await server.stop();
  }
  return row;
}

/** Formats rows as an aligned table. */
export function formatGossipRealTable(rows: GossipRealRow[]): string {
  const kb = (bytes?: number) =>
    bytes === undefined || Number.isNaN(bytes) ? "-" : `${Math.round(bytes / 1000)} kB`;
  const share = (part: number, all: number) =>
    all === 0 ? "-" : `${Math.round(part)}/${Math.round(all)} ${Math.round((part / all) * 100)} %`;
  const head = [
    "nodes",
    "setups",
    "overlay s",
    "spread s",
    "signal total",
    "per conn.",
    "during spread",
    "fledger",
    "via overlay",
    "after first 2",
  ];
  const lines = rows.map((r) => [
    String(r.nodes),
    r.mode,
    r.overlaySeconds.toFixed(1),
    r.completed ? r.spreadSeconds.toFixed(2) : `stopped: ${r.stoppedBecause}`,
    kb(r.signalBytesTotal),
    r.connections ? kb(r.signalBytesTotal / r.connections) : "-",
    kb(r.signalBytesSpread),
    kb(r.fledgerBytes),
    share(r.viaOverlay, r.connections),
    share(r.laterEndsViaOverlay, r.laterEnds),
  ]);
  return [head, ...lines].map((cells) =>
    cells.map((c, i) =>
      i === 3 && c.startsWith("stopped") ? ` ${c}` : c.padStart(i === 0 ? 6 : i >= 8 ? 18 : 14)
    )
      .join("")
  ).join("\n");
}

if (import.meta.main) {
  const sizes = listOption("--sizes", [10, 30, 100]);
  const modes = (textOption("--modes") ?? "overlay,server").split(",") as SetupMode[];
  if (!modes.every((mode) => mode === "overlay" || mode === "server")) {
    throw new Error("--modes is a comma list of overlay and server");
  }
  const rows: GossipRealRow[] = [];
  for (const mode of modes) {
    for (const n of sizes) {
      rows.push(await measureRealGossip(n, 120_000, mode));
      if (!rows.at(-1)!.completed) break; // a larger network will not do better on this machine
    }
  }
  await publish(formatGossipRealTable(rows), { bench: "gossip-real", sizes, modes, rows });
  Deno.exit(0); // the native engine keeps handles open after its peers closed
}

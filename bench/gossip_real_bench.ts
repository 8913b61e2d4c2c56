/**
 * Gossip with real nodes: N full Nodes (node-datachannel, loopback, one process, the modules'
 * default settings on a timer ten times faster than the default second) join one signalling
 * server running in its own process, form their overlay, and one chat message is
 * spread to all of them. Reports the bytes that passed through the signalling server (from the
 * first node's start until every node had the message, and during the spread alone) beside
 * fledger's figures for the same measurement (../shared/reference/fledger.md §9).
 *
 *     npm run bench:gossip-real                       # N = 10, 30, 100
 *     deno run -A bench/gossip_real_bench.ts --sizes 10,30 --json out.json
 * @module
 */

import { IntervalTimer } from "../core/timer.ts";
import type { Node } from "../node/node.ts";
import { loopbackFullNode, nodeConnections, until } from "../harness/network.ts";
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
  /** Open connections at the end, by the way their offer went: server or overlay. */
  setupVia?: { server: number; overlay: number };
}

/** How `node`'s open connections were set up (each connection counted at both its ends). */
async function setupRoutes(node: Node): Promise<{ server: number; overlay: number }> {
  const counts = { server: 0, overlay: 0 };
  for (const { status } of await nodeConnections(node)) {
    if (status.state === "open" && status.setupVia) counts[status.setupVia]++;
  }
  return counts;
}

async function serverBytes(http: string): Promise<number> {
  const stats = await (await fetch(`${http}/stats`)).json();
  return stats.bytesReceived + stats.bytesSent;
}

/**
 * Starts `n` nodes (random connections with `overlayPreference`, default 0.9), spreads one chat
 * message and measures it; gives up after `limitMs`.
 */
export async function measureRealGossip(
  n: number,
  limitMs = 60_000,
  overlayPreference: number = RANDOM_DEFAULTS.overlayPreference,
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
    completed: false,
    overlaySeconds: NaN,
    spreadSeconds: NaN,
    signalBytesTotal: NaN,
    signalBytesSpread: NaN,
    ...(FLEDGER_BYTES[n] ? { fledgerBytes: FLEDGER_BYTES[n] } : {}),
  };
  try {
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      nodes.push(
        await loopbackFullNode(server.url, "node-datachannel", timer, `n${i}`, {
          random: { overlayPreference },
        }),
      );
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
    row.setupVia = { server: 0, overlay: 0 };
    for (const node of nodes) {
      const routes = await setupRoutes(node);
      row.setupVia.server += routes.server;
      row.setupVia.overlay += routes.overlay;
    }
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
  const head = [
    "nodes",
    "overlay s",
    "spread s",
    "signal total",
    "during spread",
    "fledger",
    "set up via overlay",
  ];
  const lines = rows.map((r) => [
    String(r.nodes),
    r.overlaySeconds.toFixed(1),
    r.completed ? r.spreadSeconds.toFixed(2) : `stopped: ${r.stoppedBecause}`,
    kb(r.signalBytesTotal),
    kb(r.signalBytesSpread),
    kb(r.fledgerBytes),
    r.setupVia ? `${r.setupVia.overlay} of ${r.setupVia.overlay + r.setupVia.server} ends` : "-",
  ]);
  return [head, ...lines].map((cells) =>
    cells.map((c, i) =>
      i === 2 && c.startsWith("stopped") ? ` ${c}` : c.padStart(i === 0 ? 6 : i === 6 ? 20 : 14)
    )
      .join("")
  ).join("\n");
}

if (import.meta.main) {
  const sizes = listOption("--sizes", [10, 30, 100]);
  // 0 (no preference, as before overlay signalling) is a valid choice: read it by hand
  const preference = Number(
    textOption("--overlay-preference") ?? RANDOM_DEFAULTS.overlayPreference,
  );
  if (!(preference >= 0 && preference <= 1)) {
    throw new Error("--overlay-preference needs a number from 0 to 1");
  }
  const rows: GossipRealRow[] = [];
  for (const n of sizes) {
    rows.push(await measureRealGossip(n, 60_000, preference));
    if (!rows.at(-1)!.completed) break; // a larger network will not do better on this machine
  }
  await publish(formatGossipRealTable(rows), {
    bench: "gossip-real",
    sizes,
    overlayPreference: preference,
    rows,
  });
  Deno.exit(0); // the native engine keeps handles open after its peers closed
}

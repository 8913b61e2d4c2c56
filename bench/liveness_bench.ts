/**
 * Liveness benchmark, per engine, in one run: how long after a peer process is killed with
 * SIGKILL (idle connection, no data flowing) the other node reports it gone, with the
 * heartbeat (the default) and without it (`livenessTimeoutMs: 0`: only ICE notices, after its
 * consent checks fail and `disconnectGraceMs` passes), as a ratio.
 *
 *     deno run -A bench/liveness_bench.ts --rounds 3 --engines wrtc,node-datachannel --json out.json
 * @module
 */

import type { WebRTCEngine } from "../node.ts";
import { type RunningSignalServer, serveSignal } from "../adapters/deno/serve_signal.ts";
import { loopbackNode } from "../harness/network.ts";
import { startPeer } from "../harness/peer_process.ts";
import { numberOption, publish, textOption } from "./report.ts";

/** Detection times of one engine. */
export interface LivenessRow {
  /** The engine. */
  engine: WebRTCEngine;
  /** ms from the kill until `disconnected`, median, with the heartbeat (default settings). */
  heartbeatMs: number;
  /** The same without the heartbeat (ICE only, default `disconnectGraceMs`). */
  iceOnlyMs: number;
}

/** Everything one run measured. */
export interface LivenessBenchResult {
  /** One row per engine. */
  rows: LivenessRow[];
}

/** ms from killing an idle connected peer until the node reports it disconnected. */
async function detection(
  server: RunningSignalServer,
  engine: WebRTCEngine,
  livenessTimeoutMs?: number,
): Promise<number> {
  const network = livenessTimeoutMs === undefined ? {} : { livenessTimeoutMs };
  const peer = await startPeer("deno", [
    ...["--signal", server.url, "--engine", engine, "--mode", "sink"],
    ...["--network", JSON.stringify(network)],
  ]);
  const node = await loopbackNode(server.url, engine, "watcher", network);
  try {
    await node.send(peer.id, "hello");
    await peer.next(); // the message arrived: connected
    await new Promise((resolve) => setTimeout(resolve, 500));
    const gone = new Promise<number>((resolve) => {
      const tap = node.broker.tapOut((out) => {
        if (out.type === "disconnected" && out.id === peer.id) {
          tap.remove();
          resolve(Date.now());
        }
      });
    });
    peer.child.kill("SIGKILL");
    const killedAt = Date.now();
    return await gone - killedAt;
  } finally {
    peer.child.kill("SIGKILL");
    await peer.exited;
    await node.close();
  }
}

/** Measures each engine, with and without the heartbeat, taking turns. */
export async function runLivenessBench(
  engines: WebRTCEngine[],
  rounds: number,
): Promise<LivenessBenchResult> {
  const server = await serveSignal({ port: 0 });
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  try {
    const rows: LivenessRow[] = [];
    for (const engine of engines) {
      const heartbeat: number[] = [];
      const iceOnly: number[] = [];
      for (let round = 0; round < rounds; round++) {
        heartbeat.push(await detection(server, engine));
        iceOnly.push(await detection(server, engine, 0));
      }
      rows.push({ engine, heartbeatMs: median(heartbeat), iceOnlyMs: median(iceOnly) });
    }
    return { rows };
  } finally {
    await server.close();
  }
}

/** Formats a result as a table. */
export function formatLivenessTable(result: LivenessBenchResult): string {
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(26) : c.padStart(14))).join("");
  return [
    line(["peer killed, noticed in ms", "heartbeat", "ICE only", "ratio"]),
    ...result.rows.map((r) =>
      line([
        r.engine,
        String(r.heartbeatMs),
        String(r.iceOnlyMs),
        (r.heartbeatMs / r.iceOnlyMs).toFixed(2),
      ])
    ),
  ].join("\n");
}

if (import.meta.main) {
  const rounds = numberOption("--rounds", 3);
  const engines = (textOption("--engines") ?? "wrtc,node-datachannel").split(",") as WebRTCEngine[];
  const result = await runLivenessBench(engines, rounds);
  await publish(formatLivenessTable(result), {
    bench: "liveness",
    options: { rounds, engines },
    result,
  });
  Deno.exit(0); // the native engines keep handles open after their peers closed
}

/**
 * Signalling server processes clustered over a NATS cluster, for tests and benchmarks: each on
 * one member in turn, returned once every server counts all the others as its peers.
 * @module
 */

import type { SignalStats } from "../signal/server_options.ts";
import type { NatsCluster } from "./nats_cluster.ts";
import { type SignalProcess, startSignalProcess } from "./signal_process.ts";

/** One server of the cluster: its runtime and its extra command-line arguments. */
export interface ClusteredServer {
  /** Deno (`signal/main.ts`) or Node (`flnet signal`). */
  runtime: "deno" | "node";
  /** Arguments beside `--nats`. */
  args?: string[];
}

/** A server process's `GET /stats`. */
export async function serverStats(server: SignalProcess): Promise<SignalStats> {
  return await (await fetch(`${server.url.replace(/^ws/, "http")}/stats`)).json();
}

/**
 * Starts one server per entry of `servers`, server i on member i (mod the members) of `nats`,
 * and resolves once each counts the others as peers; rejects after `timeoutMs`.
 */
export async function startClusteredServers(
  nats: NatsCluster,
  servers: ClusteredServer[],
  timeoutMs = 10_000,
): Promise<SignalProcess[]> {
  const processes = await Promise.all(servers.map(({ runtime, args = [] }, i) =>
    startSignalProcess(
      ["--nats", nats.members[i % nats.members.length].url, ...args],
      [],
      runtime,
    )
  ));
  const deadline = Date.now() + timeoutMs;
  for (const server of processes) {
    while ((await serverStats(server)).cluster?.peers !== servers.length - 1) {
      if (Date.now() > deadline) {
        await Promise.all(processes.map((p) => p.kill()));
        throw new Error(`the cluster's servers did not meet within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return processes;
}

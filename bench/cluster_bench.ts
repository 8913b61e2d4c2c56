/**
 * Signalling servers clustered over NATS under load: `--servers` flnet servers on Node (4),
 * each on a member of a 3-member NATS cluster, and one load generator (this process) holding
 * `--clients` announced clients spread over the servers, every relay addressed to a client on
 * another server. The same load on one server runs first, for comparison. Reports clients held,
 * relays/s, latency, and CPU time per relay in each tier (flnet servers, NATS), so that the
 * figures can be scaled on paper (docs/deploy.md).
 *
 *     npm run bench:cluster                       # 19,000 clients, 4 servers
 *     deno run -A bench/cluster_bench.ts --clients 2000 --servers 2 --json out.json
 * @module
 */

import { numberOption, publish } from "./report.ts";
import { runSignalLoad, type SignalLoadOptions, type SignalLoadResult } from "./signal_bench.ts";
import {
  connectFlnetClient,
  cpuSecondsOf,
  loadServerArgs,
  type LoadTarget,
  startLoadTarget,
} from "./signal_targets.ts";
import { startNatsCluster } from "../harness/nats_cluster.ts";
import { startClusteredServers } from "../harness/signal_cluster.ts";
import { U256 } from "../core/ids.ts";

/** `servers` flnet servers on Node over a fresh 3-member NATS cluster, as a load target. */
export async function startClusterTarget(servers: number, clients: number): Promise<LoadTarget> {
  const nats = await startNatsCluster(3);
  const perServer = Math.ceil(clients / servers) + 100;
  const processes = await startClusteredServers(
    nats,
    Array.from({ length: servers }, () => ({ runtime: "node", args: loadServerArgs(perServer) })),
  );
  const sum = (values: (number | undefined)[]) =>
    values.some((v) => v === undefined) ? undefined : values.reduce((a: number, b) => a + b!, 0);
  return {
    kind: "flnet-cluster",
    connect: (i) => connectFlnetClient(processes[i % servers].url),
    rss: async () => sum(await Promise.all(processes.map((p) => p.rss()))),
    cpuSeconds: async () => ({
      server: sum(await Promise.all(processes.map((p) => cpuSecondsOf(p.pid)))),
      nats: sum(await Promise.all(nats.members.map((m) => cpuSecondsOf(m.pid)))),
    }),
    stop: async () => {
      await Promise.all(processes.map((p) => p.stop()));
      await nats.close();
    },
  };
}

/**
 * How long a relay to a node that is on no server takes to come back as `unknown-node`, in a
 * quiet cluster of two servers: the median and the worst of `count`, ms.
 */
export async function absentRelayLatency(count = 100): Promise<{ p50: number; max: number }> {
  const target = await startClusterTarget(2, 10);
  try {
    const client = await target.connect(0);
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const answered = new Promise<string>((resolve) => client.onError = resolve);
      const sent = performance.now();
      client.relay(U256.random(), { n: i });
      const code = await answered;
      if (code !== "unknown-node") throw new Error(`a relay to nobody got ${code}`);
      times.push(performance.now() - sent);
    }
    client.close();
    times.sort((a, b) => a - b);
    return { p50: times[Math.floor(count / 2)], max: times[count - 1] };
  } finally {
    await target.stop();
  }
}

/** What the cluster benchmark measured: one server, then the cluster, under the same load. */
export interface ClusterBenchResult {
  /** Servers in the cluster. */
  servers: number;
  /** A relay to a node on no server: ms until `unknown-node`, quiet cluster. */
  absentRelayMs: { p50: number; max: number };
  /** One flnet server on Node. */
  single: SignalLoadResult;
  /** The cluster. */
  cluster: SignalLoadResult;
}

/** Runs the same load against one server and against `servers` clustered servers. */
export async function runClusterBench(
  load: SignalLoadOptions,
  servers: number,
): Promise<ClusterBenchResult> {
  const single = await runSignalLoad(
    { ...load, server: "flnet-node" },
    await startLoadTarget("flnet-node", load.clients + 100),
  );
  const cluster = await runSignalLoad(load, await startClusterTarget(servers, load.clients));
  return { servers, absentRelayMs: await absentRelayLatency(), single, cluster };
}

function table(result: ClusterBenchResult): string {
  const rows: [string, (r: SignalLoadResult) => string][] = [
    ["clients held", (r) => `${r.clientsHeld} / ${r.clientsAsked}`],
    ["connect + announce", (r) => `${r.connectSeconds.toFixed(1)} s`],
    [
      "relays delivered / refused",
      (r) => `${r.relaysDelivered} / ${r.relaysFailed} of ${r.relaysSent}`,
    ],
    ["relays/s", (r) => Math.round(r.relaysPerSecond).toLocaleString("en-US")],
    [
      "latency p50 / p99 (one at a time)",
      (r) => `${r.relayP50Ms.toFixed(2)} / ${r.relayP99Ms.toFixed(2)} ms`,
    ],
    [
      "latency p50 / p99 (burst)",
      (r) => `${r.burstP50Ms.toFixed(0)} / ${r.burstP99Ms.toFixed(0)} ms`,
    ],
    ["flnet server CPU per relay", (r) => micros(r.cpuMicrosPerRelayByTier?.server)],
    ["NATS CPU per relay", (r) => micros(r.cpuMicrosPerRelayByTier?.nats)],
    ["server RSS per client", (r) => `${((r.rssPerConnection ?? NaN) / 1024).toFixed(1)} KiB`],
    ["errors", (r) => JSON.stringify(r.serverErrors)],
  ];
  const head = `${"".padEnd(36)} ${"one server".padEnd(22)} ${result.servers} servers + NATS`;
  const absent = result.absentRelayMs;
  return [
    head,
    ...rows.map(([name, cell]) =>
      `${name.padEnd(36)} ${cell(result.single).padEnd(22)} ${cell(result.cluster)}`
    ),
    `a relay to a node on no server: unknown-node after ${absent.p50.toFixed(1)} ms ` +
    `(median of 100, worst ${absent.max.toFixed(1)} ms)`,
  ].join("\n");
}

function micros(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? "n/a" : `${value.toFixed(1)} µs`;
}

if (import.meta.main) {
  const load: SignalLoadOptions = {
    // this machine allows 20,000 descriptors per process, the load generator's included
    clients: numberOption("--clients", 19_000),
    relaysPerClient: numberOption("--relays", 5),
    payloadBytes: numberOption("--payload", 2048),
    connectConcurrency: numberOption("--concurrency", 100),
  };
  const servers = numberOption("--servers", 4);
  const result = await runClusterBench(load, servers);
  await publish(table(result), { bench: "cluster", options: { ...load, servers }, result });
}

/**
 * Signalling server load: N announced clients held at once, relaying offer/answer-sized
 * messages to each other. The server (flnet's on Deno, `--server flnet-node` on Node, or PeerJS's
 * with `--server peerjs`) runs in its
 * own process; the clients run here (bench/signal_targets.ts speaks both protocols). Reports nodes held, relay messages/s, relay latency, and server memory per
 * connection, as a table and JSON.
 *
 *     npm run bench:signal                      # 2,000 clients
 *     deno run -A bench/signal_bench.ts --clients 500 --relays 10 --json out.json
 * @module
 */

import { numberOption, publish, textOption } from "./report.ts";
import {
  type LoadClient,
  type LoadTarget,
  type LoadTargetKind,
  SIGNAL_SERVER_KINDS,
  type SignalServerKind,
  startLoadTarget,
} from "./signal_targets.ts";

/** Options of {@link runSignalLoad}. */
export interface SignalLoadOptions {
  /** Announced clients to hold at once. */
  clients: number;
  /** Relay messages each client sends. */
  relaysPerClient: number;
  /** Size of each relayed payload in bytes (an SDP offer is about 1-4 KiB). */
  payloadBytes: number;
  /** Clients connecting at the same time. */
  connectConcurrency: number;
  /** The server to load (flnet by default). */
  server?: SignalServerKind;
}

/** What one load run measured. */
export interface SignalLoadResult {
  /** The server loaded. */
  server: LoadTargetKind;
  /** Clients the load generator tried to connect. */
  clientsAsked: number;
  /** Clients announced and held at the end of the connect phase. */
  clientsHeld: number;
  /** Seconds to connect and announce all clients. */
  connectSeconds: number;
  /** Relay messages delivered. */
  relaysDelivered: number;
  /** Relay messages expected. */
  relaysSent: number;
  /** Relay messages the server refused with an error (overloaded, say). */
  relaysFailed: number;
  /** Delivered relay messages per second, until each was delivered or refused. */
  relaysPerSecond: number;
  /** Median send-to-receive latency of a relay under the full burst, ms. */
  burstP50Ms: number;
  /** 99th percentile latency under the full burst, ms. */
  burstP99Ms: number;
  /** Median latency of one relay at a time with all clients connected, ms. */
  relayP50Ms: number;
  /** 99th percentile latency of one relay at a time, ms. */
  relayP99Ms: number;
  /** Server resident memory before any client, bytes. */
  serverRssIdle?: number;
  /** Server resident memory with all clients held, bytes. */
  serverRssLoaded?: number;
  /** (loaded - idle) / clients, bytes. */
  rssPerConnection?: number;
  /**
   * Server CPU time per delivered relay during the burst, µs (user + system, 10 ms ticks): the
   * server's own cost, whatever the load generator beside it could send.
   */
  cpuMicrosPerRelay?: number;
  /** CPU time per delivered relay in each tier of the target (`server`, `nats`), µs. */
  cpuMicrosPerRelayByTier?: Record<string, number>;
  /** Errors the server reported during the run (and refused connections), by code. */
  serverErrors: Record<string, number>;
}

/**
 * Runs one load round against a fresh server process of `options.server` (flnet by default),
 * or against `target` when given (a cluster, say); the target is stopped at the end.
 */
export async function runSignalLoad(
  options: SignalLoadOptions,
  target?: LoadTarget,
): Promise<SignalLoadResult> {
  target ??= await startLoadTarget(options.server ?? "flnet", options.clients + 100);
  const clients: LoadClient[] = [];
  const refused: Record<string, number> = {};
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const serverRssIdle = await target.rss();
    const connectStart = performance.now();
    for (let i = 0; i < options.clients; i += options.connectConcurrency) {
      const batch = Array.from(
        { length: Math.min(options.connectConcurrency, options.clients - i) },
        (_, k) => target.connect(i + k),
      );
      for (const result of await Promise.allSettled(batch)) {
        if (result.status === "fulfilled") clients.push(result.value);
        else refused[result.reason.message] = (refused[result.reason.message] ?? 0) + 1;
      }
    }
    const connectSeconds = (performance.now() - connectStart) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const serverRssLoaded = await target.rss();

    const latencies: number[] = [];
    const relaysSent = clients.length * options.relaysPerClient;
    // every relay is delivered or refused with an error; the phase ends when each was one
    let failed = 0;
    let answered!: () => void;
    const allAnswered = new Promise<void>((resolve) => answered = resolve);
    for (const client of clients) {
      client.onRelay = (payload) => {
        latencies.push(performance.now() - (payload.t as number));
        if (latencies.length + failed === relaysSent) answered();
      };
      client.onError = () => {
        if (latencies.length + ++failed === relaysSent) answered();
      };
    }
    const pad = "x".repeat(options.payloadBytes);
    const cpuBefore = await target.cpuSeconds();
    const relayStart = performance.now();
    for (let round = 0; round < options.relaysPerClient; round++) {
      for (const [i, client] of clients.entries()) {
        const to = clients[(i + 1 + round) % clients.length].id;
        client.relay(to, { kind: "offer", t: performance.now(), sdp: pad });
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([allAnswered, new Promise((r) => timer = setTimeout(r, 60_000))]);
    clearTimeout(timer);
    const relaySeconds = (performance.now() - relayStart) / 1000;
    const cpuAfter = await target.cpuSeconds();
    latencies.sort((a, b) => a - b);
    const quiet = clients.length >= 2
      ? await sequentialLatencies(clients[0], clients[1], pad, 200)
      : [];
    const serverErrors = { ...refused };
    for (const client of clients) {
      for (const [code, n] of Object.entries(client.errors)) {
        serverErrors[code] = (serverErrors[code] ?? 0) + n;
      }
    }
    return {
      server: target.kind,
      clientsAsked: options.clients,
      clientsHeld: clients.length,
      connectSeconds,
      relaysDelivered: latencies.length,
      relaysSent,
      relaysFailed: failed,
      relaysPerSecond: latencies.length / relaySeconds,
      burstP50Ms: percentile(latencies, 0.5),
      burstP99Ms: percentile(latencies, 0.99),
      relayP50Ms: percentile(quiet, 0.5),
      relayP99Ms: percentile(quiet, 0.99),
      serverRssIdle,
      serverRssLoaded,
      rssPerConnection: serverRssIdle && serverRssLoaded && clients.length
        ? (serverRssLoaded - serverRssIdle) / clients.length
        : undefined,
      cpuMicrosPerRelay: perRelay(cpuBefore.server, cpuAfter.server, latencies.length),
      cpuMicrosPerRelayByTier: Object.fromEntries(
        Object.keys(cpuAfter).map((tier) => [
          tier,
          perRelay(cpuBefore[tier], cpuAfter[tier], latencies.length) ?? NaN,
        ]),
      ),
      serverErrors,
    };
  } finally {
    for (const client of clients) client.close();
    await target.stop();
  }
}

/** CPU µs per relay between two readings of seconds, when both exist and differ enough. */
function perRelay(
  before: number | undefined,
  after: number | undefined,
  relays: number,
): number | undefined {
  // /proc counts in 10 ms ticks: under 50 ms the figure would be mostly rounding
  return before !== undefined && after !== undefined && relays > 0 && after - before >= 0.05
    ? (after - before) * 1e6 / relays
    : undefined;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/** One relay at a time from `a` to `b`: the latency a node sees when the server is not busy. */
async function sequentialLatencies(
  a: LoadClient,
  b: LoadClient,
  pad: string,
  count: number,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const arrived = new Promise<void>((resolve) => {
      b.onRelay = (payload) => {
        latencies.push(performance.now() - (payload.t as number));
        resolve();
      };
    });
    a.relay(b.id, { kind: "answer", t: performance.now(), sdp: pad });
    await arrived;
  }
  return latencies.sort((x, y) => x - y);
}

/** Formats a result as an aligned two-column table. */
export function formatSignalTable(result: SignalLoadResult): string {
  const mb = (bytes?: number) =>
    bytes === undefined ? "n/a" : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const rows: [string, string][] = [
    ["clients held (announced)", String(result.clientsHeld)],
    ["connect + announce time", `${result.connectSeconds.toFixed(2)} s`],
    ["relays delivered / sent", `${result.relaysDelivered} / ${result.relaysSent}`],
    ["relay messages/s", Math.round(result.relaysPerSecond).toLocaleString("en-US")],
    [
      "relay latency p50 / p99",
      `${result.relayP50Ms.toFixed(2)} / ${result.relayP99Ms.toFixed(2)} ms (one at a time)`,
    ],
    [
      "  under the full burst",
      `${result.burstP50Ms.toFixed(0)} / ${result.burstP99Ms.toFixed(0)} ms (queueing)`,
    ],
    ["server RSS idle / loaded", `${mb(result.serverRssIdle)} / ${mb(result.serverRssLoaded)}`],
    [
      "server RSS per connection",
      result.rssPerConnection === undefined
        ? "n/a"
        : `${(result.rssPerConnection / 1024).toFixed(1)} KiB`,
    ],
    ...Object.entries(result.cpuMicrosPerRelayByTier ?? {}).map((
      [tier, micros],
    ): [string, string] => [`${tier} CPU per relay`, `${micros.toFixed(1)} µs`]),
    ["server errors", JSON.stringify(result.serverErrors)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(28)} ${v}`).join("\n");
}

function serverOption(): SignalServerKind {
  const server = textOption("--server") ?? "flnet";
  if (!SIGNAL_SERVER_KINDS.includes(server as SignalServerKind)) {
    throw new Error(`--server must be ${SIGNAL_SERVER_KINDS.join(", ")}; got "${server}"`);
  }
  return server as SignalServerKind;
}

if (import.meta.main) {
  const options: SignalLoadOptions = {
    clients: numberOption("--clients", 2000),
    relaysPerClient: numberOption("--relays", 20),
    payloadBytes: numberOption("--payload", 2048),
    connectConcurrency: numberOption("--concurrency", 100),
    server: serverOption(),
  };
  const result = await runSignalLoad(options);
  await publish(formatSignalTable(result), {
    bench: "signal",
    options,
    result,
  });
}

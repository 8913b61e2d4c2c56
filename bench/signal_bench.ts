/**
 * Signalling server load: N announced clients held at once, relaying offer/answer-sized
 * messages to each other. The server runs in its own process (`signal/main.ts`); the clients
 * run here. Reports nodes held, relay messages/s, relay latency, and server memory per
 * connection, as a table and JSON.
 *
 *     npm run bench:signal                      # 2,000 clients
 *     deno run -A bench/signal_bench.ts --clients 500 --relays 10 --json out.json
 * @module
 */

import { NodeConfig } from "../core/config.ts";
import { RawClient } from "../test/support/raw_client.ts";
import { startSignalProcess } from "../test/support/signal_process.ts";
import { numberOption, publish } from "./report.ts";

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
}

/** What one load run measured. */
export interface SignalLoadResult {
  /** Clients announced and held at the end of the connect phase. */
  clientsHeld: number;
  /** Seconds to connect and announce all clients. */
  connectSeconds: number;
  /** Relay messages delivered. */
  relaysDelivered: number;
  /** Relay messages expected. */
  relaysSent: number;
  /** Delivered relay messages per second. */
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
  /** Error codes the server reported during the run. */
  serverErrors: Record<string, number>;
}

/** Runs one load round against a fresh server process. */
export async function runSignalLoad(options: SignalLoadOptions): Promise<SignalLoadResult> {
  const server = await startSignalProcess(["--max-conns", String(options.clients + 100)]);
  const http = server.url.replace("ws:", "http:");
  const clients: RawClient[] = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const serverRssIdle = await server.rss();
    const configs = await Promise.all(
      Array.from({ length: options.clients }, () => NodeConfig.create()),
    );
    const connectStart = performance.now();
    for (let i = 0; i < configs.length; i += options.connectConcurrency) {
      const batch = configs.slice(i, i + options.connectConcurrency);
      clients.push(...await Promise.all(batch.map((c) => RawClient.announced(server.url, c))));
    }
    const connectSeconds = (performance.now() - connectStart) / 1000;
    const stats = await (await fetch(`${http}/stats`)).json();
    const serverRssLoaded = await server.rss();

    const latencies: number[] = [];
    const relaysSent = options.clients * options.relaysPerClient;
    let delivered!: () => void;
    const allDelivered = new Promise<void>((resolve) => delivered = resolve);
    for (const client of clients) {
      client.socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type !== "relay") return;
        latencies.push(performance.now() - message.signal.t);
        if (latencies.length === relaysSent) delivered();
      };
    }
    const pad = "x".repeat(options.payloadBytes);
    const relayStart = performance.now();
    for (let round = 0; round < options.relaysPerClient; round++) {
      for (const [i, client] of clients.entries()) {
        const to = configs[(i + 1 + round) % configs.length].id;
        client.send({
          type: "relay",
          to,
          signal: { kind: "offer", t: performance.now(), sdp: pad },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([allDelivered, new Promise((r) => timer = setTimeout(r, 60_000))]);
    clearTimeout(timer);
    const relaySeconds = (performance.now() - relayStart) / 1000;
    latencies.sort((a, b) => a - b);
    const quiet = await sequentialLatencies(clients[0], clients[1], configs[1].id, pad, 200);
    const final = await (await fetch(`${http}/stats`)).json();
    return {
      clientsHeld: stats.nodesOnline,
      connectSeconds,
      relaysDelivered: latencies.length,
      relaysSent,
      relaysPerSecond: latencies.length / relaySeconds,
      burstP50Ms: percentile(latencies, 0.5),
      burstP99Ms: percentile(latencies, 0.99),
      relayP50Ms: percentile(quiet, 0.5),
      relayP99Ms: percentile(quiet, 0.99),
      serverRssIdle,
      serverRssLoaded,
      rssPerConnection: serverRssIdle && serverRssLoaded
        ? (serverRssLoaded - serverRssIdle) / options.clients
        : undefined,
      serverErrors: final.errorsByCode,
    };
  } finally {
    for (const client of clients) client.socket.close();
    await server.stop();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/** One relay at a time from `a` to `b`: the latency a node sees when the server is not busy. */
async function sequentialLatencies(
  a: RawClient,
  b: RawClient,
  to: string,
  pad: string,
  count: number,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const arrived = new Promise<void>((resolve) => {
      b.socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type === "relay") latencies.push(performance.now() - message.signal.t);
        resolve();
      };
    });
    a.send({ type: "relay", to, signal: { kind: "answer", t: performance.now(), sdp: pad } });
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
    ["server errors", JSON.stringify(result.serverErrors)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(28)} ${v}`).join("\n");
}

if (import.meta.main) {
  const options: SignalLoadOptions = {
    clients: numberOption("--clients", 2000),
    relaysPerClient: numberOption("--relays", 20),
    payloadBytes: numberOption("--payload", 2048),
    connectConcurrency: numberOption("--concurrency", 100),
  };
  const result = await runSignalLoad(options);
  await publish(formatSignalTable(result), {
    bench: "signal",
    options,
    date: new Date().toISOString(),
    result,
  });
}

/**
 * Network benchmark, per engine, measured in one run over loopback, flnet against a raw
 * RTCDataChannel and simple-peer on the same engine (bench/network_baselines.ts):
 * - throughput with 64 KiB and with 1 KiB messages (everyone pauses above 1 MiB buffered,
 *   simple-peer by its own stream backpressure);
 * - time from starting to connect until a first message arrived, setup relayed through the
 *   same signalling server;
 * - what proving the setup costs (signing and checking its messages), against that time.
 *
 *     npm run bench:network
 *     deno run -A bench/network_bench.ts --megabytes 8 --rounds 3 --json out.json
 * @module
 */

import type { WebRTCEngine } from "../node.ts";
import { type RunningSignalServer, serveSignal } from "../adapters/deno/serve_signal.ts";
import { NodeConfig } from "../core/config.ts";
import { signSetup, verifySetup } from "../net/setup_signal.ts";
import { withPair } from "../harness/network.ts";
import {
  rawFirstMessage,
  rawRoundTrips,
  rawThroughput,
  simplePeerFirstMessage,
  simplePeerThroughput,
  transferRate,
} from "./network_baselines.ts";
import { numberOption, publish } from "./report.ts";

/** Options of {@link runNetworkBench}. */
export interface NetworkBenchOptions {
  /** Engines to measure. */
  engines: WebRTCEngine[];
  /** Data per throughput round with 64 KiB messages, in MiB (an eighth with 1 KiB). */
  megabytes: number;
  /** Rounds per measurement; the median is reported. */
  rounds: number;
}

/** The three contenders. */
export const CONTENDERS = ["flnet", "raw", "simple-peer"] as const;
/** One of {@link CONTENDERS}. */
export type Contender = typeof CONTENDERS[number];

/** Throughput of one engine and message size. */
export interface ThroughputRow {
  /** The engine. */
  engine: WebRTCEngine;
  /** Message size, bytes. */
  messageBytes: number;
  /** MB/s (10^6 bytes) by contender, median of the rounds. */
  mbps: Record<Contender, number>;
}

/** First-message latency of one engine. */
export interface LatencyRow {
  /** The engine. */
  engine: WebRTCEngine;
  /** ms from starting to connect until the first message arrived, by contender (median). */
  ms: Record<Contender, number>;
}

/** Round-trip times of one engine: ping-pongs of a small message, one at a time. */
export interface RoundTripRow {
  /** The engine. */
  engine: WebRTCEngine;
  /** Ping-pongs measured per contender. */
  count: number;
  /** Median round trip in ms, flnet and raw. */
  p50: { flnet: number; raw: number };
}

/** What signing and checking the setup messages of one connection costs. */
export interface SetupProofRow {
  /** The engine. */
  engine: WebRTCEngine;
  /** Setup messages relayed per connection (both directions). */
  messages: number;
  /** Bytes the signalling server relayed per connection. */
  relayedBytes: number;
  /** Bytes of proof (time and signature fields) per connection. */
  proofBytes: number;
  /** CPU ms per connection to sign every message on one side and check it on the other. */
  ms: number;
  /** `ms` as a share of flnet's first-message time on this engine. */
  shareOfFirstMessage: number;
}

/** Everything one run measured. */
export interface NetworkBenchResult {
  /** Throughput rows (engine × message size). */
  throughput: ThroughputRow[];
  /** Latency rows (per engine). */
  latency: LatencyRow[];
  /** Round-trip rows (per engine). */
  roundTrip: RoundTripRow[];
  /** Setup proof rows (per engine). */
  setupProof: SetupProofRow[];
}

/** Ping-pongs per round-trip measurement. */
const ROUND_TRIPS = 500;

const SIZES = [64 * 1024, 1024];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** flnet: MB/s of `count` messages of `size` bytes between two connected nodes. */
async function flnetThroughput(
  url: string,
  engine: WebRTCEngine,
  size: number,
  count: number,
): Promise<number> {
  return await withPair(url, engine, async (a, b) => {
    await a.send(b.id, "warm up");
    await b.recv();
    const listen = (arrived: () => void) =>
      void (async () => {
        for (let i = 0; i < count; i++) {
          await b.recv();
          arrived();
        }
      })();
    return await transferRate(count, size, listen, (payload) => void a.send(b.id, payload));
  });
}

/** flnet: the round-trip times (ms) of `count` ping-pongs between two connected nodes. */
async function flnetRoundTrips(url: string, engine: WebRTCEngine, count: number) {
  return await withPair(url, engine, async (a, b) => {
    const echo = b.onMessage((msg) => void b.send(msg.from, msg.data));
    try {
      const ping = new Uint8Array(16);
      const times: number[] = [];
      for (let i = 0; i <= count; i++) {
        const start = performance.now();
        await a.send(b.id, ping);
        await a.recv();
        if (i > 0) times.push(performance.now() - start); // the first one connects
      }
      return times;
    } finally {
      echo.remove();
    }
  });
}

/** flnet: ms from `send` to a node not yet connected until it received the message. */
async function flnetFirstMessage(url: string, engine: WebRTCEngine): Promise<number> {
  return await withPair(url, engine, async (a, b) => {
    const start = performance.now();
    void a.send(b.id, "first");
    await b.recv();
    return performance.now() - start;
  });
}

/**
 * The cost of proving one connection's setup: the messages and bytes the server relays for one
 * real connection on `engine`, then signing and checking as many messages of that size.
 */
async function setupProof(
  server: RunningSignalServer,
  engine: WebRTCEngine,
  firstMessageMs: number,
): Promise<SetupProofRow> {
  const before = server.server.stats();
  await flnetFirstMessage(server.url, engine);
  const after = server.server.stats();
  const messages = after.messagesRelayed - before.messagesRelayed;
  const relayedBytes = after.bytesRelayed - before.bytesRelayed;
  const [a, b] = [await NodeConfig.create(), await NodeConfig.create()];
  const sdp = "v=0\r\n" + "a=x\r\n".repeat(Math.round(relayedBytes / messages / 5));
  const rounds = 20;
  const start = performance.now();
  let proofBytes = 0;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < messages; i++) {
      const signed = await signSetup(a, b.id, { kind: "offer", session: `s${round}`, sdp });
      await verifySetup(a.id, b.id, signed);
      if (round === 0) {
        proofBytes += JSON.stringify({ time: signed.time, signature: signed.signature }).length;
      }
    }
  }
  const ms = (performance.now() - start) / rounds;
  return {
    engine,
    messages,
    relayedBytes,
    proofBytes,
    ms,
    shareOfFirstMessage: ms / firstMessageMs,
  };
}

/** Measures every engine; within a round the contenders take turns so noise hits all alike. */
export async function runNetworkBench(options: NetworkBenchOptions): Promise<NetworkBenchResult> {
  const server = await serveSignal({ port: 0 });
  const result: NetworkBenchResult = { throughput: [], latency: [], roundTrip: [], setupProof: [] };
  try {
    for (const engine of options.engines) {
      for (const size of SIZES) {
        const bytes = options.megabytes * 1024 * 1024 / (size < 65536 ? 8 : 1);
        const count = Math.max(1, Math.ceil(bytes / size));
        const runs: Record<Contender, () => Promise<number>> = {
          "flnet": () => flnetThroughput(server.url, engine, size, count),
          "raw": () => rawThroughput(engine, size, count),
          "simple-peer": () => simplePeerThroughput(engine, size, count),
        };
        result.throughput.push({ engine, messageBytes: size, mbps: await medians(runs, options) });
      }
      const runs: Record<Contender, () => Promise<number>> = {
        "flnet": () => flnetFirstMessage(server.url, engine),
        "raw": () => rawFirstMessage(server.url, engine),
        "simple-peer": () => simplePeerFirstMessage(server.url, engine),
      };
      const latency = await medians(runs, options);
      result.latency.push({ engine, ms: latency });
      result.setupProof.push(await setupProof(server, engine, latency.flnet));
      const flnet = await flnetRoundTrips(server.url, engine, ROUND_TRIPS);
      const raw = await rawRoundTrips(engine, ROUND_TRIPS);
      result.roundTrip.push({
        engine,
        count: ROUND_TRIPS,
        p50: { flnet: median(flnet), raw: median(raw) },
      });
    }
  } finally {
    await server.close();
  }
  return result;
}

async function medians(
  runs: Record<Contender, () => Promise<number>>,
  options: NetworkBenchOptions,
): Promise<Record<Contender, number>> {
  const samples = Object.fromEntries(CONTENDERS.map((c) => [c, [] as number[]]));
  for (let round = 0; round < options.rounds; round++) {
    for (const contender of CONTENDERS) samples[contender].push(await runs[contender]());
  }
  return Object.fromEntries(CONTENDERS.map((c) => [c, median(samples[c])])) as Record<
    Contender,
    number
  >;
}

/** Formats a result as two aligned tables. */
export function formatNetworkTable(result: NetworkBenchResult): string {
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(26) : c.padStart(13))).join("");
  const throughput = result.throughput.map((r) =>
    line([
      `${r.engine}, ${r.messageBytes / 1024} KiB`,
      ...CONTENDERS.map((c) => r.mbps[c].toFixed(1)),
      (r.mbps.flnet / r.mbps.raw).toFixed(2),
      (r.mbps.flnet / r.mbps["simple-peer"]).toFixed(2),
    ])
  );
  const latency = result.latency.map((r) =>
    line([
      r.engine,
      ...CONTENDERS.map((c) => r.ms[c].toFixed(1)),
      (r.ms.flnet / r.ms.raw).toFixed(2),
      (r.ms.flnet / r.ms["simple-peer"]).toFixed(2),
    ])
  );
  const roundTrip = result.roundTrip.map((r) =>
    line([
      r.engine,
      r.p50.flnet.toFixed(3),
      r.p50.raw.toFixed(3),
      (r.p50.flnet / r.p50.raw).toFixed(2),
    ])
  );
  const proof = result.setupProof.map((r) =>
    line([
      r.engine,
      String(r.messages),
      String(r.relayedBytes),
      String(r.proofBytes),
      r.ms.toFixed(2),
      (r.shareOfFirstMessage * 100).toFixed(1) + " %",
    ])
  );
  return [
    line(["MB/s", ...CONTENDERS, "flnet/raw", "flnet/s-p"]),
    ...throughput,
    "",
    line(["first message, ms", ...CONTENDERS, "flnet/raw", "flnet/s-p"]),
    ...latency,
    "",
    line(["round trip p50, ms", "flnet", "raw", "flnet/raw"]),
    ...roundTrip,
    "",
    line(["setup proof, per conn.", "messages", "bytes", "proof bytes", "CPU ms", "of 1st msg"]),
    ...proof,
  ].join("\n");
}

if (import.meta.main) {
  const options: NetworkBenchOptions = {
    engines: ["wrtc", "node-datachannel"],
    megabytes: numberOption("--megabytes", 32),
    rounds: numberOption("--rounds", 5),
  };
  const result = await runNetworkBench(options);
  await publish(formatNetworkTable(result), {
    bench: "network",
    options,
    result,
  });
  Deno.exit(0); // the native engines keep handles open after their peers closed
}

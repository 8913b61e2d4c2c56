/**
 * Network benchmark, per engine, measured in one run over loopback:
 * - throughput of `Network.send` with 64 KiB messages against a raw RTCDataChannel of the
 *   same engine (same backpressure rule: pause above 1 MiB buffered);
 * - time from `send` to a peer not yet connected until delivery, against a hand-written
 *   offer/answer exchange through the same signalling server.
 *
 *     npm run bench:network
 *     deno run -A bench/network_bench.ts --megabytes 8 --rounds 3 --json out.json
 * @module
 */

import { NodeConfig } from "../core/config.ts";
import type { NodeID } from "../core/ids.ts";
import { candidateFilters, filterSdp } from "../net/candidates.ts";
import { startSignalClient } from "../net/signal_client.ts";
import { loadWebRTCEngine, NodeWebSocket, type WebRTCEngine } from "../node.ts";
import { serveSignal } from "../signal/serve.ts";
import { loopbackNode } from "../test/support/network.ts";
import { numberOption, publish } from "./report.ts";

/** Options of {@link runNetworkBench}. */
export interface NetworkBenchOptions {
  /** Engines to measure. */
  engines: WebRTCEngine[];
  /** Data per throughput round, in MiB. */
  megabytes: number;
  /** Rounds per measurement; the median is reported. */
  rounds: number;
}

/** One engine's figures. */
export interface NetworkBenchRow {
  /** The engine. */
  engine: WebRTCEngine;
  /** flnet `send` throughput, MB/s (10^6 bytes). */
  flnetMBps: number;
  /** Raw RTCDataChannel throughput, MB/s. */
  rawMBps: number;
  /** flnet / raw. */
  throughputRatio: number;
  /** flnet: ms from `send` to an unconnected peer until it received the message. */
  flnetFirstMessageMs: number;
  /** Raw offer/answer through the server: ms until the first message arrived. */
  rawFirstMessageMs: number;
  /** flnet / raw. */
  latencyRatio: number;
}

const CHUNK = 64 * 1024;
const HIGH = 1024 * 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function rtcConfig(engine: WebRTCEngine): RTCConfiguration {
  return (engine === "node-datachannel"
    ? { iceServers: [], bindAddress: "127.0.0.1" }
    : { iceServers: [] }) as RTCConfiguration;
}

/** flnet: MB/s of 64 KiB messages from one node to another (connected beforehand). */
async function flnetThroughput(url: string, engine: WebRTCEngine, bytes: number): Promise<number> {
  const a = await loopbackNode(url, engine, "a");
  const b = await loopbackNode(url, engine, "b");
  try {
    await a.send(b.id, "warm up");
    await b.recv();
    const payload = new Uint8Array(CHUNK);
    const count = Math.ceil(bytes / CHUNK);
    const start = performance.now();
    const received = (async () => {
      for (let i = 0; i < count; i++) await b.recv();
    })();
    for (let i = 0; i < count; i++) void a.send(b.id, payload);
    await received;
    return (count * CHUNK) / 1e6 / ((performance.now() - start) / 1000);
  } finally {
    await a.close();
    await b.close();
  }
}

/** Two RTCPeerConnections of `engine` wired directly, with a negotiated channel each. */
async function rawPair(engine: WebRTCEngine) {
  const RTC = await loadWebRTCEngine(engine);
  const a = new RTC(rtcConfig(engine));
  const b = new RTC(rtcConfig(engine));
  const loop = (c: RTCIceCandidate | null) => c && /\b127\.0\.0\.1\b/.test(c.candidate);
  a.onicecandidate = (e) => loop(e.candidate) && b.addIceCandidate(e.candidate!).catch(() => {});
  b.onicecandidate = (e) => loop(e.candidate) && a.addIceCandidate(e.candidate!).catch(() => {});
  const send = a.createDataChannel("raw", { negotiated: true, id: 0 });
  const receive = b.createDataChannel("raw", { negotiated: true, id: 0 });
  receive.binaryType = "arraybuffer";
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription({
    type: "offer",
    sdp: filterSdp(a.localDescription!.sdp, candidateFilters.loopbackOnly),
  });
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription({
    type: "answer",
    sdp: filterSdp(b.localDescription!.sdp, candidateFilters.loopbackOnly),
  });
  if (send.readyState !== "open") await new Promise((resolve) => send.onopen = resolve);
  return { a, b, send, receive };
}

/** Raw RTCDataChannel: MB/s of 64 KiB messages, pausing above 1 MiB buffered. */
async function rawThroughput(engine: WebRTCEngine, bytes: number): Promise<number> {
  const { a, b, send, receive } = await rawPair(engine);
  try {
    const count = Math.ceil(bytes / CHUNK);
    let got = 0;
    const done = new Promise<void>((resolve) => {
      receive.onmessage = () => {
        if (++got === count) resolve();
      };
    });
    const payload = new Uint8Array(CHUNK);
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      while (send.bufferedAmount > HIGH) await new Promise((resolve) => setTimeout(resolve, 1));
      send.send(payload);
    }
    await done;
    return (count * CHUNK) / 1e6 / ((performance.now() - start) / 1000);
  } finally {
    a.close();
    b.close();
  }
}

/** flnet: ms from `send` to an unconnected peer until delivery. */
async function flnetFirstMessage(url: string, engine: WebRTCEngine): Promise<number> {
  const a = await loopbackNode(url, engine, "a");
  const b = await loopbackNode(url, engine, "b");
  try {
    const start = performance.now();
    void a.send(b.id, "first");
    await b.recv();
    return performance.now() - start;
  } finally {
    await a.close();
    await b.close();
  }
}

/** A hand-written offer/answer through the same server with the same signalling client. */
async function rawFirstMessage(url: string, engine: WebRTCEngine): Promise<number> {
  const RTC = await loadWebRTCEngine(engine);
  const ws = { websocket: { WebSocket: NodeWebSocket } };
  const [ca, cb] = await Promise.all([NodeConfig.create(), NodeConfig.create()]);
  const sa = startSignalClient(ca, url, ws);
  const sb = startSignalClient(cb, url, ws);
  const ready = (s: typeof sa) =>
    new Promise<void>((resolve) =>
      s.tapOut((o) => {
        if (o.type === "ready") resolve();
      })
    );
  await Promise.all([ready(sa), ready(sb)]);
  const a = new RTC(rtcConfig(engine));
  const b = new RTC(rtcConfig(engine));
  const relay = (from: typeof sa, to: NodeID) => (signal: Record<string, unknown>) =>
    from.enqueueIn({ type: "relay", to, signal });
  const toB = relay(sa, cb.id);
  const toA = relay(sb, ca.id);
  const loop = (c: RTCIceCandidate | null) => c && /\b127\.0\.0\.1\b/.test(c.candidate);
  a.onicecandidate = (e) => loop(e.candidate) && toB({ candidate: e.candidate!.candidate });
  b.onicecandidate = (e) => loop(e.candidate) && toA({ candidate: e.candidate!.candidate });
  const received = new Promise<void>((resolve) => {
    const channel = b.createDataChannel("raw", { negotiated: true, id: 0 });
    channel.onmessage = () => resolve();
  });
  sb.tapOut(async (o) => {
    if (o.type !== "relay") return;
    if (o.signal.sdp) {
      await b.setRemoteDescription({
        type: "offer",
        sdp: filterSdp(o.signal.sdp as string, candidateFilters.loopbackOnly),
      });
      await b.setLocalDescription(await b.createAnswer());
      toA({ sdp: filterSdp(b.localDescription!.sdp, candidateFilters.loopbackOnly) });
    } else {await b.addIceCandidate({ candidate: o.signal.candidate as string, sdpMid: "0" }).catch(
        () => {},
      );}
  });
  sa.tapOut(async (o) => {
    if (o.type !== "relay") return;
    if (o.signal.sdp) await a.setRemoteDescription({ type: "answer", sdp: o.signal.sdp as string });
    else {await a.addIceCandidate({ candidate: o.signal.candidate as string, sdpMid: "0" }).catch(
        () => {},
      );}
  });
  try {
    const start = performance.now();
    const channel = a.createDataChannel("raw", { negotiated: true, id: 0 });
    channel.onopen = () => channel.send("first");
    await a.setLocalDescription(await a.createOffer());
    toB({ sdp: filterSdp(a.localDescription!.sdp, candidateFilters.loopbackOnly) });
    await received;
    return performance.now() - start;
  } finally {
    a.close();
    b.close();
    await sa.emitIn({ type: "close" });
    await sb.emitIn({ type: "close" });
  }
}

/** Measures every engine; rounds alternate flnet and raw so noise hits both alike. */
export async function runNetworkBench(options: NetworkBenchOptions): Promise<NetworkBenchRow[]> {
  const server = await serveSignal({ port: 0 });
  const rows: NetworkBenchRow[] = [];
  try {
    for (const engine of options.engines) {
      const bytes = options.megabytes * 1024 * 1024;
      const flnet: number[] = [], raw: number[] = [], flnetMs: number[] = [], rawMs: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        flnet.push(await flnetThroughput(server.url, engine, bytes));
        raw.push(await rawThroughput(engine, bytes));
        flnetMs.push(await flnetFirstMessage(server.url, engine));
        rawMs.push(await rawFirstMessage(server.url, engine));
      }
      const row = {
        engine,
        flnetMBps: median(flnet),
        rawMBps: median(raw),
        flnetFirstMessageMs: median(flnetMs),
        rawFirstMessageMs: median(rawMs),
      };
      rows.push({
        ...row,
        throughputRatio: row.flnetMBps / row.rawMBps,
        latencyRatio: row.flnetFirstMessageMs / row.rawFirstMessageMs,
      });
    }
  } finally {
    await server.close();
  }
  return rows;
}

/** Formats rows as an aligned table. */
export function formatNetworkTable(rows: NetworkBenchRow[]): string {
  const head = ["engine", "flnet MB/s", "raw MB/s", "ratio", "flnet 1st ms", "raw 1st ms", "ratio"];
  const lines = rows.map((r) => [
    r.engine,
    r.flnetMBps.toFixed(1),
    r.rawMBps.toFixed(1),
    r.throughputRatio.toFixed(2),
    r.flnetFirstMessageMs.toFixed(1),
    r.rawFirstMessageMs.toFixed(1),
    r.latencyRatio.toFixed(2),
  ]);
  return [head, ...lines].map((cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(18) : c.padStart(13))).join("")
  ).join("\n");
}

if (import.meta.main) {
  const options: NetworkBenchOptions = {
    engines: ["wrtc", "node-datachannel"],
    megabytes: numberOption("--megabytes", 32),
    rounds: numberOption("--rounds", 5),
  };
  const rows = await runNetworkBench(options);
  await publish(formatNetworkTable(rows), {
    bench: "network",
    options,
    date: new Date().toISOString(),
    rows,
  });
}

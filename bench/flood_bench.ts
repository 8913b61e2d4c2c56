/**
 * What a hostile peer's flood costs the node it floods, on each engine. The target is a separate
 * process (`harness/peer_main.ts --mode target`: it reads every message and answers pings), so
 * its memory is its own: the resident set (VmRSS) is sampled every 100 ms. The attacker is a
 * flnet node here whose engine hands the test its data channel; once connected it writes frames
 * straight into the channel at full speed (waiting only while the channel buffers 1 MiB), for
 * 10 s or until the target drops it: heartbeats, malformed 15-byte frames, or well-formed
 * 20-byte messages for the application. Meanwhile an honest node pings the target every 100 ms.
 * Reports per flood: frames and MB written, whether and after how many frames the target
 * dropped the attacker, the target's resident memory at rest and at its peak, and the honest
 * pings answered with their median round trip.
 *
 *     deno run -A bench/flood_bench.ts [--seconds 10]
 * @module
 */

import { type RunningSignalServer, serveSignal } from "../adapters/deno/serve_signal.ts";
import { loadWebRTCEngine, type WebRTCEngine } from "../adapters/node/webrtc.ts";
import { readFile } from "node:fs/promises";
import { BEAT_MODULE } from "../net/control.ts";
import { encodeMessage } from "../net/framing.ts";
import type { RTCPeerConnectionConstructor } from "../net/peer_setup.ts";
import { ENGINES, loopbackNode, until } from "../harness/network.ts";
import { startPeer } from "../harness/peer_process.ts";
import { numberOption, publish } from "./report.ts";

/** One flood's outcome. */
export interface FloodRow {
  engine: WebRTCEngine;
  /** What the attacker wrote. */
  kind: "heartbeats" | "malformed frames" | "messages";
  frames: number;
  sentMB: number;
  /** Frames written before the target dropped the attacker, or null if it did not. */
  droppedAfter: number | null;
  /** Why the target said it dropped the attacker. */
  reason?: string;
  /** The target's resident memory before the flood and at its peak during it, MB. */
  restMB: number;
  peakMB: number;
  /** Honest pings sent during the flood, answered, and their median round trip (ms). */
  pings: number;
  pongs: number;
  pingP50Ms: number | null;
}

const FRAMES: Record<FloodRow["kind"], () => Uint8Array> = {
  "heartbeats": () => [...encodeMessage(0, { module: BEAT_MODULE, data: new Uint8Array(0) })][0],
  "malformed frames": () => crypto.getRandomValues(new Uint8Array(15)).fill(9, 0, 1),
  "messages": () => [...encodeMessage(1, { module: "", data: "x".repeat(20) })][0],
};

/** The engine `engine`, handing over each data channel its connections create. */
async function tappedEngine(engine: WebRTCEngine, channels: RTCDataChannel[]) {
  const Base = await loadWebRTCEngine(engine) as unknown as new (
    config?: RTCConfiguration,
  ) => RTCPeerConnection;
  class Tapped extends Base {
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const dc = super.createDataChannel(label, init);
      channels.push(dc);
      return dc;
    }
  }
  return Tapped as unknown as RTCPeerConnectionConstructor;
}

/** The resident memory of process `pid`, MB. */
async function residentMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function flood(
  server: RunningSignalServer,
  engine: WebRTCEngine,
  kind: FloodRow["kind"],
  seconds: number,
): Promise<FloodRow> {
  const target = await startPeer("deno", [
    ...["--mode", "target", "--signal", server.url, "--engine", engine],
  ]);
  const pid = target.child.pid!;
  const told: Record<string, unknown>[] = [];
  void (async () => {
    for (;;) told.push(await target.next());
  })().catch(() => {}); // until it exits
  const channels: RTCDataChannel[] = [];
  const RTCPeerConnection = await tappedEngine(engine, channels);
  const attacker = await loopbackNode(server.url, engine, "attacker", { RTCPeerConnection });
  const honest = await loopbackNode(server.url, engine, "honest");
  attacker.onError(() => {});
  try {
    await attacker.send(target.id, "hello");
    await honest.send(target.id, "ping warm-up");
    await honest.recv();
    const dc = channels.at(-1)!;
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // at rest
    const restMB = await residentMB(pid);
    let peakMB = restMB;
    const sampler = setInterval(async () => {
      peakMB = Math.max(peakMB, await residentMB(pid).catch(() => 0));
    }, 100);
    const rtts: number[] = [];
    let pings = 0;
    const sentAt = new Map<number, number>();
    const pinger = setInterval(() => {
      sentAt.set(pings, performance.now());
      honest.send(target.id, `ping ${pings++}`).catch(() => {});
    }, 100);
    const listening = honest.onMessage((msg) => {
      const n = Number(String(msg.data).slice(5));
      const at = sentAt.get(n);
      if (at !== undefined) rtts.push(performance.now() - at);
    });
    let frames = 0;
    let bytes = 0;
    const frame = FRAMES[kind];
    const ends = performance.now() + seconds * 1000;
    const gone = () => told.find((e) => e.event === "disconnected" && e.id === attacker.id);
    let droppedAfter: number | null = null;
    while (dc.readyState === "open" && performance.now() < ends) {
      if (droppedAfter === null && gone()) droppedAfter = frames;
      if (dc.bufferedAmount > 1024 * 1024) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      const next = frame();
      try {
        (dc.send as (data: Uint8Array) => void)(next);
      } catch {
        break; // the channel closed under us
      }
      frames++;
      bytes += next.length;
      if (frames % 256 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // what was buffered lands
    if (droppedAfter === null && gone()) droppedAfter = frames;
    clearInterval(pinger);
    clearInterval(sampler);
    await until("the last pongs", () => rtts.length >= pings - 2, 5_000).catch(() => {});
    listening.remove();
    rtts.sort((a, b) => a - b);
    return {
      engine,
      kind,
      frames,
      sentMB: bytes / 1e6,
      droppedAfter,
      ...(gone() ? { reason: String(gone()!.reason) } : {}),
      restMB,
      peakMB,
      pings,
      pongs: rtts.length,
      pingP50Ms: rtts.length ? rtts[Math.floor(rtts.length / 2)] : null,
    };
  } finally {
    await attacker.close();
    await honest.close();
    target.child.kill("SIGKILL");
    await target.exited;
  }
}

if (import.meta.main) {
  const seconds = numberOption("--seconds", 10);
  const server = await serveSignal({ port: 0 });
  const rows: FloodRow[] = [];
  for (const engine of ENGINES) {
    for (const kind of Object.keys(FRAMES) as FloodRow["kind"][]) {
      rows.push(await flood(server, engine, kind, seconds));
    }
  }
  await server.close();
  const table = rows.map((r) =>
    `${r.engine.padEnd(16)} ${r.kind.padEnd(16)} ${String(r.frames).padStart(9)} frames ` +
    `(${r.sentMB.toFixed(1)} MB), ${
      r.droppedAfter === null ? "not dropped" : `dropped after ${r.droppedAfter}`
    }; target ${r.restMB.toFixed(0)} MB at rest, peak ${r.peakMB.toFixed(0)} MB ` +
    `(+${(r.peakMB - r.restMB).toFixed(0)}); honest pings ${r.pongs}/${r.pings}, p50 ` +
    `${r.pingP50Ms?.toFixed(1) ?? "-"} ms`
  ).join("\n");
  await publish(table, { bench: "flood", seconds, rows });
  Deno.exit(0); // the native engines keep handles open after their peers closed
}

// deno-lint-ignore-file no-console
/**
 * Soak: one long-lived Node in its own process (node-datachannel, test timings) among others
 * that come and go, each with a fresh identity, chatting now and then; the long-lived node's
 * resident memory is sampled throughout. Does it level off? Prints one JSON line per sample
 * and, at the end, the growth over the first and the second half in MB per minute.
 *
 *     npm run soak -- --minutes 30 --nodes 8 --churn-seconds 10
 * @module
 */

import { readFile } from "node:fs/promises";
import { IntervalTimer } from "../core/timer.ts";
import type { Node } from "../node/node.ts";
import { serveSignal } from "../adapters/deno/serve_signal.ts";
import { loopbackFullNode } from "../harness/network.ts";
import { startPeer } from "../harness/peer_process.ts";
import { numberOption, publish } from "./report.ts";

/** One sample of the long-lived node. */
export interface SoakSample {
  /** Minutes since the start. */
  minute: number;
  /** Its resident memory, MB. */
  rssMB: number;
  /** Nodes that have come and gone so far. */
  churned: number;
}

/** What a soak found. */
export interface SoakResult {
  /** Every sample. */
  samples: SoakSample[];
  /** MB per minute over the first half of the samples and over the second. */
  growth: { firstHalf: number; secondHalf: number };
}

async function rssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) / 1024;
}

/** Least-squares slope of `y` over `x`. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** Runs the soak for `minutes`, keeping `nodes` others, replacing one every `churnSeconds`. */
export async function soak(
  minutes: number,
  nodes: number,
  churnSeconds: number,
  onSample: (sample: SoakSample) => void = () => {},
): Promise<SoakResult> {
  const server = await serveSignal({ port: 0 });
  const timer = new IntervalTimer(100);
  const watched = await startPeer("deno", [
    ...["--mode", "node", "--signal", server.url, "--engine", "node-datachannel"],
    ...["--name", "long-lived"],
  ]);
  const others: Node[] = [];
  const samples: SoakSample[] = [];
  let churned = 0;
  const start = Date.now();
  const join = async () => {
    others.push(await loopbackFullNode(server.url, "node-datachannel", timer, `n${churned}`));
  };
  try {
    for (let i = 0; i < nodes; i++) await join();
    const sampleEvery = Math.max(2_000, minutes * 60_000 / 60);
    let nextSample = start;
    while (Date.now() - start < minutes * 60_000) {
      if (Date.now() >= nextSample) {
        const sample = {
          minute: (Date.now() - start) / 60_000,
          rssMB: await rssMB(watched.child.pid!),
          churned,
        };
        samples.push(sample);
        onSample(sample);
        nextSample += sampleEvery;
      }
      await new Promise((resolve) => setTimeout(resolve, churnSeconds * 1000));
      const leaving = others.splice(Math.floor(Math.random() * others.length), 1)[0];
      await leaving.sendChat(`bye from ${leaving.config.info.name}`).catch(() => {});
      await leaving.close();
      churned++;
      await join();
    }
  } finally {
    for (const node of others) await node.close();
    timer.close();
    watched.child.kill("SIGKILL");
    await watched.exited;
    await server.close();
  }
  const half = Math.floor(samples.length / 2);
  const line = (part: SoakSample[]) => slope(part.map((s) => ({ x: s.minute, y: s.rssMB })));
  return {
    samples,
    growth: { firstHalf: line(samples.slice(0, half)), secondHalf: line(samples.slice(half)) },
  };
}

if (import.meta.main) {
  const options = {
    minutes: numberOption("--minutes", 30),
    nodes: numberOption("--nodes", 8),
    churnSeconds: numberOption("--churn-seconds", 10),
  };
  const result = await soak(
    options.minutes,
    options.nodes,
    options.churnSeconds,
    (sample) => console.log(JSON.stringify(sample)),
  );
  const { firstHalf, secondHalf } = result.growth;
  await publish(
    `long-lived node RSS growth, MB/min: first half ${firstHalf.toFixed(3)}, ` +
      `second half ${secondHalf.toFixed(3)}`,
    { bench: "soak", options, result },
  );
  Deno.exit(0); // the native engines keep handles open after their peers closed
}

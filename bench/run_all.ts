// deno-lint-ignore-file no-console
/**
 * `npm run bench`: runs every benchmark in its own process (the native WebRTC engines and the
 * servers stay apart), prints one table, writes bench/results.json, and regenerates
 * docs/benchmarks.md with its charts (docs/benchmarks/*.svg). `--quick` runs each with tiny
 * sizes (the smoke test does) and writes to `--out DIR` instead; `--render` only redraws the
 * page from bench/results.json.
 * @module
 */

import { SIGNAL_SERVER_KINDS } from "./signal_targets.ts";
import { execFile } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { benchmarksPage, type BenchResults, summaryTable } from "./benchmarks_page.ts";
import { textOption } from "./report.ts";

const root = new URL("..", import.meta.url).pathname;
const run = promisify(execFile);

/** Options of {@link runAll}. */
export interface RunAllOptions {
  /** Tiny sizes: proves every benchmark runs, measures nothing worth publishing. */
  quick: boolean;
  /** Where results.json, benchmarks.md and the charts go (the repository's places by default). */
  out?: string;
}

async function bench(file: string, args: string[]): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), "flnet-bench-"));
  try {
    const json = join(dir, "result.json");
    const deno = join(root, "node_modules", ".bin", "deno");
    await run(deno, ["run", "-A", join(root, "bench", file), ...args, "--json", json], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...Deno.env.toObject(), FLNET_LOG: "error" },
    }).catch((error) => {
      throw new Error(`bench/${file} ${args.join(" ")} failed: ${error.message}\n${error.stderr}`);
    });
    return JSON.parse(await readFile(json, "utf8"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function machine(): Promise<BenchResults["machine"]> {
  const node = (await run("node", ["--version"])).stdout.trim();
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    node,
  };
}

/** Writes results.json, the page and its charts into `out` (the repository's places by default). */
async function writeResults(results: BenchResults, out?: string): Promise<void> {
  const resultsFile = out ? join(out, "results.json") : join(root, "bench", "results.json");
  const page = out ? join(out, "benchmarks.md") : join(root, "docs", "benchmarks.md");
  const charts = out ? join(out, "benchmarks") : join(root, "docs", "benchmarks");
  await mkdir(charts, { recursive: true });
  await writeFile(resultsFile, JSON.stringify(results, null, 2) + "\n");
  const { markdown, svgs } = benchmarksPage(results);
  const files = [page, resultsFile];
  for (const [name, svg] of Object.entries(svgs)) {
    files.push(join(charts, name));
    await writeFile(files.at(-1)!, svg);
  }
  await writeFile(page, markdown);
  await run(join(root, "node_modules", ".bin", "deno"), ["fmt", "--quiet", ...files]);
}

/** Runs every benchmark; returns the results (also written out). */
export async function runAll(options: RunAllOptions): Promise<BenchResults> {
  const q = options.quick;
  const started = performance.now();
  const step = async <T>(name: string, work: () => Promise<T>) => {
    console.error(`bench: ${name}...`);
    return await work();
  };
  const clientCounts = q ? [50] : [1000, 5000, 10_000];
  const signal = [];
  for (const server of SIGNAL_SERVER_KINDS) {
    for (const clients of clientCounts) {
      const report = await step(
        `signal, ${server}, ${clients} clients`,
        () =>
          bench("signal_bench.ts", [
            ...["--server", server, "--clients", String(clients)],
            ...["--relays", q ? "2" : "5"],
          ]),
      );
      signal.push(report.result as BenchResults["signal"][number]);
    }
  }
  const results: BenchResults = {
    date: new Date().toISOString(),
    quick: q,
    machine: await machine(),
    signal,
    network: (await step(
      "network",
      () => bench("network_bench.ts", ["--megabytes", q ? "1" : "16", "--rounds", q ? "1" : "3"]),
    ))
      .result as BenchResults["network"],
    broker: (await step(
      "broker",
      () =>
        bench("broker_bench.ts", [
          "--messages",
          q ? "1000" : "200000",
          "--rounds",
          q ? "1" : "5",
        ]),
    ))
      .rows as BenchResults["broker"],
    gossipSim: (await step(
      "gossip (simulated)",
      () => bench("gossip_bench.ts", ["--sizes", q ? "20" : "100,1000,10000"]),
    )).rows as BenchResults[
      "gossipSim"
    ],
    gossipReal: (await step(
      "gossip (real nodes)",
      () => bench("gossip_real_bench.ts", ["--sizes", q ? "3" : "10,30,100"]),
    )).rows as BenchResults[
      "gossipReal"
    ],
    overlaySignal: await step("connection setup through the overlay", async () => {
      const { rows, cost, latency } = await bench("overlay_signal_bench.ts", [
        ...["--sizes", q ? "50" : "1000,10000", "--ticks", q ? "5" : "30"],
        ...["--rounds", q ? "2" : "20", "--list-nodes", q ? "20" : "100"],
        ...["--list-ticks", q ? "10" : "90"],
      ]);
      return { rows, cost, latency } as NonNullable<BenchResults["overlaySignal"]>;
    }),
    liveness: ((await step(
      "liveness",
      () =>
        bench("liveness_bench.ts", [
          ...["--rounds", q ? "1" : "3"],
          ...["--engines", q ? "node-datachannel" : "wrtc,node-datachannel"],
        ]),
    )).result as { rows: BenchResults["liveness"] }).rows,
    bundle: (await step("bundle sizes", () => bench("bundle_bench.ts", []))).rows as BenchResults[
      "bundle"
    ],
    seconds: 0,
  };
  results.seconds = Math.round((performance.now() - started) / 1000);
  await writeResults(results, options.out);
  return results;
}

if (import.meta.main) {
  const out = textOption("--out");
  let results: BenchResults;
  if (Deno.args.includes("--render")) { // only redraw the page from bench/results.json
    results = JSON.parse(await readFile(join(root, "bench", "results.json"), "utf8"));
    await writeResults(results, out);
  } else results = await runAll({ quick: Deno.args.includes("--quick"), out });
  console.log(summaryTable(results));
  console.log(`\n${results.seconds} s; results in bench/results.json and docs/benchmarks.md`);
}

/**
 * Bundles a TypeScript entry point of the repository for Node with esbuild (ESM, npm packages
 * left external), once per process, so tests and benchmarks can run it on a real Node.
 * @module
 */

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./signal_process.ts";

const bundles = new Map<string, string>();

/** The path of `entry` (relative to the repository) bundled for Node. */
export function bundleForNode(entry: string): string {
  const done = bundles.get(entry);
  if (done) return done;
  const root = repoRoot();
  const out = join(root, ".test-out", "bundles", entry.replace(/\.ts$/, ".mjs"));
  const result = spawnSync(join(root, "node_modules", ".bin", "esbuild"), [
    join(root, entry),
    "--bundle",
    "--platform=node",
    "--format=esm",
    "--packages=external",
    `--outfile=${out}`,
    "--log-level=warning",
  ], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`bundling ${entry} for Node failed: ${result.stderr}`);
  bundles.set(entry, out);
  return out;
}

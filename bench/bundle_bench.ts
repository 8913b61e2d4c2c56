/**
 * Browser bundle sizes, raw and gzipped: flnet's whole browser entry (network, Node, modules,
 * storage), flnet's network alone (what a page that only calls `networkStart` ships, by
 * esbuild's tree shaking), and the browser bundles the peerjs and simple-peer packages publish.
 *
 *     deno run -A bench/bundle_bench.ts --json out.json
 * @module
 */

import * as esbuild from "esbuild";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { publish } from "./report.ts";

/** One bundle's size. */
export interface BundleRow {
  /** What it is. */
  name: string;
  /** Bytes, minified. */
  raw: number;
  /** Bytes after gzip -9. */
  gzip: number;
}

const root = new URL("..", import.meta.url).pathname;

async function bundle(contents: string): Promise<Uint8Array> {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: root, loader: "ts" },
    bundle: true,
    format: "esm",
    minify: true,
    target: "es2022",
    write: false,
    logLevel: "warning",
  });
  return result.outputFiles[0].contents;
}

function row(name: string, bytes: Uint8Array): BundleRow {
  return { name, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** Measures the four bundles. */
export async function runBundleBench(): Promise<BundleRow[]> {
  try {
    return [
      row("flnet/browser (all)", await bundle(`export * from "./browser.ts";`)),
      row(
        "flnet network only",
        await bundle(`export { networkStart, NodeConfig } from "./browser.ts";`),
      ),
      row(
        "peerjs (dist/peerjs.min.js)",
        await readFile(join(root, "node_modules/peerjs/dist/peerjs.min.js")),
      ),
      row(
        "simple-peer (simplepeer.min.js)",
        await readFile(join(root, "node_modules/simple-peer/simplepeer.min.js")),
      ),
    ];
  } finally {
    await esbuild.stop();
  }
}

/** Formats rows as an aligned table. */
export function formatBundleTable(rows: BundleRow[]): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  return [
    ["bundle", "minified", "gzip"],
    ...rows.map((r) => [r.name, kib(r.raw), kib(r.gzip)]),
  ].map(([a, b, c]) => `${a.padEnd(34)}${b.padStart(12)}${c.padStart(12)}`).join("\n");
}

if (import.meta.main) {
  const rows = await runBundleBench();
  await publish(formatBundleTable(rows), { bench: "bundle", rows });
}

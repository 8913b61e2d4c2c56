// deno-lint-ignore-file no-console
/**
 * `npm run build`: bundles the browser entry (`dist/flnet.browser.js`) and the demo app
 * (`dist/demo/`, which `npm start` serves) with esbuild, ESM, minified, with source maps, and
 * prints the size of each bundle, raw and gzipped.
 * @module
 */

import * as esbuild from "esbuild";
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** A built bundle and its size. */
export interface BundleSize {
  /** The file, relative to the output directory. */
  file: string;
  /** Bytes. */
  raw: number;
  /** Bytes after gzip -9. */
  gzip: number;
}

const root = new URL(".", import.meta.url).pathname;

/** Builds the library bundle and the demo into `outDir`; returns the bundles' sizes. */
export async function buildBrowser(outDir = join(root, "dist")): Promise<BundleSize[]> {
  const common: esbuild.BuildOptions = {
    bundle: true,
    format: "esm",
    minify: true,
    sourcemap: true,
    target: "es2022",
    logLevel: "warning",
  };
  try {
    await esbuild.build({
      ...common,
      entryPoints: [join(root, "browser.ts")],
      outfile: join(outDir, "flnet.browser.js"),
    });
    await esbuild.build({
      ...common,
      entryPoints: [join(root, "demo", "app.ts")],
      outfile: join(outDir, "demo", "app.js"),
    });
  } finally {
    await esbuild.stop();
  }
  for (const file of ["index.html", "demo.css"]) {
    await mkdir(join(outDir, "demo"), { recursive: true });
    await copyFile(join(root, "demo", file), join(outDir, "demo", file));
  }
  return await Promise.all(["flnet.browser.js", "demo/app.js"].map(async (file) => {
    const bytes = await readFile(join(outDir, file));
    return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  }));
}

if (import.meta.main) {
  const outDir = Deno.args[0] ?? join(root, "dist");
  for (const { file, raw, gzip } of await buildBrowser(outDir)) {
    console.log(
      `${join(outDir, file)}: ${(raw / 1024).toFixed(1)} KiB, ${(gzip / 1024).toFixed(1)} KiB gzip`,
    );
  }
  console.log(`demo: npm start, then open http://localhost:8765`);
}

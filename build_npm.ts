// deno-lint-ignore-file no-console
/**
 * `npm run build:npm`: packs the library as the npm package `flnet` with `deno pack` (ESM
 * JavaScript and `.d.ts` from the same sources), with the npm name, dependencies and the
 * `flnet` command. `test/package/` proves the tarball in a scratch Node project. Any failure
 * throws with the reason (and exits 1 from the command line).
 * @module
 */

import { execFile } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const root = new URL(".", import.meta.url).pathname;
const run = promisify(execFile);

/** The npm entry points, each a module of this repository. */
const EXPORTS = {
  ".": "./mod.ts",
  "./node": "./node.ts",
  "./browser": "./browser.ts",
  "./modules": "./modules.ts",
  "./cli": "./cli.ts",
  "./wire": "./wire.ts",
  "./testing": "./testing.ts",
};
/** What goes into the package besides the modules the entry points import. */
const FILES = [
  "common.ts",
  "core/",
  "net/",
  "modules/",
  "node/",
  "adapters/",
  "signal/",
  "testing/",
  "README.md",
  "LICENSE",
];

/** What {@link buildNpm} made and proved. */
export interface NpmBuild {
  /** The package tarball. */
  tarball: string;
  /** Its size in bytes. */
  bytes: number;
  /** Files in the package. */
  files: number;
  /** Each step and how long it took, ms. */
  steps: { step: string; ms: number }[];
}

/** The fields of package.json the build reads. */
export type PackageJson = Record<string, unknown> & {
  version: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};

/** Runs one named step, timing it into `steps`; a failure says which step failed. */
export async function step<T>(
  steps: NpmBuild["steps"],
  name: string,
  work: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    const output = [e.stdout, e.stderr].filter(Boolean).join("\n").trim();
    throw new Error(`build:npm failed at "${name}": ${e.message}${output ? `\n${output}` : ""}`);
  } finally {
    steps.push({ step: name, ms: Math.round(performance.now() - started) });
  }
}

/** Runs deno pack and turns its package into the npm package `flnet`; returns the tarball. */
async function pack(outDir: string, dev: PackageJson): Promise<string> {
  const deno = join(root, "node_modules", ".bin", "deno");
  const config = join(root, ".npm-pack.json"); // beside the sources: exports are relative to it
  const denoJson = JSON.parse(await readFile(join(root, "deno.json"), "utf8"));
  await writeFile(
    config,
    JSON.stringify({
      name: denoJson.name,
      version: dev.version,
      exports: EXPORTS,
      compilerOptions: denoJson.compilerOptions,
      nodeModulesDir: "manual",
    }),
  );
  try {
    await run(deno, [
      "pack",
      "-c",
      config,
      "--allow-dirty",
      "--quiet",
      "-o",
      join(outDir, "deno-pack.tgz"),
      ...Object.values(EXPORTS),
      ...FILES,
    ], { cwd: root });
  } finally {
    await rm(config, { force: true });
  }
  await run("tar", ["-xzf", "deno-pack.tgz"], { cwd: outDir });
  const dir = join(outDir, "package");
  const packed = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
  const exports = packed.exports as Record<string, unknown>;
  for (const entry of Object.keys(EXPORTS)) {
    if (!exports?.[entry]) throw new Error(`deno pack made no export "${entry}"`);
  }
  await restoreSymbolMembers(dir);
  await declareWebTypes(dir);
  await shipDocs(dir);
  await mkdir(join(dir, "bin"), { recursive: true });
  await writeFile(
    join(dir, "bin", "flnet.js"),
    `#!/usr/bin/env node\nimport process from "node:process";\nimport { main } from "../cli.js";\n` +
      `process.exit(await main(process.argv.slice(2)));\n`,
    { mode: 0o755 },
  );
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify(
      {
        name: "flnet",
        version: dev.version,
        description: "Decentralized networks of nodes over WebRTC for browsers, Deno and Node",
        license: dev.license,
        type: "module",
        exports: Object.fromEntries(Object.keys(EXPORTS).map((key) => [key, exports[key]])),
        bin: { flnet: "./bin/flnet.js" },
        engines: dev.engines,
        dependencies: dev.dependencies,
        optionalDependencies: dev.optionalDependencies,
        // the NATS client only clustered servers load (`--nats`): not installed by default
        peerDependencies: dev.peerDependencies,
        peerDependenciesMeta: dev.peerDependenciesMeta,
        keywords: ["webrtc", "p2p", "decentralized", "gossip", "deno", "browser"],
      },
      null,
      2,
    ) + "\n",
  );
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", outDir], {
    cwd: dir,
  });
  const [{ filename }] = JSON.parse(stdout);
  return join(outDir, filename);
}

/**
 * Puts the documentation into the package beside its README (docs/*.md and their pictures), so
 * the README's links work where the package is installed: a link to a source file `x.ts` that the
 * package has as JavaScript points at its declarations `x.d.ts`. Throws naming any relative link of README.md or docs/ that
 * leads to no file of the package.
 */
async function shipDocs(dir: string): Promise<void> {
  const pages = ["README.md"];
  await mkdir(join(dir, "docs", "benchmarks"), { recursive: true });
  for (const file of await readdir(join(root, "docs"), { recursive: true })) {
    if (!/\.(md|svg)$/.test(file)) continue;
    await copyFile(join(root, "docs", file), join(dir, "docs", file));
    if (file.endsWith(".md")) pages.push(`docs/${file}`);
  }
  const exists = (path: string) => stat(path).then(() => true, () => false);
  const broken: string[] = [];
  for (const page of pages) {
    const from = join(dir, dirname(page));
    let text = await readFile(join(dir, page), "utf8");
    const links = [...text.matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)].map((m) => m[1]);
    for (const target of new Set(links)) {
      if (await exists(join(from, target))) continue;
      const declared = target.replace(/\.ts$/, ".d.ts");
      if (target.endsWith(".ts") && await exists(join(from, declared))) {
        text = text.replaceAll(`](${target}`, `](${declared}`);
      } else broken.push(`${page}: ${target}`);
    }
    await writeFile(join(dir, page), text);
  }
  if (broken.length > 0) {
    throw new Error(`links that lead nowhere in the package: ${broken.join(", ")}`);
  }
}

/**
 * The Web API types flnet's declarations name. A Node project compiled without the DOM lib has
 * none of them; these empty interfaces stand in there, and merge with the DOM lib's where it is
 * present, so the package's types compile either way.
 */
const WEB_TYPES = [
  "CloseEvent",
  "RTCConfiguration",
  "RTCDataChannel",
  "RTCIceServer",
  "RTCPeerConnection",
  "Storage",
];

/**
 * Writes `web_types.d.ts` (see {@link WEB_TYPES}) and references it from every declaration file
 * that names one of them.
 */
async function declareWebTypes(dir: string): Promise<void> {
  await writeFile(
    join(dir, "web_types.d.ts"),
    "// Web API types flnet's declarations name, for projects compiled without the DOM lib.\n" +
      `declare global {\n${WEB_TYPES.map((name) => `  interface ${name} {}\n`).join("")}}\n` +
      "export {};\n",
  );
  const named = new RegExp(`\\b(${WEB_TYPES.join("|")})\\b`);
  for (const file of (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(".d.ts"))) {
    if (file === "web_types.d.ts") continue;
    const declarations = await readFile(join(dir, file), "utf8");
    if (!named.test(declarations)) continue;
    const up = "../".repeat(file.split("/").length - 1) || "./";
    await writeFile(
      join(dir, file),
      `/// <reference path="${up}web_types.d.ts" />\n${declarations}`,
    );
  }
}

/**
 * Puts back the `[Symbol.iterator]()` and `[Symbol.asyncIterator]()` methods that deno pack
 * (2.9.5) leaves out of the `.d.ts` of a class, without which `for await (const m of net)`
 * does not type-check for a consumer. Each method must have a declared return type.
 */
async function restoreSymbolMembers(dir: string): Promise<void> {
  for (const file of (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(".d.ts"))) {
    const source = join(root, file.replace(/\.d\.ts$/, ".ts"));
    const code = await readFile(source, "utf8").catch(() => "");
    const members = [...code.matchAll(/^ {2}(\[Symbol\.\w+\]\(\)): ([^{]+?) \{$/gm)];
    if (members.length === 0) continue;
    let declarations = await readFile(join(dir, file), "utf8");
    for (const member of members) {
      const owner = [...code.slice(0, member.index).matchAll(/export class (\w+)/g)].at(-1)?.[1];
      const head = new RegExp(`export declare class ${owner}\\b[^{]*\\{`);
      if (owner && !declarations.includes(`class ${owner}`)) continue; // not in the public types
      if (!owner || !head.test(declarations)) {
        throw new Error(`cannot find the class of ${member[1]} of ${file} in its .d.ts`);
      }
      if (declarations.includes(`${member[1]}: ${member[2]};`)) continue; // deno pack kept it
      declarations = declarations.replace(head, (text) => `${text}\n  ${member[1]}: ${member[2]};`);
    }
    await writeFile(join(dir, file), declarations);
  }
}

/** Packs `flnet` into `outDir` (default `dist/npm`). */
export async function buildNpm(outDir = join(root, "dist", "npm")): Promise<NpmBuild> {
  const dev = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as PackageJson;
  const steps: NpmBuild["steps"] = [];
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const tarball = await step(steps, "deno pack, then npm pack as flnet", () => pack(outDir, dev));
  const { stdout } = await run("tar", ["-tzf", tarball]);
  return {
    tarball,
    bytes: (await readFile(tarball)).length,
    files: stdout.trim().split("\n").length,
    steps,
  };
}

if (import.meta.main) {
  try {
    const built = await buildNpm(Deno.args[0]);
    console.log(`${built.tarball}: ${built.files} files, ${(built.bytes / 1024).toFixed(1)} KiB`);
    for (const { step, ms } of built.steps) console.log(`  ok  ${step} (${ms} ms)`);
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}

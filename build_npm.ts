// deno-lint-ignore-file no-console
/**
 * `npm run build:npm`: packs the library as the npm package `flnet` with `deno pack` (ESM
 * JavaScript and `.d.ts` from the same sources), then proves the tarball in a scratch Node
 * project outside the repository: it installs it (offline, from npm's cache, with the versions
 * of this repository's lockfile), type-checks a TypeScript consumer with `tsc`, runs the
 * client_server example on Node over real WebRTC on loopback, and runs the `flnet` command.
 * Any failure throws with the reason (and exits 1 from the command line).
 * @module
 */

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as esbuild from "esbuild";
import { serveSignal } from "./signal/serve.ts";
import { startLineProcess } from "./harness/line_process.ts";

const root = new URL(".", import.meta.url).pathname;
const run = promisify(execFile);

/** The npm entry points, each a module of this repository. */
const EXPORTS = {
  ".": "./mod.ts",
  "./node": "./node.ts",
  "./browser": "./browser.ts",
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
  /** Each proof step and how long it took, ms. */
  steps: { step: string; ms: number }[];
}

type PackageJson = Record<string, unknown> & {
  version: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
};

async function step<T>(steps: NpmBuild["steps"], name: string, work: () => Promise<T>): Promise<T> {
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
      if (!owner || !head.test(declarations)) {
        throw new Error(`cannot find the class of ${member[1]} of ${file} in its .d.ts`);
      }
      if (declarations.includes(`${member[1]}: ${member[2]};`)) continue; // deno pack kept it
      declarations = declarations.replace(head, (text) => `${text}\n  ${member[1]}: ${member[2]};`);
    }
    await writeFile(join(dir, file), declarations);
  }
}

/**
 * A lockfile for a project that depends on `tarball` (and on `devDeps`), with exactly the
 * versions and integrity hashes of this repository's lockfile, so `npm ci --offline` installs
 * it from npm's cache (which `npm ci` in this repository filled) without the network.
 */
async function scratchLock(
  tarball: string,
  dev: PackageJson,
  devDeps: string[],
): Promise<Record<string, unknown>> {
  const lock = JSON.parse(await readFile(join(root, "package-lock.json"), "utf8"));
  const packages = lock.packages as Record<string, Record<string, unknown>>;
  const chosen: Record<string, Record<string, unknown>> = {};
  const add = (name: string, from: string) => {
    // npm's lookup: the nearest node_modules going up from the dependent
    let path = from;
    for (;;) {
      const key = `${path ? `${path}/` : ""}node_modules/${name}`;
      if (packages[key]) {
        if (chosen[key]) return;
        chosen[key] = { ...packages[key], dev: undefined, devOptional: undefined };
        const deps = packages[key];
        for (const field of ["dependencies", "optionalDependencies"]) {
          for (const dep of Object.keys((deps[field] as Record<string, string>) ?? {})) {
            add(dep, key);
          }
        }
        return;
      }
      if (!path) throw new Error(`package-lock.json has no ${name} (needed by ${from || "flnet"})`);
      path = path.includes("/node_modules/")
        ? path.slice(0, path.lastIndexOf("/node_modules/"))
        : "";
    }
  };
  for (const name of [...Object.keys(dev.dependencies), ...Object.keys(dev.optionalDependencies)]) {
    add(name, "");
  }
  for (const name of devDeps) add(name, "");
  const tgz = await readFile(tarball);
  const integrity = "sha512-" + createHash("sha512").update(tgz).digest("base64");
  const file = `file:${tarball.slice(tarball.lastIndexOf("/") + 1)}`;
  return {
    name: "flnet-proof",
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": {
        name: "flnet-proof",
        dependencies: { flnet: file },
        devDependencies: Object.fromEntries(
          devDeps.map((name) => [name, packages[`node_modules/${name}`].version]),
        ),
      },
      "node_modules/flnet": {
        version: dev.version,
        resolved: file,
        integrity,
        license: dev.license,
        dependencies: dev.dependencies,
        optionalDependencies: dev.optionalDependencies,
        bin: { flnet: "bin/flnet.js" },
        engines: dev.engines,
      },
      ...JSON.parse(JSON.stringify(chosen)),
    },
  };
}

const CONSUMER = `import { Broker, NodeConfig, type NodeID, type NetworkMessage } from "flnet";
import { FileStorage, networkStart, type WebRTCEngine } from "flnet/node";
import { startBrowserNode, type BrowserNodeOptions } from "flnet/browser";
import { parseChatArgs } from "flnet/cli";

const engine: WebRTCEngine = "node-datachannel";
const broker = new Broker<{ n: number }, { doubled: number }>("double");
broker.addHandler({ messages: (batch) => batch.map(({ n }) => ({ doubled: 2 * n })) });
export async function use(peer: NodeID): Promise<string> {
  const config = await NodeConfig.load(new FileStorage("./node"));
  const net = await networkStart(config, "ws://localhost:8765", { engine });
  await net.send(peer, "hi");
  const msg: NetworkMessage = await net.recv();
  const options: BrowserNodeOptions = { sameIdentity: "tab" };
  const cli: string = parseChatArgs(["--name", "ann"]).signal;
  void startBrowserNode;
  return \`\${msg.from} \${options.sameIdentity} \${config.info.name} \${cli}\`;
}
`;

/** Proves `tarball` in a scratch project; returns when every step passed. */
async function prove(tarball: string, dev: PackageJson, steps: NpmBuild["steps"]): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), "flnet-npm-proof-"));
  try {
    await step(steps, "install the tarball offline in a scratch project", async () => {
      const name = tarball.slice(tarball.lastIndexOf("/") + 1);
      await cp(tarball, join(scratch, name));
      const lock = await scratchLock(tarball, dev, ["typescript", "@types/node"]);
      const manifest = (lock.packages as Record<string, unknown>)[""] as Record<string, unknown>;
      await writeFile(
        join(scratch, "package.json"),
        JSON.stringify({ ...manifest, private: true, type: "module" }, null, 2),
      );
      await writeFile(join(scratch, "package-lock.json"), JSON.stringify(lock, null, 2));
      await run("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], {
        cwd: scratch,
      });
    });
    await step(steps, "type-check a TypeScript consumer with tsc", async () => {
      await writeFile(join(scratch, "consumer.ts"), CONSUMER);
      await run(join(scratch, "node_modules", ".bin", "tsc"), [
        ...["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext"],
        ...["--moduleResolution", "nodenext", "--lib", "es2022,dom", "--types", "node"],
        "consumer.ts",
      ], { cwd: scratch });
    });
    await step(steps, "run the client_server example on Node over WebRTC", async () => {
      for (const file of ["server", "client"]) {
        const source = await readFile(
          join(root, "examples", "client_server", `${file}.ts`),
          "utf8",
        );
        const { code } = await esbuild.transform(source, { loader: "ts", format: "esm" });
        await writeFile(join(scratch, `${file}.mjs`), code);
      }
      await esbuild.stop();
      const signal = await serveSignal({ port: 0 });
      const server = startLineProcess("node", ["server.mjs", signal.url, "--loopback"], scratch);
      try {
        const id = (await server.waitFor(/^server id: /)).slice("server id: ".length);
        const client = startLineProcess(
          "node",
          ["client.mjs", signal.url, id, "--loopback"],
          scratch,
        );
        await client.waitFor(/^sent "ping"/);
        if (await client.exited !== 0) throw new Error("the client did not exit with 0");
        await server.waitFor(/: ping$/);
      } finally {
        await server.stop();
        await signal.close();
      }
    });
    await step(steps, "run the flnet command", async () => {
      const { stdout } = await run(join(scratch, "node_modules", ".bin", "flnet"), ["--help"]);
      if (!stdout.includes("Usage: flnet")) throw new Error(`unexpected --help output: ${stdout}`);
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Packs `flnet` into `outDir` (default `dist/npm`) and proves the tarball. */
export async function buildNpm(outDir = join(root, "dist", "npm")): Promise<NpmBuild> {
  const dev = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as PackageJson;
  const steps: NpmBuild["steps"] = [];
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const tarball = await step(steps, "deno pack, then npm pack as flnet", () => pack(outDir, dev));
  await prove(tarball, dev, steps);
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
  Deno.exit(0); // do not wait ~15 s for the closed signalling server's last handles to go
}

/**
 * The proof of the npm package (the tarball `build_npm.ts` packs), in a scratch Node project
 * outside the repository: it installs it offline (from npm's cache, with the versions of this
 * repository's lockfile), type-checks `consumer.ts` (a real file beside this one, which
 * `deno check` and lint see too) with `tsc`, runs the client_server example on Node over real
 * WebRTC on loopback, runs the READMEs' Node commands as written (as root, in network
 * namespaces of their own: readme_node_commands.ts), and runs the `flnet` command.
 * @module
 */

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as esbuild from "esbuild";
import { type NpmBuild, type PackageJson, step } from "../../build_npm.ts";
import { startLineProcess } from "../../harness/line_process.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { startNatsCluster } from "../../harness/nats_cluster.ts";
import { lanNamespaceUnavailable } from "../support/lan_namespace.ts";
import { runReadmeNodeCommands } from "./readme_node_commands.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..", "..");
const run = promisify(execFile);

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
        peerDependencies: dev.peerDependencies,
        peerDependenciesMeta: dev.peerDependenciesMeta,
        bin: { flnet: "bin/flnet.js" },
        engines: dev.engines,
      },
      ...JSON.parse(JSON.stringify(chosen)),
    },
  };
}

/** What a scratch project installs beside flnet, to compile and type-check with. */
const SCRATCH_DEV_DEPS = ["typescript", "@types/node", "esbuild"];

/**
 * Installs `tarball` and `devDeps` in the scratch project `scratch` offline (`npm ci` with a
 * lockfile made from this repository's); returns what npm printed on stderr.
 */
async function installScratch(
  tarball: string,
  dev: PackageJson,
  devDeps: string[],
  scratch: string,
): Promise<string> {
  const lock = await scratchLock(tarball, dev, devDeps);
  const manifest = (lock.packages as Record<string, unknown>)[""] as Record<string, unknown>;
  await writeFile(
    join(scratch, "package.json"),
    JSON.stringify({ ...manifest, private: true, type: "module" }, null, 2),
  );
  await writeFile(join(scratch, "package-lock.json"), JSON.stringify(lock, null, 2));
  const { stderr } = await run(
    "npm",
    ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"],
    { cwd: scratch },
  );
  return stderr;
}

/** Proves `tarball` in a scratch project; returns when every step passed. */
export async function prove(tarball: string, steps: NpmBuild["steps"]): Promise<void> {
  const dev = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as PackageJson;
  const scratch = await mkdtemp(join(tmpdir(), "flnet-npm-proof-"));
  try {
    await step(steps, "install the tarball offline in a scratch project", async () => {
      const name = tarball.slice(tarball.lastIndexOf("/") + 1);
      await cp(tarball, join(scratch, name));
      const stderr = await installScratch(tarball, dev, SCRATCH_DEV_DEPS, scratch);
      // a user's own project must install flnet on the Node it claims (20) without warnings
      const engines = stderr.split("\n").filter((line) => line.includes("EBADENGINE"));
      if (engines.length) throw new Error(`npm warned on install:\n${engines.join("\n")}`);
    });
    await step(
      steps,
      "type-check a TypeScript consumer with tsc, with and without DOM",
      async () => {
        await cp(join(here, "consumer.ts"), join(scratch, "consumer.ts"));
        // a Node project has no DOM lib, a browser project has one: flnet's types hold in both
        for (const lib of ["es2022", "es2022,dom"]) {
          await run(join(scratch, "node_modules", ".bin", "tsc"), [
            ...["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext"],
            ...["--moduleResolution", "nodenext", "--lib", lib, "--types", "node"],
            ...["--skipLibCheck", "false", "consumer.ts"],
          ], { cwd: scratch });
        }
      },
    );
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
    if (!lanNamespaceUnavailable()) {
      await step(
        steps,
        "run the READMEs' Node commands as written",
        () => runReadmeNodeCommands(root, scratch),
      );
    }
    await step(steps, "run the flnet command", async () => {
      const flnet = join(scratch, "node_modules", ".bin", "flnet");
      const { stdout } = await run(flnet, ["--help"]);
      if (!stdout.includes("Usage: flnet")) throw new Error(`unexpected --help output: ${stdout}`);
      // the NATS client is not installed with flnet: --nats says what to install
      const without = await run(flnet, ["signal", "--port", "0", "--nats", "nats://127.0.0.1:1"])
        .then(() => undefined, (error) => String(error.stderr));
      if (!without?.includes("npm install @nats-io/transport-node")) {
        throw new Error(`flnet signal --nats without the NATS client said: ${without}`);
      }
      // installed beside flnet, as docs/deploy.md says (from this repository's lockfile, offline)
      await installScratch(tarball, dev, [...SCRATCH_DEV_DEPS, "@nats-io/transport-node"], scratch);
      // `flnet signal` serves on Node, in a cluster over NATS; a chat node joins it, until it
      // is told /quit
      const nats = await startNatsCluster(1);
      const signal = startLineProcess(
        flnet,
        ["signal", "--port", "0", "--nats", nats.urls[0]],
        scratch,
      );
      let chat;
      try {
        const url = (await signal.waitFor(/listening on ws:/)).match(/(ws:\S+)/)![1];
        const health = await (await fetch(url.replace(/^ws/, "http") + "/health")).json();
        if (health.status !== "ok") {
          throw new Error(`flnet signal /health: ${JSON.stringify(health)}`);
        }
        const stats = await (await fetch(url.replace(/^ws/, "http") + "/stats")).json();
        if (stats.cluster?.busConnected !== true) {
          throw new Error(`flnet signal --nats is not connected: ${JSON.stringify(stats)}`);
        }
        const args = ["--signal", url, "--dir", join(scratch, "chat-node"), "--loopback"];
        chat = startLineProcess(flnet, [...args, "--name", "packaged"], scratch);
        await chat.waitFor(/^packaged \([0-9a-f]{64}\) on ws:.*; type to chat$/);
        chat.write("/quit");
        if (await chat.exited !== 0) throw new Error("flnet did not exit with 0 after /quit");
      } finally {
        await chat?.stop();
        await signal.stop();
        await nats.close();
      }
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

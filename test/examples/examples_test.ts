/**
 * Runs every example the way its README says, against a real signalling server, on loopback:
 * client_server on Deno (build_npm.ts runs it on Node against the npm package), ping_pong on
 * Deno, Node and in Chromium at once, room_chat on the three at once with a Deno node in another
 * room, and chat_cli chatting with the demo page.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import type { Browser } from "playwright-core";
import { buildBrowser } from "../../build_browser.ts";
import { launchChromium, loopbackContext } from "../support/chromium.ts";
import { type LineProcess, startLineProcess } from "../../harness/line_process.ts";
import { repoRoot, type SignalProcess, startSignalProcess } from "../../harness/signal_process.ts";
import { until } from "../../harness/network.ts";
import { readFileSync } from "node:fs";

const root = repoRoot();
const deno = join(root, "node_modules", ".bin", "deno");
const example = (...path: string[]) => join(root, "examples", ...path);
/** What `flnet/...` means in a checkout (deno.json's import map, for esbuild). */
const alias = Object.fromEntries(
  Object.entries(
    JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).imports as Record<string, string>,
  ).filter(([name]) => name === "flnet" || name.startsWith("flnet/")).map((
    [name, path],
  ) => [name, join(root, path)]),
);

/**
 * Bundles example `name`'s browser main beside its index.html in `dir` (the site a signalling
 * server serves) and its Node main `nodeEntry` as JavaScript beside node_modules.
 */
async function buildExample(dir: string, name: string, nodeEntry: string) {
  const site = join(dir, `${name}_site`);
  await esbuild.build({
    entryPoints: [example(name, "browser_main.ts")],
    bundle: true,
    format: "esm",
    outdir: site,
    alias,
    logLevel: "warning",
  });
  await copyFile(example(name, "index.html"), join(site, "index.html"));
  const nodeMain = join(root, ".test-out", "examples", `${name}.mjs`);
  await esbuild.build({
    entryPoints: [example(name, nodeEntry)],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outfile: nodeMain,
    alias,
    logLevel: "warning",
  });
  return { site, nodeMain };
}

describe("the examples", { timeout: 120_000 }, () => {
  let work: string;
  let browser: Browser;
  const running: LineProcess[] = [];
  const start = (command: string, args: string[]) => {
    const process = startLineProcess(command, args, work);
    running.push(process);
    return process;
  };
  before(async () => {
    work = await mkdtemp(join(tmpdir(), "flnet-examples-"));
    browser = await launchChromium();
  });
  after(async () => {
    for (const process of running) await process.stop();
    await browser?.close();
    await esbuild.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("client_server: the client's ping reaches the server, which keeps its ID", async () => {
    const signal = await startSignalProcess();
    try {
      const server = start(deno, [
        "run",
        "-A",
        example("client_server", "server.ts"),
        signal.url,
        "--loopback",
      ]);
      const id = (await server.waitFor(/^server id: /)).slice("server id: ".length);
      const client = start(deno, [
        "run",
        "-A",
        example("client_server", "client.ts"),
        signal.url,
        id,
        "--loopback",
      ]);
      await client.waitFor(/^sent "ping"/);
      assert.equal(await client.exited, 0);
      const line = await server.waitFor(/: ping$/);
      assert.match(line, /^[0-9a-f]{64}: ping$/);
      await server.stop();
      const again = start(deno, [
        "run",
        "-A",
        example("client_server", "server.ts"),
        signal.url,
        "--loopback",
      ]);
      assert.equal(
        await again.waitFor(/^server id: /),
        `server id: ${id}`,
        "./server-node kept it",
      );
      await again.stop();
    } finally {
      await signal.stop();
    }
  });

  it("ping_pong: the Deno, Node and browser mains all ping each other", async () => {
    const { site, nodeMain } = await buildExample(work, "ping_pong", "node_main.ts");
    const signal = await startSignalProcess(["--static", site]);
    try {
      const denoMain = start(deno, [
        "run",
        "-A",
        example("ping_pong", "deno_main.ts"),
        "deno-1",
        signal.url,
        "--loopback",
      ]);
      const nodeMainRun = start("node", [
        nodeMain,
        "node-1",
        signal.url,
        "--loopback",
        "--engine",
        "node-datachannel",
      ]);
      const context = await loopbackContext(browser);
      const page = await context.newPage();
      await page.goto(`${signal.url.replace(/^ws/, "http")}/?name=page-1&candidates=loopback`);
      const pageLines = async () => (await page.textContent("#log")) ?? "";
      try {
        for (
          const [process, others] of [[denoMain, ["node-1", "page-1"]], [nodeMainRun, [
            "deno-1",
            "page-1",
          ]]] as const
        ) {
          for (const other of others) {
            await process.waitFor(new RegExp(`^pong from ${other} in \\d+ ms$`));
          }
        }
        await until("the page got pongs from deno-1 and node-1", async () => {
          const text = await pageLines();
          return /pong from deno-1 in \d+ ms/.test(text) && /pong from node-1 in \d+ ms/.test(text);
        }, 20_000);
        assert.ok(!(await pageLines()).includes("problem"), await pageLines());
        for (const process of [denoMain, nodeMainRun]) {
          assert.deepEqual(process.lines.filter((l) => l.startsWith("problem")), []);
        }
      } finally {
        await context.close();
      }
    } finally {
      await signal.stop();
    }
  });

  it("room_chat: Deno, Node and a page in one room hear each other; another room hears nothing", async () => {
    const { site, nodeMain } = await buildExample(work, "room_chat", "main.ts");
    const signal = await startSignalProcess(["--static", site]);
    try {
      const chat = (runtime: string, topic: string, name: string) => {
        const args = [topic, "--name", name, "--signal", signal.url, "--loopback"];
        return runtime === "node"
          ? start("node", [nodeMain, ...args])
          : start(deno, ["run", "-A", example("room_chat", "main.ts"), ...args]);
      };
      const ann = chat("deno", "lobby", "ann");
      const bob = chat("node", "lobby", "bob");
      const eve = chat("deno", "elsewhere", "eve");
      for (const process of [ann, bob, eve]) await process.waitFor(/^\* in room "/);
      const context = await loopbackContext(browser);
      const page = await context.newPage();
      await page.goto(
        `${signal.url.replace(/^ws/, "http")}/?room=lobby&name=cy&candidates=loopback`,
      );
      const pageLines = async () => (await page.textContent("#log")) ?? "";
      try {
        await until(
          "the page is in the room",
          async () => (await pageLines()).includes("* in room"),
          20_000,
        );
        await bob.waitFor(/^\* (ann|[0-9a-f]{8}) joined$/, 30_000);
        await ann.waitFor(/^\* (cy|[0-9a-f]{8}) joined$/, 30_000);
        ann.write("hello from ann");
        await bob.waitFor(/^(ann|[0-9a-f]{8}): hello from ann$/, 30_000);
        await until(
          "the page has ann's line",
          async () => /: hello from ann/.test(await pageLines()),
          30_000,
        );
        await page.fill("#text", "hello from cy");
        await page.press("#text", "Enter");
        await ann.waitFor(/: hello from cy$/, 30_000);
        await bob.waitFor(/: hello from cy$/, 30_000);
        await until(
          "the page shows its own line",
          async () => (await pageLines()).includes("cy (you): hello from cy"),
          10_000,
        );
        assert.deepEqual(eve.lines.filter((line) => line.includes("hello")), [], "another room");
        assert.ok(!eve.lines.some((line) => line.includes("joined")), eve.lines.join("\n"));
      } finally {
        await context.close();
      }
    } finally {
      await signal.stop();
    }
  });

  it("chat_cli: chats with the demo page both ways", async () => {
    const dist = join(work, "dist");
    await buildBrowser(dist);
    const signal: SignalProcess = await startSignalProcess(["--static", join(dist, "demo")]);
    try {
      const cli = start(deno, [
        ...["run", "-A", example("chat_cli", "main.ts"), "--signal", signal.url],
        ...["--name", "cli-ann", "--dir", join(work, "cli-node"), "--loopback"],
      ]);
      await cli.waitFor(/^cli-ann \([0-9a-f]{64}\) on ws:/);
      const context = await loopbackContext(browser);
      const page = await context.newPage();
      await page.goto(`${signal.url.replace(/^ws/, "http")}/?name=page-bob&candidates=loopback`);
      try {
        await cli.waitFor(/^\* connected to /);
        cli.write("hello from the cli");
        await until(
          "the page shows the CLI's message",
          async () =>
            ((await page.textContent("#chat-list")) ?? "").includes("cli-annhello from the cli"),
          15_000,
        );
        await page.fill("#chat-input", "hello from the page");
        await page.press("#chat-input", "Enter");
        await cli.waitFor(/^\[\d\d:\d\d\] page-bob: hello from the page$/, 15_000);
        cli.write("/peers");
        await cli.waitFor(/^\* connected: page-bob$/);
        cli.write("/quit");
        assert.equal(await cli.exited, 0);
      } finally {
        await context.close();
      }
    } finally {
      await signal.stop();
    }
  });
});

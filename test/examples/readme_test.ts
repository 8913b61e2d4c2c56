/**
 * The commands of the README and of each example's README, run as written there (read from the
 * README text, so they cannot drift), in a fresh copy of the checkout, each README in a network
 * namespace of its own that looks like a machine on a LAN (lan_namespace.ts): default settings,
 * the server on localhost:8765, Chromium opening the addresses the READMEs give. Root needed;
 * the Node commands (a project with the package installed) run in the package's proof
 * (test/package/prove_package.ts). Not run: `npm ci` (the copy uses this checkout's
 * node_modules) and `npm test` (this is part of it).
 * @module
 */

import { after, afterEach, before, beforeEach, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium, loopbackContext } from "../support/chromium.ts";
import type { LineProcess } from "../../harness/line_process.ts";
import { repoRoot } from "../../harness/signal_process.ts";
import { until } from "../../harness/network.ts";
import {
  createLanNamespace,
  type LanNamespace,
  lanNamespaceUnavailable,
} from "../support/lan_namespace.ts";
import { fillPlaceholders, shellBlocks, tsBlock } from "../support/readme_commands.ts";

const root = repoRoot();
const skip = lanNamespaceUnavailable();
/** The line a signalling server prints once it listens where the READMEs say it does. */
const listening = /listening on ws:\/\/(localhost|127\.0\.0\.1):8765$/;
const readme = (path: string) => readFile(join(root, path), "utf8");

/** Copies the checkout's files (tracked and new, not ignored) to `dir`, beside its node_modules. */
async function freshCopy(dir: string): Promise<void> {
  const files = execFileSync("git", [
    "ls-files",
    "-z",
    "--cached",
    "--others",
    "--exclude-standard",
  ], {
    cwd: root,
    encoding: "utf8",
  }).split("\0").filter(Boolean);
  for (const file of files) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(root, file), join(dir, file)).catch((error) => {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error; // deleted, not staged
    });
  }
  await symlink(join(root, "node_modules"), join(dir, "node_modules"));
}

describe("the READMEs' commands, as written", { timeout: 180_000, skip }, () => {
  let copy: string;
  let lan: LanNamespace | undefined;
  let browser: Browser | undefined;
  const running: LineProcess[] = [];
  /** Runs one README command line in the namespace, from the fresh copy. */
  const run = (command: string, values: Record<string, string> = {}) => {
    const process = lan!.shell(fillPlaceholders(command, values), copy);
    running.push(process);
    return process;
  };
  /** Opens `url` in a page of a fresh browser context (its own identity). */
  const open = async (url: string) => {
    const context = await loopbackContext(browser!);
    const page = await context.newPage();
    await page.goto(url);
    return page;
  };

  before(async () => {
    copy = await mkdtemp(join(tmpdir(), "flnet-readme-"));
    await freshCopy(copy);
  });
  // each README in a namespace of its own: its localhost:8765 was never used before
  beforeEach(async () => {
    lan = createLanNamespace();
    browser = await launchChromium(
      // the READMEs say localhost; the namespace keeps every other name from going anywhere
      ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"],
      await lan.wrapper("/usr/bin/chromium", join(copy, ".chromium")),
    );
  });
  afterEach(async () => {
    for (const process of running.splice(0)) await process.stop();
    await browser?.close();
    lan?.destroy();
  });
  after(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it("README: npm start serves the demo, two pages see each other, talk.ts run twice pings and pongs", async () => {
    const text = await readme("README.md");
    const [runAndTest, talkDeno] = shellBlocks(text);
    assert.deepEqual(runAndTest, ["npm ci && npm start", "npm ci && npm test"]);
    const server = run(runAndTest[0].replace(/^npm ci && /, ""));
    await server.waitFor(listening, 90_000);
    const pages = [await open("http://localhost:8765"), await open("http://localhost:8765")];
    for (const page of pages) {
      await until(
        "each page shows a connection to the other",
        async () => (await page.locator("#picture .edge").count()) >= 1,
        30_000,
      );
    }
    await writeFile(join(copy, "talk.ts"), tsBlock(text, "talk.ts"));
    assert.equal(talkDeno.length, 2);
    const first = run(talkDeno[0]);
    const firstId = (await first.waitFor(/^my id: [0-9a-f]{64}$/, 30_000)).slice("my id: ".length);
    const second = run(talkDeno[1], { "the first one's id": firstId });
    const secondId = (await second.waitFor(/^my id: [0-9a-f]{64}$/, 30_000)).slice(
      "my id: ".length,
    );
    await first.waitFor(new RegExp(`^${secondId} ping$`), 30_000);
    await second.waitFor(new RegExp(`^${firstId} pong$`), 30_000);
    for (const page of pages) await page.context().close();
  });

  it("client_server: the client's ping reaches the server", async () => {
    const [commands] = shellBlocks(await readme("examples/client_server/README.md"));
    assert.equal(commands.length, 3);
    await run(commands[0]).waitFor(listening, 30_000);
    const server = run(commands[1]);
    const id = (await server.waitFor(/^server id: [0-9a-f]{64}$/, 30_000)).slice(
      "server id: ".length,
    );
    const client = run(commands[2], { "server id": id });
    await client.waitFor(/^sent "ping"/, 30_000);
    assert.equal(await client.exited, 0);
    await server.waitFor(/^[0-9a-f]{64}: ping$/);
  });

  for (
    const [name, url, heard] of [
      ["ping_pong", /http:\/\/localhost:8765\/\?name=page-1/, /^pong from page-1 in \d+ ms$/],
      [
        "room_chat",
        /http:\/\/localhost:8765\/\?room=lobby&name=cy/,
        /^\* (cy|[0-9a-f]{8}) joined$/,
      ],
    ] as const
  ) {
    it(`${name}: the server serves the page, and the Deno node and the page hear each other`, async () => {
      const text = await readme(`examples/${name}/README.md`);
      const [commands] = shellBlocks(text);
      assert.equal(commands.length, 2);
      const address = text.match(url)?.[0];
      assert.ok(address, `the README gives the page's address (${url})`);
      await run(commands[0]).waitFor(listening, 60_000);
      const node = run(commands[1]);
      const page = await open(address);
      await node.waitFor(heard, 60_000);
      await until(
        "the page hears the Deno node",
        async () => /deno-1|ann/.test((await page.textContent("#log")) ?? ""),
        30_000,
      );
      await page.context().close();
    });
  }

  it("chat_cli: the CLI joins the demo's server", async () => {
    const [commands] = shellBlocks(await readme("examples/chat_cli/README.md"));
    assert.deepEqual(commands.length, 2);
    await run(commands[0]).waitFor(listening, 90_000);
    const cli = run(commands[1]);
    await cli.waitFor(/^ann \([0-9a-f]{64}\) on ws:\/\/localhost:8765/, 30_000);
    const page = await open("http://localhost:8765/?name=bob");
    await cli.waitFor(/^\* connected to /, 30_000);
    cli.write("/quit");
    assert.equal(await cli.exited, 0);
    await page.context().close();
  });
});

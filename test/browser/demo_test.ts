/**
 * The demo page in real Chromium with two CLI nodes (one on Node, one on Deno) on one real
 * signalling server that serves the page: one overlay, chat in both directions, the network
 * picture, reloads and a second tab. Once with host candidates on 127.0.0.1 and once through a
 * loopback coturn relay. A screenshot of each run goes to test-output/.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBrowser } from "../../build_browser.ts";
import {
  type BrowserName,
  launchBrowsers,
  type TestBrowser,
  type TestContext,
  type TestPage,
} from "../support/browsers.ts";
import { readPage, startedId } from "../support/demo_page.ts";
import { hasNonLoopbackInterfaces, until } from "../../harness/network.ts";
import { type PeerProcess, startPeer } from "../../harness/peer_process.ts";
import { repoRoot, type SignalProcess, startSignalProcess } from "../../harness/signal_process.ts";
import { startTurn, type TurnServer } from "../support/turn.ts";

/** Waits until `peer` prints a chat event with `text`. */
async function chatArrives(peer: PeerProcess, text: string): Promise<void> {
  for (;;) {
    const event = await peer.next();
    if (event.event === "chat" && event.text === text) return;
  }
}

async function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe("the demo page in Chromium and Firefox with a Node and a Deno node", {
  timeout: 180_000,
}, () => {
  let dist: string;
  let browsers: Map<BrowserName, TestBrowser>;
  let turn: TurnServer;
  const output = join(repoRoot(), "test-output");
  before(async () => {
    dist = await mkdtemp(join(tmpdir(), "flnet-dist-"));
    await buildBrowser(dist);
    await mkdir(output, { recursive: true });
    browsers = await launchBrowsers();
    turn = await startTurn();
  });
  after(async () => {
    for (const browser of browsers?.values() ?? []) await browser.close();
    await turn?.stop();
    await rm(dist, { recursive: true, force: true });
  });

  const runs = [
    ["host", "chromium", "chromium"],
    ["relay", "chromium", "chromium"],
    ["host", "firefox", "chromium"],
    ["relay", "firefox", "chromium"],
  ] as const;
  for (const [mode, first, second] of runs) {
    it(`forms one overlay and chats both ways (${mode} candidates, ${first} and ${second})`, async () => {
      const iceServer = turn.iceServer;
      const relayed = mode === "relay"
        ? { iceServers: [iceServer], iceTransportPolicy: "relay" as const }
        : {};
      const query = new URLSearchParams({ candidates: "loopback" });
      if (mode === "relay") {
        query.set("ice", iceServer.urls as string);
        query.set("ice-user", iceServer.username!);
        query.set("ice-pass", iceServer.credential!);
        query.set("policy", "relay");
      }
      // Outside a loopback-only namespace a native engine may reach 127.0.0.1 from its LAN
      // socket; Chromium then sees a peer-reflexive candidate (test/support/network.ts).
      const paths = mode === "relay"
        ? ["relay"]
        : hasNonLoopbackInterfaces()
        ? ["host", "prflx"]
        : ["host"];
      let signal: SignalProcess | undefined;
      const peers: PeerProcess[] = [];
      const contexts: TestContext[] = [];
      try {
        signal = await startSignalProcess(["--static", join(dist, "demo")]);
        const site = signal.url.replace(/^ws/, "http");
        for (const [runtime, engine] of [["node", "wrtc"], ["deno", "node-datachannel"]] as const) {
          peers.push(
            await startPeer(runtime, [
              ...["--mode", "node", "--signal", signal.url, "--engine", engine],
              ...["--name", `${runtime}-cli`, "--network", JSON.stringify(relayed)],
            ]),
          );
        }
        const pages: TestPage[] = [];
        for (const [name, browser] of [["page-a", first], ["page-b", second]] as const) {
          const context = await browsers.get(browser)!.newContext();
          contexts.push(context);
          const page = await context.newPage();
          await page.goto(`${site}/?name=${name}&${query}`);
          pages.push(page);
        }
        const [a, b] = pages;
        const ids = [await startedId(a), await startedId(b), ...peers.map((p) => p.id)];

        // one overlay: with 4 nodes everybody connects to everybody (target degree 3)
        let last = await readPage(a);
        await until(`page A connected to the 3 others over ${paths}`, async () => {
          last = await readPage(a);
          return last.edges.length === 3 && last.edges.every((e) => paths.includes(e.path));
        }, 30_000).catch((error) => {
          throw new Error(`${error.message}; page A shows ${JSON.stringify(last)}`);
        });
        const seen = await readPage(a);
        assert.deepEqual(seen.nodes.toSorted(), ids.toSorted());
        assert.equal(seen.nodes[0], ids[0], "this node is drawn first, in the middle");
        assert.deepEqual(seen.edges.map((e) => e.to).toSorted(), ids.slice(1).toSorted());
        assert.ok(seen.log.some((line) => line.includes(`path`)), "the log names the path");

        // the others' connections among themselves, from their signed neighbour lists
        const others = ids.slice(1).toSorted();
        const expected = others.flatMap((x, i) => others.slice(i + 1).map((y) => `${x}|${y}`));
        await until("page A draws the connections among the 3 others", async () => {
          last = await readPage(a);
          return expected.every((link) => last.links.includes(link));
        }, 30_000).catch((error) => {
          throw new Error(`${error.message}; page A shows ${JSON.stringify(last.links)}`);
        });

        // chat typed in page A reaches page B and both CLI nodes
        await a.fill("#chat-input", `hello from page A (${mode})`);
        await a.press("#chat-input", "Enter");
        await Promise.all([
          until(
            "page B shows A's message",
            async () =>
              (await readPage(b)).chat.some((line) => line.includes(`hello from page A (${mode})`)),
            15_000,
          ),
          ...peers.map((peer) =>
            withTimeout(
              "a CLI node got A's message",
              chatArrives(peer, `hello from page A (${mode})`),
              15_000,
            )
          ),
        ]);
        // and one sent by the Node node reaches both pages
        peers[0].send({ chat: `hello from node (${mode})` });
        for (const page of pages) {
          await until(
            "a page shows the Node node's message",
            async () =>
              (await readPage(page)).chat.some((line) =>
                line.includes("node-cli") && line.includes(`hello from node (${mode})`)
              ),
            15_000,
          );
        }
        await a.screenshot({
          path: join(output, `demo-${mode}-${first}-${second}.png`),
          fullPage: true,
        });

        if (mode === "host") {
          // a reload keeps the identity and the chat history (in localStorage)
          await until(
            "page A stored the chat",
            () =>
              a.evaluate(() =>
                (localStorage.getItem("flnet/gossip") ?? "").includes("hello from node")
              ),
            10_000,
          );
          await a.reload();
          assert.equal(await startedId(a), ids[0]);
          const reloaded = await readPage(a);
          assert.match(reloaded.identity, /localStorage/);
          await until("page A shows its chat history", async () => {
            const { chat } = await readPage(a);
            return chat.some((l) => l.includes("hello from page A")) &&
              chat.some((l) => l.includes("hello from node"));
          }, 10_000);

          // a second tab of the same site: told the identity is in use, then joins as itself
          const second = await contexts[0].newPage();
          await second.goto(`${site}/?${query}`);
          await second.waitForSelector("#identity-in-use:not([hidden])", { timeout: 10_000 });
          assert.match(
            await second.textContent("#identity-message") ?? "",
            /is in use by another tab/,
          );
          assert.equal((await readPage(second)).id, "…", "the second tab did not start the node");
          await second.click("#use-tab-identity");
          await startedId(second);
          const own = await readPage(second);
          assert.notEqual(own.id, ids[0]);
          assert.match(own.identity, /this tab's own/);
          await until(
            "page A sees the second tab's node connected",
            async () => (await readPage(a)).edges.some((e) => e.to === own.id),
            30_000,
          );
        }
      } finally {
        for (const context of contexts) await context.close();
        for (const peer of peers) {
          peer.child.kill("SIGKILL");
          await peer.exited;
        }
        await signal?.stop();
      }
    });
  }
});

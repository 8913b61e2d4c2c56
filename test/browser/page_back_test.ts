/**
 * A page whose signalling server went away and came back: it waits out its backoff (here made
 * a minute long) unless the page says the network is back (`online`) or it became visible
 * again; then it reconnects at once and sets up new connections through the server.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { type RunningSignalServer, serveSignal } from "../../adapters/deno/serve_signal.ts";
import { loopbackNode, until } from "../../harness/network.ts";
import { BROWSERS, launchBrowser, type TestBrowser, type TestPage } from "../support/browsers.ts";
import { buildTestSite, pageNetwork } from "../support/page_network.ts";

/** The signalling states the page's network reported so far. */
const states = (page: TestPage) =>
  page.evaluate(() => (globalThis as unknown as { signalStates: string[] }).signalStates);

/** What makes the page say it is back. */
const WAKE_UPS: Record<string, () => void> = {
  online: () => void dispatchEvent(new Event("online")),
  visible: () => {
    Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
  },
};

describe("a page whose network comes back", { timeout: 120_000 }, () => {
  let dist: string;
  let server: RunningSignalServer;
  before(async () => {
    dist = await buildTestSite();
    server = await serveSignal({ port: 0, staticDir: dist });
  });
  after(async () => {
    await server?.close();
    await rm(dist, { recursive: true, force: true });
  });

  for (const name of BROWSERS) {
    for (const [event, wakeUp] of Object.entries(WAKE_UPS)) {
      it(`reconnects at once on "${event}" instead of after its backoff (${name})`, async () => {
        const browser: TestBrowser = await launchBrowser(name);
        const port = server.port;
        try {
          const { page, id } = await pageNetwork(
            browser,
            server.url.replace(/^ws/, "http"),
            server.url,
            {
              signal: {
                websocket: { backoffInitialMs: 60_000, backoffMaxMs: 60_000, backoffJitter: 0 },
              },
            },
          );
          await server.close();
          await until(
            "the page lost the server",
            async () => (await states(page)).includes("disconnected"),
            10_000,
          );
          server = await serveSignal({ port, staticDir: dist });
          const before = (await states(page)).length;
          await page.evaluate(wakeUp);
          await until(
            "the page is back on the server",
            async () => (await states(page)).slice(before).includes("ready"),
            10_000, // its backoff would take 60 s
          );
          // and new connections are set up through the server again
          const newcomer = await loopbackNode(server.url, "node-datachannel", "newcomer");
          try {
            const arrived = newcomer.recv();
            await page.evaluate(async (to: string) => {
              // deno-lint-ignore no-explicit-any
              await (globalThis as any).testNet.send(to, "welcome back");
            }, newcomer.id);
            assert.deepEqual(await arrived, { from: id, module: "", data: "welcome back" });
          } finally {
            await newcomer.close();
          }
        } finally {
          await browser.close();
        }
      });
    }
  }
});

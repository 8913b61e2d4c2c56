/**
 * A browser (Chromium, Firefox) killed with SIGKILL while a Deno node is connected to its page:
 * the node notices by the page's silence (the heartbeat), or sooner, never after the ICE timeouts.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { loopbackNode } from "../../harness/network.ts";
import { BROWSERS, launchBrowser, type TestBrowser } from "../support/browsers.ts";
import { startTestSite, type TestSite } from "../support/page_network.ts";
import { startedId } from "../support/demo_page.ts";
import { nextOf } from "../support/channels.ts";

describe("a browser killed while connected", { timeout: 90_000 }, () => {
  let test: TestSite;
  before(async () => test = await startTestSite());
  after(() => test?.close());

  for (const name of BROWSERS) {
    it(`is noticed within the liveness timeout, not after ICE's (${name}, SIGKILL)`, async () => {
      let browser: TestBrowser | undefined = await launchBrowser(name);
      // ICE alone would take 5 s and more: the heartbeat must come first
      const node = await loopbackNode(test.server.url, "node-datachannel", "watcher", {
        disconnectGraceMs: 30_000,
      });
      const outputs = node.broker.channelOut();
      try {
        const page = await (await browser.newContext()).newPage();
        const query = new URLSearchParams({ name: "victim", candidates: "loopback" });
        await page.goto(`${test.site}/demo/?${query}`);
        const pageId = await startedId(page);
        await node.send(pageId, "hello");
        await nextOf(outputs, "connected", (o) => o.id === pageId);
        await new Promise((resolve) => setTimeout(resolve, 1000)); // idle, both alive
        browser.kill();
        browser = undefined;
        const killedAt = Date.now();
        const gone = await nextOf(outputs, "disconnected", (o) => o.id === pageId, 20_000);
        const waited = Date.now() - killedAt;
        // the heartbeat's silence (2.5 s), or sooner when the engine hears the dead process's
        // sockets refuse (seen on a machine with a LAN: ICE failed after 74 ms); never the ICE
        // grace of 30 s (half of it leaves room for a busy machine)
        assert.ok(waited < 15_000, `after ${waited} ms: ${gone.reason}`);
        assert.match(
          gone.reason,
          /nothing heard from the peer for \d+ ms|ICE connection failed|data channel closed/,
          `after ${waited} ms`,
        );
      } finally {
        browser?.kill();
        outputs.close();
        await node.close();
      }
    });
  }
});

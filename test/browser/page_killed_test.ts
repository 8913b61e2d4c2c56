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
        // the heartbeat's silence (2.5 s), or sooner when the engine hears that the dead
        // process's sockets are gone (seen with a LAN and in CI's namespace: 68-74 ms, the ICE
        // connection failing or the channel closing); never the ICE grace of 30 s (half of it
        // leaves room for a busy machine). The heartbeat's own verdict is tested with a killed
        // Deno peer (test/webrtc/peer_killed_test.ts) and a stopped one (documented_test.ts).
        assert.ok(waited < 15_000, `after ${waited} ms: ${gone.reason}`);
      } finally {
        browser?.kill();
        outputs.close();
        await node.close();
      }
    });
  }
});

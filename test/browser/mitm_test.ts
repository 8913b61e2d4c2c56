/**
 * A signalling server in the middle of a page (Chromium, Firefox) and a Deno node
 * (test/support/mitm_signal.ts):
 * the demo page and the node both see the forgery, and no message passes.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { NetworkError } from "../../net/api.ts";
import { until } from "../../harness/network.ts";
import {
  type BrowserName,
  BROWSERS,
  launchBrowsers,
  type TestBrowser,
} from "../support/browsers.ts";
import { startTestSite, type TestSite } from "../support/page_network.ts";
import { readPage, startedId } from "../support/demo_page.ts";
import { MitmSignal, victimNode } from "../support/mitm_signal.ts";

describe("a signalling server in the middle of a browser and Deno", { timeout: 90_000 }, () => {
  let test: TestSite;
  let browsers: Map<BrowserName, TestBrowser>;
  before(async () => {
    test = await startTestSite();
    browsers = await launchBrowsers();
  });
  after(async () => {
    for (const browser of browsers?.values() ?? []) await browser.close();
    await test?.close();
  });

  for (const name of BROWSERS) {
    it(`passes no message, and the page (${name}) and the node both report the forgery`, async () => {
      const mitm = await MitmSignal.start({ upstream: test.server.url });
      const node = await victimNode(mitm.url, "node-datachannel", await NodeConfig.create());
      const context = await browsers.get(name)!.newContext();
      try {
        const page = await context.newPage();
        const query = new URLSearchParams({
          name: "page",
          candidates: "loopback",
          signal: mitm.url,
        });
        await page.goto(`${test.site}/demo/?${query}`);
        const pageId = await startedId(page);
        const failure = await node.net.send(pageId, "secret plans", "chat").then(
          () => undefined,
          (error) => error,
        );
        assert.ok(failure instanceof NetworkError, `the send failed (got ${failure})`);
        assert.equal(failure.code, "peer-auth-failed", failure.message);
        let log: string[] = [];
        await until("the page reported the forgery", async () => {
          log = (await readPage(page)).log;
          return log.some((line) => line.includes("peer-auth-failed"));
        }, 15_000).catch((error) => {
          throw new Error(`${error.message}; the page's log: ${JSON.stringify(log)}`);
        });
        assert.ok(
          node.errors.some((e) => e.code === "peer-auth-failed" && e.to === pageId),
          JSON.stringify(node.errors),
        );
        assert.equal(mitm.bridged, 0, "no victim connected to the attacker");
        assert.deepEqual(mitm.captured, [], "the attacker read nothing");
        assert.deepEqual(node.heard, [], "the node got no connection and no message");
        assert.equal((await readPage(page)).edges.length, 0, "the page shows no connection");
      } finally {
        await context.close();
        await node.net.close();
        await mitm.close();
      }
    });
  }
});

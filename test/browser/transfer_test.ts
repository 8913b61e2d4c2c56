/**
 * 1 MiB binary messages, hash-checked, between a Deno node and a page in Chromium and in
 * Firefox, and between a Firefox page and a Chromium page, over loopback host candidates. The
 * pages load the browser bundle (dist/flnet.browser.js) and start a bare network.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import type { RunningSignalServer } from "../../adapters/deno/serve_signal.ts";
import { isThisMachine, loopbackNode, randomBytes, sha256, until } from "../../harness/network.ts";
import {
  type BrowserName,
  BROWSERS,
  launchBrowsers,
  type TestBrowser,
} from "../support/browsers.ts";
import {
  pageNetwork,
  pageReceives,
  pageSends,
  startTestSite,
  type TestSite,
} from "../support/page_network.ts";

const MIB = 1024 * 1024;

describe("1 MiB messages with pages in Chromium and Firefox", { timeout: 120_000 }, () => {
  let test: TestSite;
  let server: RunningSignalServer;
  let browsers: Map<BrowserName, TestBrowser>;
  before(async () => {
    test = await startTestSite();
    server = test.server;
    browsers = await launchBrowsers();
  });
  after(async () => {
    for (const browser of browsers?.values() ?? []) await browser.close();
    await test?.close();
  });
  const site = () => test.site;

  for (const name of BROWSERS) {
    it(`both ways between a Deno node and ${name}`, async () => {
      const node = await loopbackNode(server.url, "node-datachannel", "deno");
      try {
        const { page, id } = await pageNetwork(browsers.get(name)!, site(), server.url);
        const bytes = randomBytes(MIB);
        const arrived = pageReceives(page);
        await node.send(id, bytes);
        assert.deepEqual(await arrived, { from: node.id, length: MIB, hash: await sha256(bytes) });
        const sent = await pageSends(page, node.id, MIB);
        const back = await node.recv();
        assert.equal(back.from, id);
        assert.equal(await sha256(back.data as Uint8Array), sent);
        // the selected pair shows in the engine's stats a little after the channel opened
        let remote: string | undefined;
        await until("the node's stats name the path", async () => {
          remote = (await node.connections())[0]?.status.remoteAddress;
          return remote !== undefined;
        }, 10_000);
        // loopback, or this machine's LAN address paired with loopback (packets still over lo)
        assert.ok(isThisMachine(remote!), `a path on this machine (${remote})`);
      } finally {
        await node.close();
      }
    });
  }

  it("both ways between Firefox and Chromium", async () => {
    const fox = await pageNetwork(browsers.get("firefox")!, site(), server.url);
    const chrome = await pageNetwork(browsers.get("chromium")!, site(), server.url);
    for (const [from, to] of [[fox, chrome], [chrome, fox]]) {
      const arrived = pageReceives(to.page);
      const hash = await pageSends(from.page, to.id, MIB);
      assert.deepEqual(await arrived, { from: from.id, length: MIB, hash });
    }
  });
});

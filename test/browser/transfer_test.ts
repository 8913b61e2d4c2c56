/**
 * 1 MiB binary messages, hash-checked, between a Deno node and a page in Chromium and in
 * Firefox, and between a Firefox page and a Chromium page, over loopback host candidates. The
 * pages load the browser bundle (dist/flnet.browser.js) and start a bare network.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBrowser } from "../../build_browser.ts";
import { type RunningSignalServer, serveSignal } from "../../signal/serve.ts";
import { loopbackNode, randomBytes, sha256 } from "../../harness/network.ts";
import {
  type BrowserName,
  launchBrowser,
  type TestBrowser,
  type TestPage,
} from "../support/browsers.ts";

const MIB = 1024 * 1024;

/** Opens a blank page of the server's site and starts a network in it; returns its node id. */
async function pageNode(
  browser: TestBrowser,
  site: string,
  signal: string,
): Promise<{ page: TestPage; id: string }> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${site}/blank.html`);
  const id = await page.evaluate(async (url: string) => {
    const flnet = await import("/flnet.browser.js");
    const net = await flnet.networkStart(await flnet.NodeConfig.create(), url, {
      candidateFilter: flnet.candidateFilters.loopbackOnly,
    });
    (globalThis as Record<string, unknown>).testNet = net;
    return net.id as string;
  }, signal);
  return { page, id };
}

/** The page's next message: who sent it, its length and SHA-256. */
function pageReceives(page: TestPage): Promise<{ from: string; length: number; hash: string }> {
  return page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const net = (globalThis as any).testNet;
    const msg = await net.recv();
    const digest = await crypto.subtle.digest("SHA-256", msg.data);
    const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    return { from: msg.from, length: msg.data.length, hash };
  });
}

/** The page sends `bytes` random bytes to `to`; returns their SHA-256 once the send resolved. */
function pageSends(page: TestPage, to: string, bytes: number): Promise<string> {
  return page.evaluate(async ([to, bytes]: [string, number]) => {
    // deno-lint-ignore no-explicit-any
    const net = (globalThis as any).testNet;
    const data = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
    await net.send(to, data);
    const digest = await crypto.subtle.digest("SHA-256", data);
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  }, [to, bytes] as [string, number]);
}

describe("1 MiB messages with pages in Chromium and Firefox", { timeout: 120_000 }, () => {
  let dist: string;
  let server: RunningSignalServer;
  const browsers = new Map<BrowserName, TestBrowser>();
  before(async () => {
    dist = await mkdtemp(join(tmpdir(), "flnet-dist-"));
    await buildBrowser(dist);
    await writeFile(join(dist, "blank.html"), "<!doctype html><title>flnet test</title>");
    server = await serveSignal({ port: 0, staticDir: dist });
    for (const name of ["chromium", "firefox"] as const) {
      browsers.set(name, await launchBrowser(name));
    }
  });
  after(async () => {
    for (const browser of browsers.values()) await browser.close();
    await server?.close();
    await rm(dist, { recursive: true, force: true });
  });
  const site = () => server.url.replace(/^ws/, "http");

  for (const name of ["chromium", "firefox"] as const) {
    it(`both ways between a Deno node and ${name}`, async () => {
      const node = await loopbackNode(server.url, "node-datachannel", "deno");
      try {
        const { page, id } = await pageNode(browsers.get(name)!, site(), server.url);
        const bytes = randomBytes(MIB);
        const arrived = pageReceives(page);
        await node.send(id, bytes);
        assert.deepEqual(await arrived, { from: node.id, length: MIB, hash: await sha256(bytes) });
        const sent = await pageSends(page, node.id, MIB);
        const back = await node.recv();
        assert.equal(back.from, id);
        assert.equal(await sha256(back.data as Uint8Array), sent);
        const [link] = await node.connections();
        assert.match(link.status.remoteAddress ?? "", /^127\.0\.0\.1:\d+$/, "a loopback path");
      } finally {
        await node.close();
      }
    });
  }

  it("both ways between Firefox and Chromium", async () => {
    const fox = await pageNode(browsers.get("firefox")!, site(), server.url);
    const chrome = await pageNode(browsers.get("chromium")!, site(), server.url);
    for (const [from, to] of [[fox, chrome], [chrome, fox]]) {
      const arrived = pageReceives(to.page);
      const hash = await pageSends(from.page, to.id, MIB);
      assert.deepEqual(await arrived, { from: from.id, length: MIB, hash });
    }
  });
});

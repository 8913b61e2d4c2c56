/**
 * What the demo's header says when things go wrong, in each browser of the suite: the
 * signalling server killed under a page (the header says it is lost and being reconnected to),
 * the server back on the same address (the header says so no more), and a message typed before
 * the node started (the page stays, with its address's settings, and says it was not sent).
 * Screenshots go to test-output/.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBrowser } from "../../build_browser.ts";
import { BROWSERS, launchBrowser, type TestBrowser } from "../support/browsers.ts";
import { startedId } from "../support/demo_page.ts";
import { until } from "../../harness/network.ts";
import { repoRoot, type SignalProcess, startSignalProcess } from "../../harness/signal_process.ts";

describe("the demo's header when the signalling server goes and comes back", {
  timeout: 90_000,
}, () => {
  let dist: string;
  const output = join(repoRoot(), "test-output");
  before(async () => {
    dist = await mkdtemp(join(tmpdir(), "flnet-dist-"));
    await buildBrowser(dist);
    await mkdir(output, { recursive: true });
  });
  after(() => rm(dist, { recursive: true, force: true }));

  for (const name of BROWSERS) {
    it(`says so, and no more once it is back (${name})`, async () => {
      let browser: TestBrowser | undefined;
      let signal: SignalProcess | undefined;
      try {
        browser = await launchBrowser(name);
        signal = await startSignalProcess(["--static", join(dist, "demo")]);
        const port = new URL(signal.url).port;
        const page = await (await browser.newContext()).newPage();
        await page.goto(`${signal.url.replace(/^ws/, "http")}/?name=watcher&candidates=loopback`);
        await startedId(page);
        const status = async () => (await page.textContent("#status")) ?? "";
        assert.match(await status(), /waiting for other nodes/);

        await signal.kill();
        await until("the header says the server is lost", async () => {
          return /signalling server lost \(.+\); reconnecting/.test(await status());
        }, 20_000);
        await page.screenshot({
          path: join(output, `demo-server-lost-${name}.png`),
          fullPage: true,
        });

        signal = await startSignalProcess(["--static", join(dist, "demo"), "--port", port]);
        await until("the header no longer says so", async () => {
          return !(await status()).includes("lost");
        }, 20_000);
        assert.match(await status(), /waiting for other nodes/);
      } finally {
        await signal?.kill();
        await browser?.close();
      }
    });
  }

  it("keeps the page and says so when a message is sent before the node started", async () => {
    const browser = await launchBrowser("chromium");
    const signal = await startSignalProcess(["--static", join(dist, "demo")]);
    try {
      // a second tab of the same identity does not start until asked: the form is there
      const site = `${signal.url.replace(/^ws/, "http")}/?name=first&candidates=loopback`;
      const context = await browser.newContext();
      const first = await context.newPage();
      await first.goto(site);
      await startedId(first);
      const second = await context.newPage();
      await second.goto(site.replace("first", "second"));
      await second.waitForSelector("#identity-in-use:not([hidden])", { timeout: 15_000 });
      await second.fill("#chat-input", "too early");
      await second.press("#chat-input", "Enter");
      await until("the page says it was not sent", async () => {
        return ((await second.textContent("#log")) ?? "").includes("not started yet");
      }, 5_000);
      assert.equal(
        await second.evaluate(() => location.search),
        "?name=second&candidates=loopback",
        "the page was not reloaded",
      );
    } finally {
      await signal.kill();
      await browser.close();
    }
  });
});

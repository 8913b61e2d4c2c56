/**
 * What the demo page tells a person, in each browser of the suite: the signalling server killed
 * under a page (the header says it is lost and being reconnected to) and back on the same
 * address (it says so no more); the peer list (whole id to copy, messages, bytes, round-trip
 * sparkline); the reason when no peer can be reached; a tab duplicated from a tab with its own
 * identity running on a temporary one; and a message typed before the node started (the page
 * stays, with its address's settings, and says it was not sent). Screenshots go to test-output/.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBrowser } from "../../build_browser.ts";
import {
  BROWSERS,
  chromiumPage,
  launchBrowser,
  type TestBrowser,
  type TestPage,
} from "../support/browsers.ts";
import { launchChromium, loopbackContext } from "../support/chromium.ts";
import { type PeerRowView, readPeers, startedId } from "../support/demo_page.ts";
import { until } from "../../harness/network.ts";
import { repoRoot, type SignalProcess, startSignalProcess } from "../../harness/signal_process.ts";

describe("what the demo page tells a person", {
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

  for (const name of BROWSERS) {
    it(`lists the peer with its whole id, messages, bytes and round-trip times (${name})`, async () => {
      const browser = await launchBrowser(name);
      const signal = await startSignalProcess(["--static", join(dist, "demo")]);
      try {
        const site = `${signal.url.replace(/^ws/, "http")}/?candidates=loopback`;
        const a = await (await browser.newContext()).newPage();
        await a.goto(`${site}&name=ann`);
        const other = await (await browser.newContext()).newPage();
        await other.goto(`${site}&name=bob`);
        const bob = await startedId(other);
        await startedId(a);
        let row: PeerRowView | undefined;
        await until("ann's list shows bob with traffic both ways and a sparkline", async () => {
          row = (await readPeers(a)).find((r) => r.id === bob);
          return Boolean(
            row && row.name === "bob" && /^[1-9]\d* in · [1-9]\d* out$/.test(row.messages) &&
              row.rttPoints >= 2,
          );
        }, 40_000).catch((error) => {
          throw new Error(`${error.message}; the row: ${JSON.stringify(row)}`);
        });
        assert.equal(row!.id, bob, "the whole id");
        assert.match(row!.bytes, /^[\d.]+ (B|kB|MB) in · [\d.]+ (B|kB|MB) out$/);
        assert.match(row!.path, /^(host|prflx)$/);
        assert.match(row!.rtt, /^\d+\.\d ms$/);
        assert.ok(row!.visible, "the row is on screen");
        await a.screenshot({ path: join(output, `demo-peers-${name}.png`), fullPage: true });
        // the copy button puts the id on the clipboard, or selects it where the page may not
        await a.click(`button[data-copy="${bob}"]`);
        await until("the id was copied or selected", async () => {
          const done = await a.evaluate((id) => ({
            copied: document.querySelector(`button[data-copy="${id}"]`)?.textContent,
            selected: getSelection()?.toString(),
          }), bob);
          return done.copied === "copied" || done.selected === bob;
        }, 5_000);
      } finally {
        await signal.kill();
        await browser.close();
      }
    });

    it(`says why when no peer can be reached (${name})`, async () => {
      const browser = await launchBrowser(name);
      const signal = await startSignalProcess(["--static", join(dist, "demo")]);
      try {
        // relay only, and no TURN server: neither page has a candidate to offer
        const site = `${signal.url.replace(/^ws/, "http")}/?candidates=loopback&policy=relay`;
        const pages: TestPage[] = [];
        for (const who of ["ann", "bob"]) {
          const page = await (await browser.newContext()).newPage();
          await page.goto(`${site}&name=${who}`);
          await startedId(page);
          pages.push(page);
        }
        const status = async () => (await pages[0].textContent("#status")) ?? "";
        await until("the header says why no connection came up", async () => {
          return /^no connection to any node yet: no connection to [0-9a-f]{8}( within \d+ ms|: ICE failed): .+/
            .test(await status());
        }, 60_000).catch(async (error) => {
          throw new Error(
            `${error.message}; the header: ${await status()}; log: ${await pages[0].textContent(
              "#log",
            )}`,
          );
        });
        assert.match(await status(), /no TURN server is configured/, await status());
        await until(
          "the peer list says there is no peer",
          async () =>
            ((await pages[0].textContent("#peer-rows")) ?? "").trim() ===
              "no connected peers yet",
          5_000,
        );
        await pages[0].screenshot({
          path: join(output, `demo-unreachable-${name}.png`),
          fullPage: true,
        });
      } finally {
        await signal.kill();
        await browser.close();
      }
    });
  }

  for (const name of BROWSERS) {
    it(`starts one of two tabs opened at the same moment on the site's identity (${name})`, async () => {
      const browser = await launchBrowser(name);
      const signal = await startSignalProcess(["--static", join(dist, "demo")]);
      try {
        const site = `${signal.url.replace(/^ws/, "http")}/?candidates=loopback`;
        for (let round = 0; round < 6; round++) {
          const context = await browser.newContext();
          const tabs = await Promise.all([context.newPage(), context.newPage()]);
          await Promise.all(tabs.map((tab) => tab.goto(site)));
          const states = async () =>
            await Promise.all(tabs.map(async (tab) => (await tab.textContent("#status")) ?? ""));
          await until("both tabs know whether they started", async () => {
            return (await states()).every((state) => !/^(connecting|starting|$)/.test(state));
          }, 15_000);
          const started = (await states()).filter((state) => !/identity in use/.test(state));
          assert.equal(started.length, 1, `round ${round}: ${await states()}`);
          await context.close();
        }
      } finally {
        await signal.kill();
        await browser.close();
      }
    });
  }

  it("runs a duplicated tab of a tab with its own identity on a temporary one", async () => {
    const browser = await launchChromium();
    const signal = await startSignalProcess(["--static", join(dist, "demo")]);
    try {
      const site = `${signal.url.replace(/^ws/, "http")}/?candidates=loopback`;
      const context = await loopbackContext(browser);
      const first = await context.newPage();
      await first.goto(site);
      const origin = await startedId(chromiumPage(first));
      // a second tab: told the site's identity is in use, it joins with its own
      const second = await context.newPage();
      await second.goto(site);
      await second.waitForSelector("#identity-in-use:not([hidden])", { timeout: 15_000 });
      await second.click("#use-tab-identity");
      const tab = await startedId(chromiumPage(second));
      assert.match((await second.textContent("#identity")) ?? "", /this tab's own/);
      // a tab opened from it copies its sessionStorage, tab identity included: both are taken
      const [third] = await Promise.all([
        context.waitForEvent("page"),
        second.evaluate(() => void open(location.href)),
      ]);
      await third.waitForSelector("#identity-in-use:not([hidden])", { timeout: 15_000 });
      await third.click("#use-tab-identity");
      const temporary = await startedId(chromiumPage(third));
      assert.match((await third.textContent("#identity")) ?? "", /temporary \(gone when the page/);
      assert.equal(new Set([origin, tab, temporary]).size, 3, "three identities");
      // gone when the page goes: a reload runs another temporary identity
      await third.reload();
      await third.waitForSelector("#identity-in-use:not([hidden])", { timeout: 15_000 });
      await third.click("#use-tab-identity");
      const again = await startedId(chromiumPage(third));
      assert.notEqual(again, temporary);
      assert.equal(await startedId(chromiumPage(second)), tab, "the tab's own identity stays");
    } finally {
      await signal.kill();
      await browser.close();
    }
  });

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

/**
 * One small interface over the two browsers the tests drive: Chromium (playwright-core) and
 * Firefox (puppeteer-core), so a browser test is written once and run in both, or with one
 * page in each.
 * @module
 */

import type { Browser as PlaywrightBrowser, Page as PlaywrightPage } from "playwright-core";
import type { Browser as PuppeteerBrowser, Page as PuppeteerPage } from "puppeteer-core";
import { spawnSync } from "node:child_process";
import { launchChromium, loopbackContext } from "./chromium.ts";
import { launchFirefox } from "./firefox.ts";

/** The browsers the tests run in. */
export type BrowserName = "chromium" | "firefox";

/** Every browser the tests run in. */
export const BROWSERS: readonly BrowserName[] = ["chromium", "firefox"];

/** Launches every browser, for a suite that uses them all. */
export async function launchBrowsers(): Promise<Map<BrowserName, TestBrowser>> {
  const browsers = new Map<BrowserName, TestBrowser>();
  for (const name of BROWSERS) browsers.set(name, await launchBrowser(name));
  return browsers;
}

/** What a test does with a page. */
export interface TestPage {
  /** Opens `url`. */
  goto(url: string): Promise<unknown>;
  /** Reloads the page. */
  reload(): Promise<unknown>;
  /** Runs `fn(arg)` in the page and returns its (JSON-able) result. */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** Types `text` into the input `selector` (replacing what it held). */
  fill(selector: string, text: string): Promise<void>;
  /** Presses `key` in the element `selector`. */
  press(selector: string, key: string): Promise<void>;
  /** Clicks the element `selector`. */
  click(selector: string): Promise<void>;
  /** The text of the element `selector`. */
  textContent(selector: string): Promise<string | null>;
  /** Waits until `selector` matches, at most `timeout` ms. */
  waitForSelector(selector: string, options: { timeout: number }): Promise<unknown>;
  /** Saves a screenshot of the whole page. */
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
}

/** A browser profile of its own (storage, tabs). */
export interface TestContext {
  /** A new tab. */
  newPage(): Promise<TestPage>;
  /** Closes it and its tabs. */
  close(): Promise<void>;
}

/** A running browser. */
export interface TestBrowser {
  /** Which. */
  name: BrowserName;
  /** A fresh profile whose pages may use WebRTC on loopback. */
  newContext(): Promise<TestContext>;
  /** Quits it. */
  close(): Promise<void>;
  /** Kills it and its child processes with SIGKILL, as a crash or `kill -9` would. */
  kill(): void;
}

/** Launches `name` headless. */
export async function launchBrowser(name: BrowserName): Promise<TestBrowser> {
  if (name === "firefox") return firefoxBrowser(await launchFirefox());
  // a switch Chromium ignores, to find all of its processes by
  const tag = `flnet-test-${crypto.randomUUID()}`;
  return chromiumBrowser(await launchChromium([`--${tag}`]), tag);
}

/** A Playwright page as a {@link TestPage}. */
export function chromiumPage(p: PlaywrightPage): TestPage {
  return {
    goto: (url) => p.goto(url),
    reload: () => p.reload(),
    evaluate: (fn, arg) => p.evaluate(fn as (arg: unknown) => unknown, arg) as never,
    fill: (selector, text) => p.fill(selector, text),
    press: (selector, key) => p.press(selector, key),
    click: (selector) => p.click(selector),
    textContent: (selector) => p.textContent(selector),
    waitForSelector: (selector, options) => p.waitForSelector(selector, options),
    screenshot: (options) => p.screenshot(options),
  };
}

function chromiumBrowser(browser: PlaywrightBrowser, tag: string): TestBrowser {
  return {
    name: "chromium",
    newContext: async () => {
      const context = await loopbackContext(browser);
      return {
        newPage: async () => chromiumPage(await context.newPage()),
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
    kill: () => void spawnSync("pkill", ["-KILL", "-f", tag]),
  };
}

function firefoxBrowser(browser: PuppeteerBrowser): TestBrowser {
  const page = (p: PuppeteerPage): TestPage => ({
    goto: (url) => p.goto(url),
    reload: () => p.reload(),
    evaluate: (fn, arg) => p.evaluate(fn as (arg: unknown) => unknown, arg) as never,
    fill: (selector, text) => p.locator(selector).fill(text),
    press: async (selector, key) => {
      await p.focus(selector);
      await p.keyboard.press(key as Parameters<typeof p.keyboard.press>[0]);
    },
    click: (selector) => p.click(selector),
    textContent: (selector) => p.$eval(selector, (e) => e.textContent),
    waitForSelector: (selector, options) => p.waitForSelector(selector, options),
    screenshot: (options) => p.screenshot({ ...options, path: options.path as `${string}.png` }),
  });
  return {
    name: "firefox",
    newContext: async () => {
      const context = await browser.createBrowserContext();
      return { newPage: async () => page(await context.newPage()), close: () => context.close() };
    },
    close: () => browser.close(),
    kill: () => void browser.process()?.kill("SIGKILL"),
  };
}

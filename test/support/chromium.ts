/**
 * Debian's Chromium driven by playwright-core, with the flags that keep it off the internet
 * and its WebRTC on loopback (docs/browser.md says what a page needs for loopback).
 * @module
 */

import { type Browser, type BrowserContext, chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

/**
 * Launches headless Chromium, with `extraArgs` on its command line (a tag to find its
 * processes by, say), through `executablePath` (a wrapper that starts Chromium somewhere else,
 * say); throws, saying how to install it, when it is missing.
 */
export async function launchChromium(
  extraArgs: string[] = [],
  executablePath: string = CHROMIUM,
): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `${CHROMIUM} is missing: run \`apt-get install -y chromium\` (npm test does, as root)`,
    );
  }
  return await chromium.launch({
    headless: true,
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      "--disable-features=WebRtcHideLocalIpsWithMdns,MediaRouter,DialMediaRouteProvider," +
      "OptimizationHints,Translate",
      "--allow-loopback-in-peer-connection",
      ...extraArgs,
    ],
  });
}

/**
 * A fresh browser context (its own storage, like another browser profile) whose pages offer
 * their loopback address as a host candidate. Chromium offers only the default route's address
 * unless the page may use the microphone; granting the permission is enough, the page never
 * opens a device.
 */
export async function loopbackContext(browser: Browser): Promise<BrowserContext> {
  return await browser.newContext({
    viewport: { width: 1200, height: 800 },
    permissions: ["microphone"],
  });
}

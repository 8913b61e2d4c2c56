/**
 * A bare flnet network in a test page: a blank page of the test site (the browser bundle built
 * into a temporary directory, served by the signalling server) imports `/flnet.browser.js` and
 * starts a network, kept as `globalThis.testNet`; its signalling states are kept in
 * `globalThis.signalStates`.
 * @module
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBrowser } from "../../build_browser.ts";
import type { TestBrowser, TestPage } from "./browsers.ts";
import { type RunningSignalServer, serveSignal } from "../../adapters/deno/serve_signal.ts";

/** Builds the browser bundle and a blank page into a new temporary directory, returned. */
export async function buildTestSite(): Promise<string> {
  const dist = await mkdtemp(join(tmpdir(), "flnet-dist-"));
  await buildBrowser(dist);
  await writeFile(join(dist, "blank.html"), "<!doctype html><title>flnet test</title>");
  return dist;
}

/** A signalling server serving the test site: the bundle, a blank page, the demo at /demo/. */
export interface TestSite {
  /** The server. */
  server: RunningSignalServer;
  /** Its HTTP address. */
  site: string;
  /** Stops the server and removes the site. */
  close(): Promise<void>;
}

/** Builds the test site and serves it with a signalling server on a free port. */
export async function startTestSite(): Promise<TestSite> {
  const dist = await buildTestSite();
  const server = await serveSignal({ port: 0, staticDir: dist });
  return {
    server,
    site: server.url.replace(/^ws/, "http"),
    close: async () => {
      await server.close();
      await rm(dist, { recursive: true, force: true });
    },
  };
}

/**
 * Opens a blank page of `site` in a fresh profile of `browser` and starts a network on the
 * signalling server `signal`, on loopback, with `options` (JSON) added; returns the page and
 * the node id.
 */
export async function pageNetwork(
  browser: TestBrowser,
  site: string,
  signal: string,
  options: Record<string, unknown> = {},
): Promise<{ page: TestPage; id: string }> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${site}/blank.html`);
  const id = await page.evaluate(async ([url, options]: [string, Record<string, unknown>]) => {
    const flnet = await import("/flnet.browser.js");
    const net = await flnet.networkStart(await flnet.NodeConfig.create(), url, {
      candidateFilter: flnet.candidateFilters.loopbackOnly,
      ...options,
    });
    const states: string[] = [];
    net.broker.tapOut((out: { type: string; state?: string }) => {
      if (out.type === "signal") states.push(out.state!);
    });
    Object.assign(globalThis, { testNet: net, signalStates: states });
    return net.id as string;
  }, [signal, options] as [string, Record<string, unknown>]);
  return { page, id };
}

/** The page's next message: who sent it, its length and SHA-256. */
export function pageReceives(
  page: TestPage,
): Promise<{ from: string; length: number; hash: string }> {
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
export function pageSends(page: TestPage, to: string, bytes: number): Promise<string> {
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

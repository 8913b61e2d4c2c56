/**
 * Reading the demo page (demo/index.html) in browser tests.
 * @module
 */

import type { TestPage } from "./browsers.ts";
import { until } from "../../harness/network.ts";

/** What the demo page shows. */
export interface DemoPageView {
  /** The node id (or "…" before the node started). */
  id: string;
  /** The identity line. */
  identity: string;
  /** The nodes in the picture. */
  nodes: string[];
  /** The connections in the picture, with how each goes (host, relay…). */
  edges: { to: string; path: string }[];
  /** The other nodes' connections, from their neighbour lists (ends sorted, "a|b"). */
  links: string[];
  /** Chat lines. */
  chat: string[];
  /** Log lines. */
  log: string[];
}

/** What the demo page `page` shows. */
export function readPage(page: TestPage): Promise<DemoPageView> {
  return page.evaluate(() => ({
    id: document.getElementById("id")!.textContent!,
    identity: document.getElementById("identity")!.textContent!,
    nodes: [...document.querySelectorAll("#picture .node")].map((g) =>
      (g as SVGElement).dataset.id!
    ),
    edges: [...document.querySelectorAll("#picture .edge")].map((g) => ({
      to: (g as SVGElement).dataset.to!,
      path: (g as SVGElement).dataset.path!,
    })),
    links: [...document.querySelectorAll("#picture .link")].map((g) =>
      `${(g as SVGElement).dataset.a}|${(g as SVGElement).dataset.b}`
    ),
    chat: [...document.querySelectorAll("#chat-list li")].map((li) => li.textContent!),
    log: [...document.querySelectorAll("#log li")].map((li) => li.textContent!),
  }));
}

/** The node ID the demo page `page` shows once its node started. */
export async function startedId(page: TestPage): Promise<string> {
  await until(
    "the page's node started",
    async () => /^[0-9a-f]{64}$/.test((await readPage(page)).id),
    15_000,
  );
  return (await readPage(page)).id;
}

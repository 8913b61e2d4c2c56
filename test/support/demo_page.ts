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

/** One row of the demo's peer list, as a person sees it. */
export interface PeerRowView {
  /** The whole id. */
  id: string;
  /** The name cell. */
  name: string;
  /** The path cell. */
  path: string;
  /** The messages cell ("3 in · 4 out"). */
  messages: string;
  /** The bytes cell. */
  bytes: string;
  /** The last round-trip time ("1.2 ms", or "…"). */
  rtt: string;
  /** Points of its sparkline (1 for a dot, 0 for none). */
  rttPoints: number;
  /** Whether the row has a size on screen. */
  visible: boolean;
}

/** The rows of the demo page's peer list. */
export function readPeers(page: TestPage): Promise<PeerRowView[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>("#peer-rows tr.peer")].map((row) => {
      const cell = (name: string) => row.querySelector(`.${name}`)?.textContent?.trim() ?? "";
      const line = row.querySelector(".sparkline polyline")?.getAttribute("points");
      const box = row.getBoundingClientRect();
      return {
        id: row.querySelector(".peer-id code")?.textContent ?? "",
        name: cell("name"),
        path: cell("path"),
        messages: cell("messages"),
        bytes: cell("bytes"),
        rtt: row.querySelector(".rtt")?.childNodes[0]?.textContent?.trim() ?? "",
        rttPoints: line ? line.split(" ").length : row.querySelector(".sparkline circle") ? 1 : 0,
        visible: box.width > 0 && box.height > 0,
      };
    })
  );
}

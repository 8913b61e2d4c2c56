/**
 * flnet for the browser: everything of `mod.ts` (which uses the browser's own
 * `RTCPeerConnection` and `WebSocket`), storage in `localStorage`, and {@link nodeStart},
 * which gives each origin one identity and keeps a second tab from running the same one.
 *
 * @example A chat node in a page
 * ```ts
 * import { nodeStart } from "./browser.ts";
 * async function join() {
 *   const { node } = await nodeStart(`ws://${location.host}`, { sameIdentity: "tab" });
 *   node.subscribe(async () => console.log(await node.chatHistory()));
 *   await node.sendChat("hello from a browser");
 * }
 * ```
 * @module
 */

import {
  claimIdentity,
  type IdentityClaim,
  IdentityInUseError,
} from "./adapters/browser/identity_guard.ts";
import { WebStorage } from "./adapters/browser/web_storage.ts";
import { type DataStorage, MemoryStorage } from "./core/storage.ts";
import type { ServerUrls } from "./net/websocket.ts";
import { openWebNetwork, type WebNetworkOptions } from "./adapters/web/runtime.ts";
import { Node, type NodeOptions } from "./node/node.ts";

export * from "./common.ts";
export { networkStart, type WebNetworkOptions } from "./mod.ts";
export { WebStorage } from "./adapters/browser/web_storage.ts";
export { IdentityInUseError } from "./adapters/browser/identity_guard.ts";

/** Where a browser node's identity (and its chat history, directory, ...) is kept. */
export type BrowserIdentity =
  /** `localStorage`: shared by every tab of the origin, kept across reloads and restarts. */
  | "origin"
  /** `sessionStorage`: this tab's own, kept across reloads of the tab. */
  | "tab"
  /** Memory only: gone when the page goes. */
  | "temporary";

/** Options of {@link nodeStart}. */
export interface BrowserNodeOptions extends Omit<NodeOptions, "storage" | "startNetwork"> {
  /** Keeps flnet's storage keys and identity guard apart from others' (default `"flnet"`). */
  namespace?: string;
  /**
   * What to do when another tab of this origin runs the origin's identity: `"refuse"` (the
   * default) throws an {@link IdentityInUseError} that says so; `"tab"` starts this tab with
   * its own identity in `sessionStorage` (or a temporary one if that is taken too, as in a
   * duplicated tab).
   */
  sameIdentity?: "refuse" | "tab";
  /** Network settings (ICE servers, transport policy, candidate filter, timeouts). */
  network?: WebNetworkOptions;
}

/** A running browser node and where its identity lives. */
export interface BrowserNode {
  /** The node. */
  node: Node;
  /** Which identity it runs. */
  identity: BrowserIdentity;
  /** Closes the node and lets another tab take its identity. */
  close(): Promise<void>;
}

/**
 * Starts a {@link Node} in a browser page on the signalling server at `signalUrl`: its
 * identity is the origin's (in `localStorage`) unless another tab runs it, see
 * {@link BrowserNodeOptions.sameIdentity}.
 */
export async function nodeStart(
  signalUrl: ServerUrls,
  options: BrowserNodeOptions = {},
): Promise<BrowserNode> {
  const { namespace = "flnet", sameIdentity = "refuse", network, ...nodeOptions } = options;
  const { claim, identity, storage } = await claimStorage(namespace, sameIdentity);
  try {
    const node = await Node.start({
      ...nodeOptions,
      storage,
      startNetwork: (config) => openWebNetwork(config, signalUrl, network),
    });
    return {
      node,
      identity,
      close: async () => {
        await node.close();
        await claim?.release();
      },
    };
  } catch (error) {
    await claim?.release();
    throw error;
  }
}

async function claimStorage(
  namespace: string,
  sameIdentity: "refuse" | "tab",
): Promise<{ claim?: IdentityClaim; identity: BrowserIdentity; storage: DataStorage }> {
  try {
    const claim = await claimIdentity(`${namespace}/origin`);
    return { claim, identity: "origin", storage: new WebStorage(localStorage, namespace) };
  } catch (error) {
    if (sameIdentity === "refuse" || !(error instanceof IdentityInUseError)) throw error;
  }
  // A duplicated tab copies sessionStorage, tab id included: then the id is taken too.
  const idKey = `${namespace}/tab-identity`;
  const tabId = sessionStorage.getItem(idKey) ?? crypto.randomUUID();
  sessionStorage.setItem(idKey, tabId);
  try {
    const claim = await claimIdentity(`${namespace}/tab/${tabId}`);
    return { claim, identity: "tab", storage: new WebStorage(sessionStorage, namespace) };
  } catch (error) {
    if (!(error instanceof IdentityInUseError)) throw error;
    return { identity: "temporary", storage: new MemoryStorage() };
  }
}

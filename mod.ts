/**
 * flnet: decentralized networks of nodes in browsers, Deno and Node that talk to each other
 * directly over WebRTC data channels.
 *
 * This entry point is runtime-neutral: it only uses Web standard APIs. `flnet/node` and
 * `flnet/browser` add the pieces that differ per runtime (storage, WebRTC engine).
 *
 * @example A module is a broker; a node has an identity
 * ```ts
 * import { Broker, MemoryStorage, NodeConfig, U256 } from "./mod.ts";
 *
 * const config = await NodeConfig.load(new MemoryStorage()); // created on first use
 * console.log(config.info.name, U256.short(config.id));
 *
 * const echo = new Broker<string, string>("echo");
 * echo.addHandler({ messages: (batch) => batch.map((text) => `echo: ${text}`) });
 * echo.tapOut((reply) => console.log(reply));
 * await echo.emitIn("hello"); // prints "echo: hello"
 * ```
 * @module
 */

import type { NodeConfig } from "./core/config.ts";
import { Network, type NetworkStartOptions, openNetwork } from "./net/api.ts";
import type { NetworkBroker } from "./net/network.ts";
import type { ServerUrls } from "./net/websocket.ts";
import { webRuntime } from "./adapters/web/runtime.ts";
import { type PageEvents, retryWhenBack } from "./adapters/browser/network_wakeup.ts";

export * from "./common.ts";

/** Options of this entry point's start functions: the runtime's constructors are optional. */
export type WebNetworkOptions = Omit<NetworkStartOptions, "RTCPeerConnection" | "WebSocket"> & {
  /** The RTCPeerConnection to use (default: the global one). */
  RTCPeerConnection?: NetworkStartOptions["RTCPeerConnection"];
  /** The WebSocket to use (default: the global one). */
  WebSocket?: NetworkStartOptions["WebSocket"];
};

/**
 * Starts a node's network with the runtime's global `RTCPeerConnection` and `WebSocket` (or
 * the ones given) and returns the raw broker, for linking modules, once the signalling server
 * welcomed the node. In a page it reconnects to the signalling server at once when the page
 * comes back online or becomes visible again.
 */
export async function networkBrokerStart(
  config: NodeConfig,
  signalUrl: ServerUrls,
  options: WebNetworkOptions = {},
): Promise<NetworkBroker> {
  const broker = await openNetwork(config, signalUrl, { ...options, ...webRuntime(options) });
  retryWhenBack(broker, globalThis as unknown as PageEvents);
  return broker;
}

/**
 * Starts a node's network and returns a {@link Network} once the signalling server welcomed
 * the node. Messages are buffered from the start, so none is missed before you read them.
 *
 * @example
 * ```ts
 * import { NodeConfig, networkStart } from "./mod.ts";
 * async function client(serverId: string) {
 *   const net = await networkStart(await NodeConfig.create(), "ws://localhost:8765");
 *   await net.send(serverId, "ping"); // connects on demand, resolves once handed over
 *   for await (const msg of net) console.log(msg.from, msg.data);
 * }
 * ```
 */
export async function networkStart(
  config: NodeConfig,
  signalUrl: ServerUrls,
  options: WebNetworkOptions = {},
): Promise<Network> {
  return new Network(config.id, await networkBrokerStart(config, signalUrl, options), options);
}

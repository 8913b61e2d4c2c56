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
import { Network } from "./net/api.ts";
import type { ServerUrls } from "./net/websocket.ts";
import { openWebNetwork, type WebNetworkOptions } from "./adapters/web/runtime.ts";

export * from "./common.ts";
export type { WebNetworkOptions } from "./adapters/web/runtime.ts";

/**
 * Starts a node's network with the runtime's global `RTCPeerConnection` and `WebSocket` (or
 * the ones given) and returns a {@link Network} once the signalling server welcomed the node.
 * Messages are buffered from the start, so none is missed before you read them. In a page it
 * reconnects to the signalling server at once when the page comes back online or visible.
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
  return new Network(config.id, await openWebNetwork(config, signalUrl, options), options);
}

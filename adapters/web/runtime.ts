/**
 * The runtime pieces of a Web-standard runtime (a browser, Deno for WebSocket): the global
 * `RTCPeerConnection` and `WebSocket`, unless the caller brings its own. The only place outside
 * the Node adapters that looks at `globalThis`.
 * @module
 */

import type { NodeConfig } from "../../core/config.ts";
import { type NetworkStartOptions, openNetwork } from "../../net/api.ts";
import type { NetworkBroker } from "../../net/network.ts";
import type { RTCPeerConnectionConstructor } from "../../net/peer_setup.ts";
import type { ServerUrls, WebSocketConstructor } from "../../net/websocket.ts";
import { type PageEvents, retryWhenBack } from "../browser/network_wakeup.ts";

/** The two constructors the network needs from its runtime. */
export interface RuntimeConstructors {
  /** The WebRTC engine's RTCPeerConnection. */
  RTCPeerConnection: RTCPeerConnectionConstructor;
  /** The runtime's WebSocket. */
  WebSocket: WebSocketConstructor;
}

/**
 * `given`, with what it lacks taken from the globals; an error that says what to do when the
 * runtime has no such global.
 */
export function webRuntime(given: Partial<RuntimeConstructors> = {}): RuntimeConstructors {
  const globals = globalThis as Partial<RuntimeConstructors>;
  const RTCPeerConnection = given.RTCPeerConnection ?? globals.RTCPeerConnection;
  if (!RTCPeerConnection) {
    throw new Error(
      "no RTCPeerConnection in this runtime: on Node or Deno import flnet/node (it brings " +
        "@roamhq/wrtc or node-datachannel), or pass options.RTCPeerConnection",
    );
  }
  const WebSocket = given.WebSocket ?? globals.WebSocket;
  if (!WebSocket) {
    throw new Error(
      "no WebSocket in this runtime: on Node 20 import flnet/node (it brings the ws package), " +
        "or pass options.WebSocket",
    );
  }
  return { RTCPeerConnection, WebSocket };
}

/** Options of the Web entry points' start functions: the runtime's constructors are optional. */
export type WebNetworkOptions = Omit<NetworkStartOptions, "RTCPeerConnection" | "WebSocket"> & {
  /** The RTCPeerConnection to use (default: the global one). */
  RTCPeerConnection?: NetworkStartOptions["RTCPeerConnection"];
  /** The WebSocket to use (default: the global one). */
  WebSocket?: NetworkStartOptions["WebSocket"];
};

/**
 * Starts a node's network with the runtime's global `RTCPeerConnection` and `WebSocket` (or
 * the ones given) and returns its broker once the signalling server welcomed the node. In a page
 * it reconnects to the signalling server at once when the page comes back online or becomes
 * visible again.
 */
export async function openWebNetwork(
  config: NodeConfig,
  signalUrl: ServerUrls,
  options: WebNetworkOptions = {},
): Promise<NetworkBroker> {
  const broker = await openNetwork(config, signalUrl, { ...options, ...webRuntime(options) });
  retryWhenBack(broker, globalThis as unknown as PageEvents);
  return broker;
}

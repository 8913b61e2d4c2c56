/**
 * The network options of Node and Deno: the WebRTC engine (`@roamhq/wrtc` or
 * `node-datachannel`) and a WebSocket (the `ws` package where the runtime has none) filled in.
 * @module
 */

import type { NodeConfig } from "../../core/config.ts";
import { type NetworkStartOptions, openNetwork } from "../../net/api.ts";
import type { NetworkBroker } from "../../net/network.ts";
import type { ServerUrls } from "../../net/websocket.ts";
import { loadWebRTCEngine, type WebRTCEngine } from "./webrtc.ts";
import { NodeWebSocket } from "./websocket.ts";

/**
 * {@link NetworkStartOptions} with the runtime's constructors filled in (they may still be
 * given), plus the choice of WebRTC engine.
 */
export interface NodeNetworkOptions
  extends Omit<NetworkStartOptions, "RTCPeerConnection" | "WebSocket"> {
  /** An RTCPeerConnection to use instead of `engine`'s. */
  RTCPeerConnection?: NetworkStartOptions["RTCPeerConnection"];
  /** A WebSocket to use instead of the global one (or the `ws` package's on Node 20). */
  WebSocket?: NetworkStartOptions["WebSocket"];
  /** `"wrtc"` (@roamhq/wrtc, the default) or `"node-datachannel"`. */
  engine?: WebRTCEngine;
  /**
   * node-datachannel only: the local address to gather candidates on (it skips loopback
   * unless told `"127.0.0.1"`). @roamhq/wrtc cannot bind; use `candidateFilter` instead.
   */
  bindAddress?: string;
}

/** Fills in the engine and the WebSocket for Node and Deno. */
export async function nodeNetworkOptions(
  options: NodeNetworkOptions = {},
): Promise<NetworkStartOptions> {
  const { engine = "wrtc", bindAddress, ...rest } = options;
  return {
    ...rest,
    RTCPeerConnection: rest.RTCPeerConnection ?? await loadWebRTCEngine(engine),
    WebSocket: rest.WebSocket ?? NodeWebSocket,
    rtcConfig: { ...(bindAddress ? { bindAddress } : {}), ...rest.rtcConfig },
  };
}

/** Starts a node's network on Node or Deno and returns its broker once welcomed. */
export async function openNodeNetwork(
  config: NodeConfig,
  signalUrl: ServerUrls,
  options: NodeNetworkOptions = {},
): Promise<NetworkBroker> {
  return await openNetwork(config, signalUrl, await nodeNetworkOptions(options));
}

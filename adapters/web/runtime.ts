/**
 * The runtime pieces of a Web-standard runtime (a browser, Deno for WebSocket): the global
 * `RTCPeerConnection` and `WebSocket`, unless the caller brings its own. The only place outside
 * the Node adapters that looks at `globalThis`.
 * @module
 */

import type { RTCPeerConnectionConstructor } from "../../net/peer_setup.ts";
import type { WebSocketConstructor } from "../../net/websocket.ts";

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

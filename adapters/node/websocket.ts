/**
 * The WebSocket constructor for Node: the global one where the runtime has it (Node 22+, Deno),
 * otherwise the `ws` package's (Node 20).
 * @module
 */

// @ts-types="./ws_types.d.ts"
import { WebSocket as WsWebSocket } from "ws";
import type { WebSocketConstructor } from "../../net/websocket.ts";

/** The WebSocket constructor flnet uses on Node and Deno. */
export const NodeWebSocket: WebSocketConstructor =
  ((globalThis as { WebSocket?: unknown }).WebSocket ?? WsWebSocket) as WebSocketConstructor;

/**
 * flnet for Node (and Deno, which runs it too): everything of `mod.ts`, with storage in files
 * and a WebSocket from the `ws` package where the runtime has none (Node 20).
 *
 * @example Keep a node's identity in a directory and talk to a signalling server
 * ```ts
 * import { FileStorage, NodeConfig, startSignalClient } from "./node.ts";
 * const config = await NodeConfig.load(new FileStorage(await Deno.makeTempDir()));
 * const signal = startSignalClient(config, "ws://127.0.0.1:8765");
 * await signal.emitIn({ type: "close" });
 * ```
 * @module
 */

import type { NodeConfig } from "./core/config.ts";
import { NodeWebSocket } from "./adapters/node_websocket.ts";
import {
  type SignalBroker,
  type SignalClientOptions,
  startSignalClient as startNeutralSignalClient,
} from "./net/signal_client.ts";

export * from "./mod.ts";
export { FileStorage } from "./adapters/file_storage.ts";
export { NodeWebSocket } from "./adapters/node_websocket.ts";

/** {@link startNeutralSignalClient} with the Node WebSocket filled in unless one is given. */
export function startSignalClient(
  config: NodeConfig,
  url: string,
  options: SignalClientOptions = {},
): SignalBroker {
  return startNeutralSignalClient(config, url, {
    ...options,
    websocket: { WebSocket: NodeWebSocket, ...options.websocket },
  });
}

/**
 * flnet for Node (and Deno, which runs it too): everything of `mod.ts`, with a WebRTC engine
 * (`@roamhq/wrtc` by default, or `node-datachannel`), storage in files, and a WebSocket from
 * the `ws` package where the runtime has none (Node 20).
 *
 * @example A server node that prints every message, and a client that sends it "ping"
 * ```ts
 * import { FileStorage, NodeConfig, networkStart } from "./node.ts";
 *
 * async function server() {
 *   const config = await NodeConfig.load(new FileStorage("./server-node"));
 *   const net = await networkStart(config, "ws://localhost:8765");
 *   console.log("server id:", net.id);
 *   for await (const msg of net) console.log(msg.from, msg.data);
 * }
 *
 * async function client(serverId: string) {
 *   const net = await networkStart(await NodeConfig.create(), "ws://localhost:8765", {
 *     engine: "node-datachannel",
 *   });
 *   await net.send(serverId, "ping");
 *   await net.close();
 * }
 * ```
 * @module
 */

import type { NodeConfig } from "./core/config.ts";
import type { DataStorage } from "./core/storage.ts";
import type { ServerUrls } from "./net/websocket.ts";
import { Network } from "./net/api.ts";
import { type NodeNetworkOptions, openNodeNetwork } from "./adapters/node/network_options.ts";
import { FileStorage } from "./adapters/node/file_storage.ts";
import { readSettingsFile, writeSettingsFile } from "./adapters/node/settings_file.ts";
import { Logger } from "./core/log.ts";
import { lockDirectory } from "./adapters/node/directory_lock.ts";
import { Node, type NodeOptions } from "./node/node.ts";

const log = new Logger("node");
export * from "./common.ts";
export { FileStorage } from "./adapters/node/file_storage.ts";
export { DirectoryLockedError } from "./adapters/node/directory_lock.ts";
export type { WebRTCEngine } from "./adapters/node/webrtc.ts";
export type { NodeNetworkOptions } from "./adapters/node/network_options.ts";
export { serveSignalOnNode } from "./adapters/node/serve_signal.ts";
export type { RunningSignalServer, ServeSignalOptions } from "./signal/serve_options.ts";

/**
 * Starts a node's network on Node or Deno and returns a {@link Network} once the signalling
 * server welcomed the node. Messages are buffered from the start, so none is missed.
 */
export async function networkStart(
  config: NodeConfig,
  signalUrl: ServerUrls,
  options: NodeNetworkOptions = {},
): Promise<Network> {
  return new Network(config.id, await openNodeNetwork(config, signalUrl, options), options);
}

/**
 * Starts a full {@link Node} on Node or Deno: its identity and module data in the directory
 * `dir` (created on first use, files readable by their owner only), its network on the
 * signalling server at `signalUrl`. The directory is locked while the node runs: a second
 * process on it fails with a {@link DirectoryLockedError} naming the first. Given a storage
 * instead of a directory (a `MemoryStorage` for a new identity each run), it keeps everything
 * there.
 *
 * @example
 * ```ts
 * import { nodeStart } from "./node.ts";
 * async function chat() {
 *   const node = await nodeStart("./my-node", "ws://localhost:8765", { newConfig: { name: "ann" } });
 *   await node.sendChat("hello, everyone");
 *   node.subscribe((snapshot) => console.log(snapshot.random?.connected.length, "neighbours"));
 * }
 * ```
 */
export async function nodeStart(
  dir: string | DataStorage,
  signalUrl: ServerUrls,
  options: Omit<NodeOptions, "storage" | "startNetwork"> & { network?: NodeNetworkOptions } = {},
): Promise<Node> {
  const { network, ...nodeOptions } = options;
  const startNetwork = (config: NodeConfig) => openNodeNetwork(config, signalUrl, network);
  if (typeof dir !== "string") {
    return await Node.start({ ...nodeOptions, storage: dir, startNetwork });
  }
  const lock = await lockDirectory(dir);
  try {
    const storage = new FileStorage(dir);
    await storage.removeLeftovers(); // of a process that died while writing
    const settings = await readSettingsFile(dir);
    const node = await Node.start({
      ...nodeOptions,
      ...(settings ? { settings } : {}),
      storage,
      startNetwork,
      onClosed: async () => {
        await options.onClosed?.();
        await lock.release();
      },
    });
    if (!settings) {
      // one to edit from now on; without it the node runs as well
      await writeSettingsFile(dir, node.config.info).catch((error) =>
        log.warn(`could not write ${dir}/settings.json: ${(error as Error).message}`)
      );
    }
    return node;
  } catch (error) {
    await lock.release();
    throw error;
  }
}

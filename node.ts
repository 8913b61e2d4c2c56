/**
 * flnet for Node (and Deno, which runs it too): everything of `mod.ts` plus storage in files.
 *
 * @example Keep a node's identity in a directory
 * ```ts
 * import { FileStorage, NodeConfig } from "./node.ts";
 * const config = await NodeConfig.load(new FileStorage(await Deno.makeTempDir()));
 * console.log(config.info.name);
 * ```
 * @module
 */

export * from "./mod.ts";
export { FileStorage } from "./adapters/file_storage.ts";

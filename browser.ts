/**
 * flnet for the browser: everything of `mod.ts` plus storage in `localStorage`.
 *
 * @example Keep a node's identity in the page's origin
 * ```ts
 * import { NodeConfig, WebStorage } from "./browser.ts";
 * const config = await NodeConfig.load(new WebStorage(sessionStorage));
 * console.log(config.info.name);
 * ```
 * @module
 */

export * from "./mod.ts";
export { WebStorage } from "./adapters/web_storage.ts";

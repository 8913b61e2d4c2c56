/**
 * flnet's version, as `deno.json` and the npm package give it (a test keeps them equal).
 * @module
 */

/** The version of this flnet. */
export const FLNET_VERSION = "0.1.0";

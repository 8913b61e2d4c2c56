/**
 * The `flnet` command as the npm package's `bin/flnet.js` runs it, for bundling and running on
 * Node in tests (`import.meta.main` is not set in a Node bundle).
 * @module
 */

import process from "node:process";
import { main } from "../cli.ts";

process.exit(await main(process.argv.slice(2)));

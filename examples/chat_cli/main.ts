/**
 * chat_cli: a command-line node that joins the gossip chat of the demo page. It is the `flnet`
 * command of the npm package (cli.ts); see README.md for its options.
 * @module
 */

import process from "node:process";
import { main } from "flnet/cli";

process.exit(await main(process.argv.slice(2)));

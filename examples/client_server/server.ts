// deno-lint-ignore-file no-console
/**
 * The server of the client_server example: prints its ID, then every message it gets.
 * Its identity is kept in ./server-node, so the ID stays the same from run to run.
 * @module
 */

import process from "node:process";
import { candidateFilters, FileStorage, networkStart, NodeConfig } from "flnet/node";

const [url = "ws://localhost:8765"] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const options = process.argv.includes("--loopback")
  ? { candidateFilter: candidateFilters.loopbackOnly }
  : {};

const config = await NodeConfig.load(new FileStorage("./server-node"));
const net = await networkStart(config, url, options);
console.log(`server id: ${net.id}`);
for await (const msg of net) console.log(`${msg.from}: ${msg.data}`);

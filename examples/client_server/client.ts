// deno-lint-ignore-file no-console
/**
 * The client of the client_server example: sends "ping" to the server's ID and exits.
 * @module
 */

import process from "node:process";
import { candidateFilters, networkStart, NodeConfig } from "flnet/node";

const [url, serverId] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
if (!url || !serverId) {
  console.error("usage: client.ts ws://localhost:8765 SERVER_ID [--loopback]");
  process.exit(2);
}
const options = process.argv.includes("--loopback")
  ? { candidateFilter: candidateFilters.loopbackOnly }
  : {};

const net = await networkStart(await NodeConfig.create(), url, options);
await net.send(serverId, "ping"); // connects on demand, resolves when sent
console.log(`sent "ping" to ${serverId}`);
await net.close();

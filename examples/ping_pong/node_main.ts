// deno-lint-ignore-file no-console
/**
 * ping_pong on Node (compiled to JavaScript first, see README.md):
 * `node node_main.mjs NAME [ws://localhost:8765] [--loopback] [--engine node-datachannel]`.
 * @module
 */

import process from "node:process";
import { candidateFilters, networkStart, NodeConfig, type WebRTCEngine } from "flnet/node";
import { runPingPong } from "./ping_pong.ts";

const args = process.argv.slice(2);
const engine =
  (args.includes("--engine") ? args[args.indexOf("--engine") + 1] : "wrtc") as WebRTCEngine;
const [name = "node", url = "ws://localhost:8765"] = args.filter((a) =>
  !a.startsWith("--") && a !== engine
);
const loopback = args.includes("--loopback");
const net = await networkStart(await NodeConfig.create({ name }), url, {
  engine,
  ...(loopback ? { candidateFilter: candidateFilters.loopbackOnly } : {}),
  ...(loopback && engine === "node-datachannel" ? { bindAddress: "127.0.0.1" } : {}),
});
console.log(`${name} is on ${url} (${engine})`);
runPingPong(net.broker, name, (line) => console.log(line));

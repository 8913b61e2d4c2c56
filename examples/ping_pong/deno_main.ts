// deno-lint-ignore-file no-console
/**
 * ping_pong on Deno: `deno run -A examples/ping_pong/deno_main.ts NAME [ws://localhost:8765]
 * [--loopback]`.
 * @module
 */

import { candidateFilters, networkStart, NodeConfig } from "flnet/node";
import { runPingPong } from "./ping_pong.ts";

const [name = "deno", url = "ws://localhost:8765"] = Deno.args.filter((a) => !a.startsWith("--"));
const loopback = Deno.args.includes("--loopback");
const net = await networkStart(await NodeConfig.create({ name }), url, {
  ...(loopback ? { candidateFilter: candidateFilters.loopbackOnly } : {}),
});
console.log(`${name} is on ${url}`);
runPingPong(net.broker, name, (line) => console.log(line));

/**
 * A TypeScript program that uses the npm package as a user would: the proof type-checks it
 * with `tsc` against the package's `.d.ts` in a scratch project (prove_package.ts), and
 * `deno check` sees it here through deno.json's import map.
 * @module
 */

import { Broker, type NetworkMessage, NodeConfig, type NodeID } from "flnet";
import { FileStorage, networkStart, type WebRTCEngine } from "flnet/node";
import { type BrowserNodeOptions, nodeStart } from "flnet/browser";
import { parseChatArgs } from "flnet/cli";
import { encodeMessage } from "flnet/wire";
import { NetworkSim } from "flnet/testing";

const engine: WebRTCEngine = "node-datachannel";
const broker = new Broker<{ n: number }, { doubled: number }>("double");
broker.addHandler({ messages: (batch) => batch.map(({ n }) => ({ doubled: 2 * n })) });

/** Sends "hi" to `peer`, reads one message, and describes what it used. */
export async function use(peer: NodeID): Promise<string> {
  const config = await NodeConfig.load(new FileStorage("./node"));
  const net = await networkStart(config, "ws://localhost:8765", { engine });
  await net.send(peer, "hi");
  const msg: NetworkMessage = await net.recv();
  for await (const next of net) void next.data;
  const options: BrowserNodeOptions = { sameIdentity: "tab" };
  const cli: string[] = parseChatArgs(["--name", "ann"]).signal;
  const frames = [...encodeMessage(1, { module: "m", data: "x" })].length;
  const simulated = new NetworkSim().join();
  void nodeStart;
  return `${msg.from} ${options.sameIdentity} ${config.info.name} ${cli} ${frames} ${simulated.name}`;
}

/**
 * flnet/testing: an in-memory network for unit tests of your own modules, and simulations of
 * many nodes. {@link NetworkSim} gives each node a Network broker of its own (connect on demand,
 * messages to the receiver's registered modules, every send settled, node lists, loss and delay
 * if you ask); {@link overlay} runs whole nodes on it, wired as a real `Node` is.
 *
 * @example A module of your own, tested on two simulated nodes
 * ```ts
 * import { Broker, type NodeID } from "./mod.ts";
 * import { linkModule, type ModuleLinkIn } from "./modules.ts";
 * import { NetworkSim } from "./testing.ts";
 *
 * type Echo = Broker<ModuleLinkIn, { type: "send"; to: NodeID; data: string }>;
 * function startEcho(): Echo {
 *   const echo: Echo = new Broker("echo");
 *   echo.addHandler({
 *     messages: (batch) =>
 *       batch.flatMap((m) => m.type === "message" ? [{ type: "send" as const, to: m.from, data: `echo ${m.data}` }] : []),
 *   });
 *   return echo;
 * }
 *
 * const sim = new NetworkSim();
 * const a = sim.join();
 * const b = sim.join();
 * linkModule(startEcho(), b, "echo", (out) => out, (msg) => msg);
 * const replies: string[] = [];
 * const echo = a.registrar.register("echo", (message) => void replies.push(String(message.data)));
 * await echo.send(sim.ids()[1], "hi");
 * while (sim.pending > 0) await sim.round();
 * console.log(replies); // ["echo hi"]
 * ```
 * @module
 */

export {
  NetworkSim,
  type NetworkSimOptions,
  simInfo,
  type SimSetups,
  type SimTraffic,
} from "./testing/network_sim.ts";
export { type Overlay, overlay, type OverlayOptions, type SimNode } from "./testing/overlay.ts";

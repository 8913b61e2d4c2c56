/**
 * The random connections module as a broker. Link it on top of the Network broker with
 * {@link linkRandomToNetwork} and to a timer with {@link linkRandomToTimer}; its `connected`
 * outputs name the neighbours of the modules of the overlay (gossip, ping, yours), which send
 * and receive through the network directly (`linkModule`).
 *
 * @example
 * ```ts
 * import { SimulatedTimer } from "../../core/timer.ts";
 * import { U256 } from "../../core/ids.ts";
 * import { linkRandomToTimer, startRandom } from "./module.ts";
 * const random = startRandom(U256.random());
 * const timer = new SimulatedTimer();
 * linkRandomToTimer(timer.broker, random);
 * random.tapOut((out) => {
 *   if (out.type === "state") console.log(out.state.target);
 * });
 * await timer.tick();
 * ```
 * @module
 */

import { Broker, type Subscription } from "../../core/broker.ts";
import type { NodeID } from "../../core/ids.ts";
import type { Rng } from "../../core/random.ts";
import type { TimerBroker } from "../../core/timer.ts";
import type { NetworkBroker } from "../../net/network.ts";
import { RandomLogic } from "./logic.ts";
import type { RandomConfig, RandomIn, RandomOut } from "./messages.ts";

/** The random connections broker type. */
export type RandomBroker = Broker<RandomIn, RandomOut>;

/** Creates the module for the node `self`. */
export function startRandom(
  self: NodeID,
  config: Partial<RandomConfig> = {},
  rng?: Rng,
): RandomBroker {
  const broker: RandomBroker = new Broker("random");
  const logic = new RandomLogic(self, config, rng);
  broker.addHandler({ messages: (batch) => batch.flatMap((msg) => logic.handle(msg)) });
  return broker;
}

/**
 * Puts `random` on top of `network`: its requests go down, and the network's outputs (about
 * nodes and connections: module messages go to their modules through the registrar) come up.
 */
export function linkRandomToNetwork(random: RandomBroker, network: NetworkBroker): Subscription {
  return random.linkChain(
    network,
    (out) => (out.type === "network" ? out.in : undefined),
    (out) => ({ type: "network", out }),
  );
}

/** Feeds the timer's ticks to `random`. */
export function linkRandomToTimer(timer: TimerBroker, random: RandomBroker): Subscription {
  return timer.linkOutToIn(random, ({ tick }): RandomIn => ({ type: "tick", tick }));
}

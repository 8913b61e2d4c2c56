/**
 * The random connections module as a broker. Link it on top of the Network broker with
 * {@link linkRandomToNetwork} and to a timer with {@link linkRandomToTimer}; modules above it
 * send with `{ type: "send", to, module, data }` and hear `message` outputs.
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

/** Puts `random` on top of `network`: its requests go down, every network output comes up. */
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

/** What random connections hand a module on top of it. */
export type AboveRandomIn =
  /** The module's neighbours: the nodes random connections is connected to. */
  | { type: "neighbours"; ids: NodeID[] }
  /** A message for the module from a neighbour. */
  | { type: "message"; from: NodeID; data: string | Uint8Array };

/** What a module on top of random connections asks of it. */
export type AboveRandomOut =
  /** Send `data` to the neighbour `to`, tagged with the module's name. */
  | { type: "send"; to: NodeID; data: string | Uint8Array }
  /** The neighbour `id` does not answer: replace it. */
  | { type: "failed"; id: NodeID };

/**
 * Puts `module` on top of `random` under the name `name`: the outputs `down` picks go to
 * random connections (messages tagged with `name`), and random connections' neighbours and the
 * messages tagged `name` come up through `up` (usually `(msg) => msg`).
 */
export function linkAboveRandom<In, Out>(
  module: Broker<In, Out>,
  random: RandomBroker,
  name: string,
  down: (out: Out) => AboveRandomOut | undefined,
  up: (msg: AboveRandomIn) => In,
): Subscription {
  return module.linkChain(
    random,
    (out): RandomIn | undefined => {
      const request = down(out);
      if (request?.type === "send") return { ...request, module: name };
      return request;
    },
    (out): In | undefined => {
      if (out.type === "connected") return up({ type: "neighbours", ids: out.ids });
      if (out.type === "message" && out.module === name) {
        return up({ type: "message", from: out.from, data: out.data });
      }
      return undefined;
    },
  );
}

/**
 * The stat module as a broker, linked to the Network broker (and, in a `Node`, to ping's
 * round-trip times); its decisions are in `logic.ts`.
 *
 * @example
 * ```ts
 * import { startStat } from "./module.ts";
 * const stat = startStat({ intervalTicks: 10 });
 * stat.tapOut((out) => {
 *   if (out.type === "state") console.log(Object.keys(out.state.connections).length);
 * });
 * ```
 * @module
 */

import { Broker, type Subscription } from "../../core/broker.ts";
import type { TimerBroker } from "../../core/timer.ts";
import type { NetworkBroker } from "../../net/network.ts";
import { StatLogic } from "./logic.ts";
import type { StatConfig, StatIn, StatOut } from "./messages.ts";

/** The stat broker type. */
export type StatBroker = Broker<StatIn, StatOut>;

/** Creates the module. */
export function startStat(config: Partial<StatConfig> = {}): StatBroker {
  const logic = new StatLogic(config);
  const broker: StatBroker = new Broker("stat");
  broker.addHandler({ messages: (batch) => batch.flatMap((msg) => logic.handle(msg)) });
  return broker;
}

/** Links `stat` to the Network broker: its requests go down, statuses and disconnects come up. */
export function linkStatToNetwork(stat: StatBroker, network: NetworkBroker): Subscription {
  return stat.linkChain(
    network,
    (out) => (out.type === "network" ? out.in : undefined),
    (out): StatIn | undefined =>
      out.type === "connections" || out.type === "disconnected"
        ? { type: "network", out }
        : undefined,
  );
}

/** Feeds the timer's ticks to `stat`. */
export function linkStatToTimer(timer: TimerBroker, stat: StatBroker): Subscription {
  return timer.linkOutToIn(stat, ({ tick }): StatIn => ({ type: "tick", tick }));
}

/**
 * The ping module as a broker. Its neighbours come from random connections, which replace the
 * ones it reports `failed` (wired in `node/`); pings go through the network directly
 * ({@link linkPingToNetwork}).
 *
 * @example
 * ```ts
 * import { startPing } from "./module.ts";
 * const ping = startPing({ intervalTicks: 5, timeoutTicks: 15 });
 * ping.tapOut((out) => {
 *   if (out.type === "failed") console.log("no answer from", out.id);
 * });
 * ```
 * @module
 */

import { Broker, type Subscription } from "../../core/broker.ts";
import type { TimerBroker } from "../../core/timer.ts";
import { linkModule } from "../../net/module_link.ts";
import type { NetworkBroker } from "../../net/network.ts";
import { PingLogic } from "./logic.ts";
import { PING_MODULE, type PingConfig, type PingIn, type PingOut } from "./messages.ts";

/** The ping broker type. */
export type PingBroker = Broker<PingIn, PingOut>;

/** Creates the module; `now` is the clock for round-trip times. */
export function startPing(config: Partial<PingConfig> = {}, now?: () => number): PingBroker {
  const broker: PingBroker = new Broker("ping");
  const logic = new PingLogic(config, now);
  broker.addHandler({ messages: (batch) => batch.flatMap((msg) => logic.handle(msg)) });
  return broker;
}

/**
 * Links `ping` to `network`: pings go to neighbours over open connections; pongs, and the
 * failures of its pings, come up.
 */
export function linkPingToNetwork(ping: PingBroker, network: NetworkBroker): Subscription {
  return linkModule(
    ping,
    network,
    PING_MODULE,
    (out) => (out.type === "send" ? out : undefined),
    (msg) => msg,
    { connect: false },
  );
}

/** Feeds the timer's ticks to `ping`. */
export function linkPingToTimer(timer: TimerBroker, ping: PingBroker): Subscription {
  return timer.linkOutToIn(ping, ({ tick }): PingIn => ({ type: "tick", tick }));
}

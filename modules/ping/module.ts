/**
 * The ping module as a broker, on top of random connections: failed nodes are reported to it.
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
import { linkAboveRandom, type RandomBroker } from "../random/module.ts";
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

/** Puts `ping` on top of `random`: pings go to neighbours, failures are reported down. */
export function linkPingToRandom(ping: PingBroker, random: RandomBroker): Subscription {
  return linkAboveRandom(
    ping,
    random,
    PING_MODULE,
    (out) => (out.type === "send" || out.type === "failed" ? out : undefined),
    (msg) => msg,
  );
}

/** Feeds the timer's ticks to `ping`. */
export function linkPingToTimer(timer: TimerBroker, ping: PingBroker): Subscription {
  return timer.linkOutToIn(ping, ({ tick }): PingIn => ({ type: "tick", tick }));
}

/**
 * Puts a module broker on the Network broker under a name, registered with the network's
 * registrar (net/registrar.ts): the module's messages leave tagged with that name, and the
 * registrar hands the module, directly, the messages tagged with it and the failures of what the
 * module sent. Nothing else sits in between: a received module message is looked up by name and
 * queued as one of the module's inputs.
 *
 * @example A module that answers every message it gets with "pong"
 * ```ts
 * import { Broker } from "../core/broker.ts";
 * import type { NodeID } from "../core/ids.ts";
 * import { linkModule, type ModuleLinkIn } from "./module_link.ts";
 * import type { NetworkBroker } from "./network.ts";
 *
 * type PongOut = { type: "send"; to: NodeID; data: string };
 * export function startPong(network: NetworkBroker): Broker<ModuleLinkIn, PongOut> {
 *   const pong = new Broker<ModuleLinkIn, PongOut>("pong");
 *   pong.addHandler({
 *     messages: (batch) =>
 *       batch.flatMap((msg): PongOut[] =>
 *         msg.type === "message" ? [{ type: "send", to: msg.from, data: "pong" }] : []
 *       ),
 *   });
 *   linkModule(pong, network, "pong", (out) => out, (msg) => msg);
 *   return pong;
 * }
 * ```
 * @module
 */

import type { Broker, Subscription } from "../core/broker.ts";
import type { NodeID } from "../core/ids.ts";
import type { NetworkErrorCode } from "./errors.ts";
import type { NetworkBroker } from "./network.ts";

/** What the network hands a linked module. */
export type ModuleLinkIn =
  /** A message for the module from the node `from`. */
  | { type: "message"; from: NodeID; data: string | Uint8Array }
  /** A message the module sent to `to` was not delivered, and why. */
  | { type: "send-failed"; to: NodeID; code: NetworkErrorCode; message: string };

/** A message a linked module sends: `data` to the node `to`, tagged with the module's name. */
export interface ModuleSend {
  /** The destination. */
  to: NodeID;
  /** Text or bytes. */
  data: string | Uint8Array;
}

/** Options of {@link linkModule}. */
export interface ModuleLinkOptions {
  /**
   * Connect on demand (true, the default), or send only over connections that are already
   * open (false: the modules of the overlay talk to their neighbours only; a send to another
   * node fails with `not-connected`).
   */
  connect?: boolean;
}

/**
 * Links `module` to `network` under the module name `name` (throws a TypeError when another
 * handler holds it): what `down` picks of its outputs is sent, and the messages for `name` and
 * the failures of its sends come up through `up`. Removing the subscription frees the name.
 */
export function linkModule<In, Out>(
  module: Broker<In, Out>,
  network: NetworkBroker,
  name: string,
  down: (out: Out) => ModuleSend | undefined,
  up: (msg: ModuleLinkIn) => In | undefined,
  options: ModuleLinkOptions = {},
): Subscription {
  const connect = options.connect ?? true;
  const take = (msg: ModuleLinkIn) => {
    const input = up(msg);
    if (input !== undefined) module.enqueueIn(input);
  };
  const registration = network.registrar.register(
    name,
    (message) => take({ type: "message", from: message.from, data: message.data }),
  );
  const sends = module.linkOutToIn(network, (out) => {
    const send = down(out);
    if (!send) return undefined;
    return registration.request(
      send.to,
      send.data,
      { connect },
      (error) =>
        take({
          type: "send-failed",
          to: send.to,
          code: error.code as NetworkErrorCode,
          message: error.message,
        }),
    );
  });
  return {
    remove: () => {
      sends.remove();
      registration.remove();
    },
  };
}

/**
 * Puts a module on the Network broker under a name: the module's messages leave tagged with
 * that name, and the network hands the module, directly, the messages tagged with it and the
 * failures of what the module sent. No other module sits in between: a received module
 * message crosses two queues (the network's outputs, the module's inputs).
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
import type { NetworkBroker, NetworkIn } from "./network.ts";
import { newSendId } from "./send_id.ts";

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
 * Links `module` to `network` under the module name `name`: what `down` picks of its outputs
 * is sent, and the messages tagged `name` and the failures of its sends come up through `up`.
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
  /** The destinations of this module's messages the network has not yet reported on. */
  const inFlight = new Map<number, NodeID>();
  return module.linkChain(
    network,
    (out): NetworkIn | undefined => {
      const send = down(out);
      if (!send) return undefined;
      const id = newSendId();
      inFlight.set(id, send.to);
      return { type: "send", to: send.to, data: send.data, module: name, id, connect };
    },
    (out): In | undefined => {
      switch (out.type) {
        case "message":
          return out.module === name
            ? up({ type: "message", from: out.from, data: out.data })
            : undefined;
        case "sent":
          inFlight.delete(out.id);
          return undefined;
        case "error": {
          const to = out.id === undefined ? undefined : inFlight.get(out.id);
          if (to === undefined) return undefined;
          inFlight.delete(out.id!);
          return up({ type: "send-failed", to, code: out.code, message: out.message });
        }
        default:
          return undefined;
      }
    },
  );
}

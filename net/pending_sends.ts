/**
 * Sends whose promise waits for the network's word: `send` gives each message an id and a
 * promise, which the network's `sent` output resolves and its `error` output with that id
 * rejects. Shared by `Network` and `Node`.
 * @module
 */

import { type NodeID, U256 } from "../core/ids.ts";
import { NetworkError } from "./errors.ts";
import type { NetworkBroker, NetworkOut } from "./network.ts";
import { newSendId } from "./send_id.ts";

/** The sends of one network broker still waiting; see the module documentation. */
export class PendingSends {
  readonly #broker: NetworkBroker;
  readonly #pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  /** Sends through `broker`; its outputs must be handed to {@link settle}. */
  constructor(broker: NetworkBroker) {
    this.#broker = broker;
  }

  /**
   * Sends `data` to `to` for `module`, connecting first if needed. Resolves once the message
   * is handed to the data channel; rejects with a {@link NetworkError} saying why it could not
   * be (`bad-node-id` at once for something that is not a node id).
   */
  send(to: NodeID | string, data: string | Uint8Array, module: string): Promise<void> {
    let target: NodeID;
    try {
      target = U256.fromHex(to);
    } catch (error) {
      return Promise.reject(
        new NetworkError(
          "bad-node-id",
          `cannot send to "${String(to).slice(0, 80)}": a node id is 64 hex characters (the ` +
            `node's public key, as net.id shows it); ${
              (error as Error).message.replace("a U256", "this one")
            }`,
        ),
      );
    }
    const id = newSendId();
    const done = new Promise<void>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#broker.enqueueIn({ type: "send", to: target, data, module, id });
    return done;
  }

  /**
   * Takes a `sent` or `error` output: settles the send it names. Returns an error that no send
   * of these claimed (to report elsewhere), or undefined.
   */
  settle(out: NetworkOut & { type: "sent" | "error" }): NetworkError | undefined {
    const pending = out.id === undefined ? undefined : this.#pending.get(out.id);
    if (pending) this.#pending.delete(out.id!);
    if (out.type === "sent") {
      pending?.resolve();
      return undefined;
    }
    const error = new NetworkError(out.code, out.message, out.to);
    if (!pending) return error;
    pending.reject(error);
    return undefined;
  }

  /** Rejects every send still waiting with `error`. */
  failAll(error: NetworkError): void {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}

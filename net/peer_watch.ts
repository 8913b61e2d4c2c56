/**
 * Who is connected, from a network broker's outputs: the peers with an open data channel now,
 * and listeners told when one connects or leaves. `Network` and `Node` both offer it.
 * @module
 */

import type { Subscription } from "../core/broker.ts";
import type { NodeID } from "../core/ids.ts";
import type { SetupVia } from "./connection_status.ts";
import type { NetworkBroker } from "./network.ts";

/** A peer connected to this node, or one whose connection ended (with why). */
export type PeerEvent =
  | { type: "connected"; id: NodeID; via?: SetupVia }
  | { type: "disconnected"; id: NodeID; reason: string };

/** The peers of one network broker; see the module documentation. */
export class PeerWatch {
  readonly #listeners = new Set<(event: PeerEvent) => void>();
  readonly #connected = new Set<NodeID>();

  /** Starts watching `broker` (from now on: create it before the network connects). */
  constructor(broker: NetworkBroker) {
    broker.tapOut((out) => {
      let event: PeerEvent;
      if (out.type === "connected") {
        this.#connected.add(out.id);
        event = { type: "connected", id: out.id, ...(out.via ? { via: out.via } : {}) };
      } else if (out.type === "disconnected") {
        this.#connected.delete(out.id);
        event = { type: "disconnected", id: out.id, reason: out.reason };
      } else return;
      for (const listener of this.#listeners) listener(event);
    });
  }

  /** Calls `listener` when a peer connects or its connection ends; remove to stop. */
  onPeer(listener: (event: PeerEvent) => void): Subscription {
    this.#listeners.add(listener);
    return { remove: () => this.#listeners.delete(listener) };
  }

  /** The peers with an open data channel now. */
  peers(): NodeID[] {
    return [...this.#connected];
  }
}

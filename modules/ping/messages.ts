/**
 * Messages of the ping module: it pings every connected node, measures round-trip times, and
 * reports nodes that stopped answering so random connections replaces them.
 * @module
 */

import type { NodeID } from "../../core/ids.ts";
import type { NetworkErrorCode } from "../../net/errors.ts";

/** The module name on the wire. */
export const PING_MODULE = "ping";

/** Settings, in ticks. */
export interface PingConfig {
  /** Ping each neighbour this often (default 5). */
  intervalTicks: number;
  /** Report a neighbour failed when it answered nothing for this long (default 15). */
  timeoutTicks: number;
}

/** The defaults of {@link PingConfig}. */
export const PING_DEFAULTS: PingConfig = { intervalTicks: 5, timeoutTicks: 15 };

/** What ping knows about one neighbour. */
export interface PingStat {
  /** The last round-trip time, ms. */
  rttMs?: number;
  /** Pings sent. */
  sent: number;
  /** Pongs received. */
  received: number;
  /** Pings the network could not deliver (absent while none). */
  undelivered?: number;
}

/** The module's state: one entry per neighbour. */
export type PingState = Record<NodeID, PingStat>;

/** Inputs of the ping module. */
export type PingIn =
  /** The nodes this node is connected to now. */
  | { type: "neighbours"; ids: NodeID[] }
  /** A ping message from a neighbour. */
  | { type: "message"; from: NodeID; data: string | Uint8Array }
  /** A ping message to `to` was not delivered. */
  | { type: "send-failed"; to: NodeID; code: NetworkErrorCode; message: string }
  /** A timer tick. */
  | { type: "tick"; tick: number };

/** Outputs of the ping module. */
export type PingOut =
  /** A ping message for a neighbour. */
  | { type: "send"; to: NodeID; data: string }
  /** A round-trip time was measured. */
  | { type: "rtt"; id: NodeID; ms: number }
  /** `id` answered nothing for `timeoutTicks`: replace it. */
  | { type: "failed"; id: NodeID }
  /** A copy of the state after a change. */
  | { type: "state"; state: PingState };

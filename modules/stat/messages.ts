/**
 * Messages of the stat module: it collects the state of every connection (type, bytes, RTT)
 * from the Network broker and ping, and uploads a summary to the signalling server.
 * @module
 */

import type { NodeID } from "../../core/ids.ts";
import type { ConnectionStatus } from "../../net/connection_status.ts";
import type { NetworkIn, NetworkOut } from "../../net/network.ts";
import type { NodeStats } from "../../net/signal_protocol.ts";

/** Settings, in ticks. */
export interface StatConfig {
  /** Ask the network for connection statuses and upload a summary this often (default 10). */
  intervalTicks: number;
}

/** The defaults of {@link StatConfig}. */
export const STAT_DEFAULTS: StatConfig = { intervalTicks: 10 };

/** One connection as the stat module sees it. */
export interface ConnectionStat extends ConnectionStatus {
  /** The last RTT ping measured, ms. */
  pingMs?: number;
}

/** The module's state. */
export interface StatState {
  /** Every connection the network reported, by node. */
  connections: Record<NodeID, ConnectionStat>;
  /** The summary last sent to the signalling server. */
  uploaded?: NodeStats;
}

/** Inputs of the stat module. */
export type StatIn =
  /** An output of the Network broker. */
  | { type: "network"; out: NetworkOut }
  /** A round-trip time measured by ping. */
  | { type: "rtt"; id: NodeID; ms: number }
  /** A timer tick. */
  | { type: "tick"; tick: number };

/** Outputs of the stat module. */
export type StatOut =
  /** A request for the Network broker. */
  | { type: "network"; in: NetworkIn }
  /** A copy of the state after a change. */
  | { type: "state"; state: StatState };

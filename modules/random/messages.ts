/**
 * Messages of the random connections module: it keeps a node connected to a small random set
 * of the nodes it knows, and tells the modules of the overlay who their neighbours are. It
 * carries no module's messages: those go between the network and their module directly.
 * @module
 */

import type { NodeID } from "../../core/ids.ts";
import type { NetworkIn, NetworkOut } from "../../net/network.ts";
import { DEFAULT_SETUP_TIMEOUT_MS } from "../../net/peer_setup.ts";

/** Settings, in ticks (one tick is a second with the real timer). */
export interface RandomConfig {
  /** The smallest target degree, however few nodes are known (default 3). */
  minDegree: number;
  /**
   * Give up on a connection still not open after this many ticks (default 30). A safety net
   * only: the network ends every attempt itself within its `setupTimeoutMs` (20 s) and says why,
   * and makes the offer again halfway through; giving up sooner cut both off and left the user
   * with no reason (a page with no usable candidate said nothing at all).
   */
  connectingTimeoutTicks: number;
  /** Replace one random connection this often; 0 never (default 300). */
  churnTicks: number;
  /**
   * Ask the signalling server for nodes this often (default 60) while this node has fewer than
   * two connections or its neighbours reach nobody else; after that, only when it knows no node
   * to connect to.
   */
  listTicks: number;
  /** Do not retry a node that failed for this many ticks (default 30). */
  cooldownTicks: number;
  /**
   * Remember at most this many nodes (default 10,000): past it, the one heard of longest ago is
   * forgotten, so a long-lived node that meets ever new nodes stays bounded.
   */
  maxKnown: number;
  /**
   * When a new connection is needed, the chance (0 to 1) that it goes to a node reachable
   * through a neighbour, whose setup then needs no signalling server (default 0.9). The rest go
   * to any known node, which keeps the overlay one well-mixed graph.
   */
  overlayPreference: number;
  /**
   * The modules a node must announce (in its info) to be chosen as a neighbour (default
   * `["random"]`; a `Node` asks for every module of the overlay it runs). A node known to lack
   * one, or whose peer refused a module's message as `unknown-module`, is never chosen, and its
   * connection to this node (an application's) is not counted as a neighbour.
   */
  needs: readonly string[];
}

/** The defaults of {@link RandomConfig}. */
export const RANDOM_DEFAULTS: RandomConfig = {
  minDegree: 3,
  connectingTimeoutTicks: DEFAULT_SETUP_TIMEOUT_MS / 1000 + 10,
  churnTicks: 300,
  listTicks: 60,
  cooldownTicks: 30,
  maxKnown: 10_000,
  overlayPreference: 0.9,
  needs: ["random"],
};

/** What the module knows, published on every change. */
export interface RandomState {
  /** Nodes with an open connection. */
  connected: NodeID[];
  /** Nodes being connected to. */
  connecting: NodeID[];
  /** Every other node this node knows of. */
  known: number;
  /** The degree the module aims for: at least this many, at most twice as many. */
  target: number;
}

/** Inputs of the random connections module. */
export type RandomIn =
  /** An output of the Network broker (linked below this module). */
  | { type: "network"; out: NetworkOut }
  /** A timer tick. */
  | { type: "tick"; tick: number }
  /** A module above found `id` unresponsive (ping): replace it. */
  | { type: "failed"; id: NodeID };

/** Outputs of the random connections module. */
export type RandomOut =
  /** A request for the Network broker (linked below this module). */
  | { type: "network"; in: NetworkIn }
  /** The connected nodes changed: the neighbours of the modules of the overlay. */
  | { type: "connected"; ids: NodeID[] }
  /** A copy of the module's state, after every change. */
  | { type: "state"; state: RandomState };

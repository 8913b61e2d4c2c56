/**
 * What a clustered signalling server (signal/cluster.ts) needs and gives: the message bus it
 * talks over, the server it is part of, its settings with their defaults, and its statistics.
 * @module
 */

import type { NodeInfo } from "../core/config.ts";
import type { NodeID } from "../core/ids.ts";
import { type Rng, secureRandom } from "../core/random.ts";

/** A request to a subject nobody listens on: the bus knew at once that nobody would answer. */
export class NoRespondersError extends Error {
  /** Names the subject. */
  constructor(subject: string) {
    super(`nobody listens on ${subject}`);
    this.name = "NoRespondersError";
  }
}

/** What a cluster needs from its message bus: subjects, publish, subscribe, request and reply. */
export interface ClusterBus {
  /** Sends `data` to every subscriber of `subject`. */
  publish(subject: string, data: string): void;
  /**
   * Calls `handler` for each message on `subject`; `respond` answers a request. Returns how to
   * stop.
   */
  subscribe(
    subject: string,
    handler: (data: string, respond: (reply: string) => void) => void,
  ): { unsubscribe(): void };
  /**
   * Sends a request to one subscriber of `subject` and resolves with its reply; rejects with
   * {@link NoRespondersError} when nobody listens, or another Error after `timeoutMs`.
   */
  request(subject: string, data: string, timeoutMs: number): Promise<string>;
  /** Resolves once the bus server has processed everything sent so far (or after `timeoutMs`). */
  flush(timeoutMs: number): Promise<void>;
  /** Whether the bus is connected now. */
  readonly connected: boolean;
  /** What the bus is connected to, for status pages (no credentials). */
  readonly server: string;
  /** Flushes and disconnects. */
  close(): Promise<void>;
}

/**
 * How a server proves itself to NATS and checks NATS: secrets only as files (read at start, never
 * printed), so they stay off the command line and out of logs. At most one of `passwordFile`
 * (with `user`), `tokenFile`, `nkeySeedFile` and `credsFile`.
 */
export interface NatsAuth {
  /** The NATS user, with {@link passwordFile}. */
  user?: string;
  /** A file holding the user's password. */
  passwordFile?: string;
  /** A file holding an authorization token. */
  tokenFile?: string;
  /** A file holding an NKey seed (`SU…`). */
  nkeySeedFile?: string;
  /** A `.creds` file (a user JWT and its NKey seed). */
  credsFile?: string;
  /** The CA certificate that NATS's TLS certificate must chain to (TLS then required). */
  caFile?: string;
  /** A client certificate, for NATS servers that verify clients (with {@link keyFile}). */
  certFile?: string;
  /** The client certificate's private key. */
  keyFile?: string;
}

/** What a cluster asks of its own server. */
export interface ClusterHost {
  /** Sends `frame`, a `relay` message made by the sender's server, to the local node `to`. */
  deliver(to: NodeID, frame: string): RelayOutcome;
  /** Another server took node `id`: close its connection here. */
  replaced(id: NodeID): void;
  /** Up to `count` random local nodes, not `exclude`. */
  sample(count: number, exclude?: NodeID): NodeInfo[];
  /** How many nodes are announced here. */
  nodeCount(): number;
  /** When node `id` announced here (ms since 1970), or undefined when it is not here. */
  announcedAt(id: NodeID): number | undefined;
}

/**
 * A node's signed announce to its new home: the proof with which that home tells the old one
 * that the node moved (see `SignalCluster.claim`).
 */
export interface AnnounceProof {
  /** The challenge the new home gave the node: its first 12 hex digits are the time (ms). */
  challenge: string;
  /** The node's signature of the announce payload over that challenge, hex. */
  signature: string;
}

/** How a relay went: delivered, or the error code the sender gets. */
export type RelayOutcome = "ok" | "unknown-node" | "target-overloaded" | "relay-failed";

/** Settings of a {@link SignalCluster}; every field has a default. */
export interface ClusterOptions {
  /** The cluster's name: servers with the same name on one bus form a cluster ("flnet"). */
  name: string;
  /** How often a server tells the others it lives and how many nodes it holds (1,000 ms). */
  heartbeatMs: number;
  /**
   * How long a relay to another server may wait for that server's confirmation before the
   * sender hears `relay-failed` (10,000 ms; the message may still arrive after that).
   */
  relayTimeoutMs: number;
  /** How long a list waits for another server's sample (300 ms). */
  sampleTimeoutMs: number;
  /** The most other servers a list asks (8). */
  maxServersPerList: number;
  /** The most relays to other servers waiting for their answer (10,000). */
  maxPendingRelays: number;
  /**
   * The most lists waiting for other servers' samples (1,000); a list beyond that is answered
   * from this server's nodes alone, so clients asking for lists cannot pile up requests on NATS.
   */
  maxPendingLists: number;
  /** The most servers remembered (10,000). */
  maxServers: number;
  /** Randomness for the choice of servers and the server id. */
  rng: Rng;
  /** The clock, ms since 1970 (`Date.now`): heartbeats' ages, and how fresh a moved node's announce is. */
  now: () => number;
}

/** The defaults of {@link ClusterOptions}. */
export const CLUSTER_DEFAULTS: Readonly<ClusterOptions> = {
  name: "flnet",
  heartbeatMs: 1_000,
  relayTimeoutMs: 10_000,
  sampleTimeoutMs: 300,
  maxServersPerList: 8,
  maxPendingRelays: 10_000,
  maxPendingLists: 1_000,
  maxServers: 10_000,
  rng: secureRandom,
  now: () => Date.now(),
};

/** The cluster as one server sees it, for `/stats` and `/metrics`. */
export interface ClusterStats {
  /** This server's id in the cluster. */
  serverId: string;
  /** The cluster's name. */
  name: string;
  /** Whether the bus is connected. */
  busConnected: boolean;
  /** The bus server connected to. */
  busServer: string;
  /** Other servers heard from within three heartbeats. */
  peers: number;
  /** Nodes announced on the whole cluster, by the latest heartbeats (this server's included). */
  clusterNodes: number;
  /** Relays sent to other servers, by outcome. */
  relaysOut: Record<RelayOutcome, number>;
  /** Relays other servers sent here, by outcome. */
  relaysIn: Record<RelayOutcome, number>;
  /** Messages from the bus that were not understood. */
  badMessages: number;
}

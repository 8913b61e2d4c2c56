/**
 * What an adapter and a caller see of the signalling server's logic (signal/server.ts): the
 * WebSocket it is handed ({@link SignalPeer}) and what it hands back, its settings with their
 * defaults, its statistics and its view of a node.
 * @module
 */

import type { NodeInfo } from "../core/config.ts";
import { type Rng, secureRandom } from "../core/random.ts";
import type { TurnGrantOptions } from "./turn_credentials.ts";
import type { ClusterStats } from "./cluster_options.ts";
import type { NodeStats, SignalErrorCode } from "../net/signal_protocol.ts";

/** The server's end of one WebSocket, as the adapter provides it. */
export interface SignalPeer {
  /** Sends a text frame. */
  send(text: string): void;
  /** Closes the socket with a WebSocket close code and reason. */
  close(code: number, reason: string): void;
  /** Bytes queued for sending, if the runtime tells; used to refuse relays to a stuck node. */
  readonly bufferedAmount?: number;
}

/** What the adapter calls for one connection. */
export interface ServerSideConnection {
  /** A frame arrived (text as a string; anything else is refused as binary). */
  receive(data: unknown): void;
  /** The socket closed, for whatever reason. */
  closed(): void;
}

/** Settings of a {@link SignalServer}; every field has a default. */
export interface SignalServerOptions {
  /** The most nodes in one list reply (default 50). */
  maxListLength: number;
  /** Close connections silent for this long (default 120 s). */
  ttlMs: number;
  /** Close connections that have not announced within this time (default 10 s). */
  announceTimeoutMs: number;
  /** The largest accepted frame in UTF-8 bytes (default 64 KiB). */
  maxFrameBytes: number;
  /** Sustained frames per second per connection (default 200). */
  ratePerSecond: number;
  /** Burst of frames above the sustained rate (default 1,000). */
  rateBurst: number;
  /** The most connections at once (default 10,000). */
  maxConnections: number;
  /**
   * The most connections at once from one address (default 100; an IPv6 address counts by its
   * /64), so one machine cannot take every slot. Behind a reverse proxy, give the server
   * `trustProxy` so that it counts the clients' addresses, not the proxy's.
   */
  maxConnectionsPerAddress: number;
  /**
   * After a fatal error, frames are ignored for this long before the socket closes (default
   * 100 ms), so the error reaches a client that is still sending instead of being lost when
   * the close resets the connection.
   */
  closeGraceMs: number;
  /** Refuse relays to a node with more than this many bytes waiting to be sent (1 MiB). */
  maxBufferedBytes: number;
  /** Names this server in the challenge (default `"flnet-signal"`). */
  serverName: string;
  /**
   * How long {@link SignalServer.close} spreads telling the nodes to move (default 0: all at
   * once). With a cluster or several servers, spreading it keeps the nodes from all arriving at
   * the other servers in the same moment.
   */
  drainMs: number;
  /**
   * Hand each announced node short-lived TURN credentials for these TURN servers (coturn with
   * `use-auth-secret`), in `welcome` and again before they expire; none by default.
   */
  turn: TurnGrantOptions | undefined;
  /** Randomness for list replies (tests pass a seeded one). */
  rng: Rng;
}

/** Counters a server exposes at `/stats`. */
export interface SignalStats {
  /** Nodes that announced and are still connected. */
  nodesOnline: number;
  /** Open connections, announced or not. */
  connections: number;
  /** Relay messages forwarded since the start. */
  messagesRelayed: number;
  /** Bytes of relay frames forwarded since the start. */
  bytesRelayed: number;
  /** Frames received since the start. */
  framesReceived: number;
  /** Bytes of the frames received since the start (text as UTF-16 code units, binary as bytes). */
  bytesReceived: number;
  /** Bytes of the frames sent since the start (counted the same way). */
  bytesSent: number;
  /** Errors sent, by code. */
  errorsByCode: Partial<Record<SignalErrorCode, number>>;
  /** Seconds since the server started. */
  uptimeSeconds: number;
  /** The cluster, when the server is one of several (see {@link SignalServer.joinCluster}). */
  cluster?: ClusterStats;
}

/** One announced node, as listed at `/nodes`. */
export interface SignalNodeView {
  /** The node's announced info. */
  info: NodeInfo;
  /** The last stats it uploaded, if any. */
  stats?: NodeStats;
  /** Seconds since it announced. */
  connectedSeconds: number;
}

/** The defaults of {@link SignalServerOptions}. */
export const SIGNAL_DEFAULTS: Readonly<SignalServerOptions> = {
  maxListLength: 50,
  ttlMs: 120_000,
  announceTimeoutMs: 10_000,
  maxFrameBytes: 64 * 1024,
  ratePerSecond: 200,
  rateBurst: 1000,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 100,
  maxBufferedBytes: 1024 * 1024,
  closeGraceMs: 100,
  drainMs: 0,
  turn: undefined,
  serverName: "flnet-signal",
  rng: secureRandom,
};

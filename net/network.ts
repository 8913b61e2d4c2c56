/**
 * The Network broker: `send(NodeID, message)` connects on demand through the signalling
 * server, queues until the data channel is open, and delivers. Messages and the outcome of
 * sends do not travel as outputs: the broker's {@link Registrar} hands each received message to
 * the one handler of its module name, and settles each send it tracked (handed to the data
 * channel, or failed with why: no route, setup timeout, peer gone). The outputs are about nodes
 * and connections: the node list, connection events and statuses, and failures no send claims.
 *
 * Runtime pieces come in through {@link NetworkOptions}: the RTCPeerConnection constructor
 * and, in the signalling options, the WebSocket constructor. `net/api.ts` wraps this broker in
 * a friendlier object.
 * @module
 */

import { Broker } from "../core/broker.ts";
import type { NodeConfig, NodeInfo } from "../core/config.ts";
import type { NodeID } from "../core/ids.ts";
import type { CandidateFilter } from "./candidates.ts";
import type { ConnectionStatus, SetupVia } from "./connection_status.ts";
import type { RefusalCode } from "./control.ts";
import type { NetworkErrorCode, PeerErrorCode } from "./errors.ts";
import { NetworkCore } from "./network_core.ts";
import type { RTCPeerConnectionConstructor } from "./peer_setup.ts";
import { Registrar } from "./registrar.ts";
import { type SignalClientOptions, SignalConnection } from "./signal_client.ts";
import type { NodeStats } from "./signal_protocol.ts";
import type { ServerUrls, WebSocketConstructor } from "./websocket.ts";

/** Settings of the network; the runtime's two constructors are required, the rest optional. */
export interface NetworkOptions {
  /** The WebRTC engine's RTCPeerConnection. */
  RTCPeerConnection: RTCPeerConnectionConstructor;
  /** The runtime's WebSocket (for the signalling server). */
  WebSocket: WebSocketConstructor;
  /**
   * STUN and TURN servers, e.g. `[{ urls: "turn:host:3478", username, credential }]`. Servers
   * the signalling server hands out (short-lived TURN credentials) are used beside these.
   */
  iceServers?: RTCIceServer[];
  /** `"relay"` to use TURN only (hides this node's addresses from peers). */
  iceTransportPolicy?: "all" | "relay";
  /** Which ICE candidates to offer and accept; see `candidateFilters`. */
  candidateFilter?: CandidateFilter;
  /**
   * Send connection setup messages through a neighbour connected to the target when there is
   * one, instead of through the signalling server (default true; net/overlay_signals.ts).
   */
  overlaySignalling?: boolean;
  /** Extra, engine-specific RTCPeerConnection settings (e.g. node-datachannel's `bindAddress`). */
  rtcConfig?: Record<string, unknown>;
  /** The largest message sent or accepted (default 16 MiB). */
  maxMessageBytes?: number;
  /** Drop a message that gets no chunk for this long (default 30 s). */
  incompleteTimeoutMs?: number;
  /**
   * The most bytes of unfinished incoming messages held at once, across all peers (default
   * 64 MiB); a message that would go over it is refused with `message-too-large`.
   */
  maxIncompleteBytes?: number;
  /** Give up connecting to a node after this long (default 20 s). */
  setupTimeoutMs?: number;
  /** Treat an ICE "disconnected" state lasting this long as a lost peer (default 5 s). */
  disconnectGraceMs?: number;
  /**
   * Treat a peer from which nothing came for this long as gone (default 2.5 s; 0: never): both
   * sides send a small heartbeat when idle, so a peer killed without a word is noticed within
   * about this time. Raise it where a peer's event loop may stall longer.
   */
  livenessTimeoutMs?: number;
  /**
   * The most connections being set up at once on offers from nodes this node has no peer for
   * (default 64); more offers are refused with an `error` (`setup-failed`), so strangers'
   * offers cannot hold an unbounded number of peer connections until their setup times out.
   */
  maxIncomingSetups?: number;
  /** The signalling client's options (backoff, queue limits, keep-alive). */
  signal?: SignalClientOptions;
}

/** Inputs of the Network broker. */
export type NetworkIn =
  /**
   * Send to a node's module, connecting first if needed; the registrar settles the send `id`
   * (made by a registration of `module`: {@link Registrar.register}). With `connect: false` it
   * goes only over an open connection (else it fails with `not-connected`).
   */
  | {
    type: "send";
    to: NodeID;
    data: string | Uint8Array;
    module: string;
    id: number;
    connect?: boolean;
  }
  /** Connect to a node without sending anything. */
  | { type: "connect"; to: NodeID }
  /** Close the connection to a node. */
  | { type: "disconnect"; to: NodeID }
  /**
   * Tell the node `to` that its message `ref` (as the registrar was given it) was not taken,
   * with why: its `send` rejects, or its `onError` hears of it. At most 10 refusals a second reach
   * one node (`REFUSALS_PER_SECOND`); beyond, only this node knows.
   */
  | { type: "refuse"; to: NodeID; ref: number; code: RefusalCode; message: string }
  /** Ask the signalling server for nodes; a `nodes` output follows. */
  | { type: "list" }
  /** Ask for the status of every connection; a `connections` output follows. */
  | { type: "status" }
  /** Upload this node's stats to the signalling server. */
  | { type: "stats"; stats: NodeStats }
  /**
   * Reconnect to the signalling server now if it is waiting to (after a backoff): for when the
   * runtime says the network is back. The browser entry sends it on `online` and when a hidden
   * page becomes visible.
   */
  | { type: "retry" }
  /** Close every connection and the signalling connection. */
  | { type: "close" };

/** One connection and its status. */
export interface ConnectionInfo {
  /** The remote node. */
  id: NodeID;
  /** Its status. */
  status: ConnectionStatus;
}

/** Outputs of the Network broker. */
export type NetworkOut =
  /**
   * A failure no waiting send claims: of the connection to `to` or its incoming data, or of the
   * message `id` when the peer refused it after its send had resolved.
   */
  | { type: "error"; code: NetworkErrorCode; message: string; to?: NodeID; id?: number }
  /**
   * A data channel to `id` opened; `via` says how its setup travelled (through the signalling
   * server or through a neighbour in the overlay).
   */
  | { type: "connected"; id: NodeID; via?: SetupVia }
  /**
   * The connection to `id` ended, or an attempt to set it up failed (`code` `setup-timeout` or
   * `setup-failed`: it never opened); `code` says why where the network knows.
   */
  | { type: "disconnected"; id: NodeID; reason: string; code?: PeerErrorCode }
  /** Nodes the signalling server knows, answering `list`. */
  | { type: "nodes"; nodes: NodeInfo[] }
  /**
   * The nodes this node can reach through a neighbour (its neighbours' neighbours, at most
   * 1,024): setting up a connection to one of them needs no signalling server. `groups` holds
   * them by the neighbour whose list named them (one group a neighbour), so that no neighbour
   * weighs more than another however many ids it lists. Sent when it changes.
   */
  | { type: "reachable"; ids: NodeID[]; groups: NodeID[][] }
  /** Every connection's status, answering `status`. */
  | { type: "connections"; connections: ConnectionInfo[] }
  /** The signalling connection: announced, lost (it reconnects), closed, or an error. */
  | {
    type: "signal";
    state: "ready" | "disconnected" | "closed" | "error";
    code?: string;
    message?: string;
  }
  /** The network is closed. */
  | { type: "closed" };

/**
 * The Network broker: a broker of {@link NetworkIn} and {@link NetworkOut} with the
 * {@link Registrar} that receives its messages and tracks its sends.
 */
export class NetworkBroker extends Broker<NetworkIn, NetworkOut> {
  /** Module names and their handlers; every send is made and settled through it. */
  readonly registrar: Registrar = new Registrar((msg) => this.enqueueIn(msg));
}

/** Starts the network of `config`'s node on the signalling server at `signalUrl`. */
export function startNetwork(
  config: NodeConfig,
  signalUrl: ServerUrls,
  options: NetworkOptions,
): NetworkBroker {
  const broker = new NetworkBroker("network");
  const core = new NetworkCore(config, options, broker);
  core.signal = new SignalConnection(
    config,
    signalUrl,
    options.WebSocket,
    options.signal ?? {},
    (out) => core.fromSignal(out),
  );
  broker.addHandler({ messages: (batch) => core.handle(batch) });
  return broker;
}

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
import { type NodeID, U256 } from "../core/ids.ts";
import { Logger } from "../core/log.ts";
import type { CandidateFilter } from "./candidates.ts";
import type { ConnectionStatus, SetupVia } from "./connection_status.ts";
import type { RefusalCode } from "./control.ts";
import type { NetworkErrorCode, PeerErrorCode } from "./errors.ts";
import type { IncompleteBudget } from "./reassembler.ts";
import { Peer } from "./peer.ts";
import type { RTCPeerConnectionConstructor } from "./peer_setup.ts";
import { Registrar } from "./registrar.ts";
import { SetupGuard } from "./setup_guard.ts";
import { SETUP_LIMITS, type SetupSignal, type SignedSetup } from "./setup_signal.ts";
import { OverlaySignals } from "./overlay_signals.ts";
import { type SignalClientOptions, SignalConnection, type SignalOut } from "./signal_client.ts";
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
   * 1,024): setting up a connection to one of them needs no signalling server. Sent when it
   * changes.
   */
  | { type: "reachable"; ids: NodeID[] }
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

const log = new Logger("network");

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

class NetworkCore {
  readonly #peers = new Map<NodeID, Peer>();
  /** Bytes of unfinished incoming messages, across all peers. */
  readonly #incomplete: IncompleteBudget;
  /** Peers given messages in the batch of inputs under way: flushed at its end. */
  readonly #toFlush = new Set<Peer>();
  readonly #guard: SetupGuard;
  readonly #overlay: OverlaySignals;
  #statusRound: Promise<void> | undefined;
  #closing = false;
  /** Short-lived TURN credentials from the signalling server, used beside `iceServers`. */
  #serverIceServers: RTCIceServer[] = [];
  readonly id: NodeID;

  constructor(
    config: NodeConfig,
    readonly options: NetworkOptions,
    readonly broker: NetworkBroker,
  ) {
    this.id = config.id;
    this.#incomplete = { held: 0, limit: options.maxIncompleteBytes ?? 64 * 1024 * 1024 };
    this.#overlay = new OverlaySignals(this.id, {
      neighbours: () =>
        [...this.#peers].filter(([, peer]) => peer.state === "open").map(([id]) => id),
      send: (to, module, data) => this.#peers.get(to)?.sendControl(module, data) ?? false,
      deliver: (from, signal) => this.#guard.incoming(from, signal, "overlay"),
      fallback: (to, signal, reason) => {
        log.debug(`a setup message goes through the server after all: ${reason}`);
        this.signal.request({ type: "relay", to, signal });
      },
      reachable: (ids) => this.broker.enqueueOut({ type: "reachable", ids }),
      malformed: (from, message) =>
        this.broker.enqueueOut({ type: "error", code: "bad-frame", to: from, message }),
    });
    this.#guard = new SetupGuard(config, {
      send: (to, signal) => this.#sendSetup(to, signal),
      accept: (from, signal, route) => this.#fromPeer(from, signal, route),
      unsent: (to, session, reason) => this.#peers.get(to)?.refuse(session, reason, "setup-failed"),
      reject: (from, code, message, claimed) => this.#refused(from, code, message, claimed),
    });
  }

  /** The signalling client (set right after construction: its events come here). */
  signal!: SignalConnection;

  handle(batch: NetworkIn[]): NetworkOut[] {
    const out: NetworkOut[] = [];
    for (const msg of batch) {
      switch (msg.type) {
        case "send":
          this.#send(msg, out);
          break;
        case "connect":
          if (msg.to !== this.id && !this.#closing) this.#peer(msg.to).connect();
          break;
        case "disconnect":
          void this.#peers.get(msg.to)?.disconnect();
          break;
        case "refuse":
          this.#peers.get(msg.to)?.refuseMessage(msg.ref, msg.code, msg.message);
          break;
        case "list":
          this.signal.request({ type: "list" });
          break;
        case "stats":
          this.signal.request({ type: "stats", stats: msg.stats });
          break;
        case "retry":
          this.signal.request({ type: "retry" });
          break;
        case "status":
          this.#statusRound ??= this.#askStatus().finally(() => this.#statusRound = undefined);
          break;
        case "close":
          this.#closing = true;
          this.#overlay.close();
          // each peer first lets its buffered data leave, then the signalling connection closes
          // (a peer stuck in a setup step is not waited for beyond CLOSE_WAIT_MS)
          void Promise.all(
            [...this.#peers.values()].map((peer) =>
              within(
                peer.disconnect("closed", "the network closed"),
                CLOSE_WAIT_MS,
                () => undefined,
              )
            ),
          ).finally(() => this.signal.request({ type: "close" }));
          break;
      }
    }
    for (const peer of this.#toFlush) peer.flush();
    this.#toFlush.clear();
    return out;
  }

  #send(msg: NetworkIn & { type: "send" }, out: NetworkOut[]) {
    const { to, id } = msg;
    const fail = (code: NetworkErrorCode, message: string) => {
      if (!this.broker.registrar.failed(id, code, message, to)) {
        out.push({ type: "error", code, to, id, message });
      }
    };
    if (this.#closing) fail("closed", "the network is closed");
    else if (to === this.id) {
      fail("connect-myself", "a node cannot send to itself over the network");
    } else if (msg.connect === false && this.#peers.get(to)?.state !== "open") {
      fail(
        "not-connected",
        `no open connection to ${U256.short(to)} (this message may not open one)`,
      );
    } else {
      const peer = this.#peer(to);
      peer.send(id, msg.data, msg.module);
      this.#toFlush.add(peer);
    }
  }

  #peer(remote: NodeID): Peer {
    const existing = this.#peers.get(remote);
    if (existing) return existing;
    const o = this.options;
    const emit = (msg: NetworkOut) => this.broker.enqueueOut(msg);
    const registrar = this.broker.registrar;
    const peer: Peer = new Peer({
      localId: this.id,
      remoteId: remote,
      RTCPeerConnection: o.RTCPeerConnection,
      rtcConfig: {
        iceServers: [...(o.iceServers ?? []), ...this.#serverIceServers],
        ...(o.iceTransportPolicy ? { iceTransportPolicy: o.iceTransportPolicy } : {}),
        ...o.rtcConfig,
      },
      candidateFilter: o.candidateFilter,
      maxMessageBytes: o.maxMessageBytes,
      incompleteTimeoutMs: o.incompleteTimeoutMs,
      incompleteBudget: this.#incomplete,
      setupTimeoutMs: o.setupTimeoutMs,
      disconnectGraceMs: o.disconnectGraceMs,
      livenessTimeoutMs: o.livenessTimeoutMs,
    }, {
      signal: (signal) => this.#guard.outgoing(remote, signal),
      connected: () => {
        this.#overlay.neighboursChanged();
        emit({ type: "connected", id: remote, ...(peer.setupVia ? { via: peer.setupVia } : {}) });
      },
      disconnected: (reason, code) => {
        this.#overlay.neighboursChanged();
        emit({ type: "disconnected", id: remote, reason, code });
        queueMicrotask(() => this.#forgetIfDone(remote));
      },
      message: (module, data, ref) => registrar.deliver(remote, module, data, ref),
      sent: (id) => registrar.sent(id),
      error: (code, message, id) => {
        if (id !== undefined && registrar.failed(id, code, message, remote)) return;
        emit({ type: "error", code, message, to: remote, ...(id === undefined ? {} : { id }) });
      },
      overlay: (module, data) => this.#overlay.receive(remote, module, data),
    });
    this.#peers.set(remote, peer);
    return peer;
  }

  /**
   * Forgets the peer `remote` once its connection ended and nothing waits for it (looked at
   * after the turn that ended it: a peer replaced by a new offer is connecting again by then),
   * so peers that come and go, or strangers' offers that never complete, cannot grow the map.
   */
  #forgetIfDone(remote: NodeID): void {
    const peer = this.#peers.get(remote);
    if (peer && peer.state === "idle" && peer.queued === 0) this.#peers.delete(remote);
  }

  /** True (and reported) when a new peer's offer would go over `maxIncomingSetups`. */
  #tooManySetups(from: NodeID): boolean {
    const max = this.options.maxIncomingSetups ?? 64;
    let connecting = 0;
    for (const peer of this.#peers.values()) if (peer.state === "connecting") connecting++;
    if (connecting < max) return false;
    this.broker.enqueueOut({
      type: "error",
      code: "setup-failed",
      to: from,
      message: `refused the offer of node ${U256.short(from)}: ${connecting} connections are ` +
        `being set up already (maxIncomingSetups ${max})`,
    });
    return true;
  }

  async #askStatus(): Promise<void> {
    const entries = [...this.#peers];
    const statuses = await Promise.all(entries.map(([, peer]) => statusWithin(peer)));
    this.broker.enqueueOut({
      type: "connections",
      connections: entries.map(([id], i) => ({ id, status: statuses[i] })),
    });
  }

  fromSignal(out: SignalOut): void {
    const emit = (msg: NetworkOut) => this.broker.enqueueOut(msg);
    switch (out.type) {
      case "ready":
        this.#serverIceServers = out.iceServers ?? [];
        return emit({ type: "signal", state: "ready" });
      case "ice":
        this.#serverIceServers = out.iceServers;
        return;
      case "list":
        return emit({ type: "nodes", nodes: out.nodes.filter((n) => n.pubkey !== this.id) });
      case "relay":
        return this.#guard.incoming(out.from, out.signal);
      case "error":
        if (out.to) {
          const failed = relayFailure(out.code, out.to, out.message);
          if (failed) return void this.#peers.get(out.to)?.disconnect(...failed);
        }
        return emit({ type: "signal", state: "error", code: out.code, message: out.message });
      case "send-failed":
        if (out.request.type === "relay") {
          void this.#peers.get(out.request.to)?.disconnect(
            "setup-failed",
            `the signalling server could not carry the setup: ${out.reason}`,
          );
          return;
        }
        return emit({ type: "signal", state: "error", code: "send-failed", message: out.reason });
      case "disconnected":
        return emit({ type: "signal", state: "disconnected", message: out.reason });
      case "closed":
        emit({ type: "signal", state: "closed" });
        return emit({ type: "closed" });
    }
  }

  /**
   * Sends a signed setup message: through a neighbour of this node connected to `to` when there
   * is one (unless overlay signalling is off), else through the signalling server.
   */
  #sendSetup(to: NodeID, signed: SignedSetup): void {
    const overlay = this.options.overlaySignalling !== false && this.#overlay.route(to, signed);
    if (!overlay) this.signal.request({ type: "relay", to, signal: signed });
    const peer = this.#peers.get(to);
    if (peer && signed.kind === "offer") peer.setupVia = overlay ? "overlay" : "server";
  }

  /** A setup message from `from` whose signature holds, which came by `route`. */
  #fromPeer(from: NodeID, signal: SetupSignal, route: SetupVia): void {
    if (this.#closing) return;
    this.#overlay.heardFrom(from);
    if (signal.kind === "offer" && !this.#peers.has(from) && this.#tooManySetups(from)) return;
    const peer = signal.kind === "offer" ? this.#peer(from) : this.#peers.get(from);
    if (peer && signal.kind === "offer") peer.setupVia = route;
    if (peer) peer.apply(signal);
    else log.debug(`a ${signal.kind} from ${U256.short(from)} with no connection to it`);
  }

  /**
   * A setup message said to be from `from` was refused. A forged one ends the attempt it
   * claims to belong to (the path between the two nodes is not to be trusted), and the node
   * it names is told, unless the message was itself a refusal.
   */
  #refused(
    from: NodeID,
    code: "bad-setup" | "peer-auth-failed",
    message: string,
    claimed?: SetupSignal,
  ): void {
    this.broker.enqueueOut({ type: "error", code, to: from, message });
    if (!claimed) return;
    this.#peers.get(from)?.refuse(claimed.session, message);
    if (claimed.kind !== "refused" && !this.#closing) {
      const reason = message.slice(0, SETUP_LIMITS.reason);
      this.#guard.outgoing(from, { kind: "refused", session: claimed.session, reason });
    }
  }
}

/** How long a status round waits for one peer (its status is read between setup steps). */
const STATUS_WAIT_MS = 2_000;
/** How long closing waits for one peer (a graceful close takes at most 2 s). */
const CLOSE_WAIT_MS = 3_000;

/** `work`'s result, or `fallback()` when it takes longer than `ms`. */
async function within<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => timer = setTimeout(() => resolve(fallback()), ms));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `peer`'s status, or only its state when a setup step holds it longer than `STATUS_WAIT_MS`:
 * one stuck peer must not keep every later status round (and the stat module) waiting.
 */
function statusWithin(peer: Peer): Promise<ConnectionStatus> {
  return within(peer.status(), STATUS_WAIT_MS, () => peer.briefStatus());
}

/**
 * What a server's answer to a relay for `to` means for the connection being set up to it: the
 * code and reason it ends with, or undefined for an answer that does not end it.
 */
function relayFailure(
  code: string,
  to: NodeID,
  message: string,
): [PeerErrorCode, string] | undefined {
  switch (code) {
    case "unknown-node":
      return ["no-route", `node ${U256.short(to)} is not connected to the signalling server`];
    case "relay-failed":
      return ["setup-failed", `the signalling servers could not carry the setup: ${message}`];
    case "target-overloaded":
      // the target is not reading what the server sends it: the setup cannot go through
      return [
        "setup-failed",
        `node ${U256.short(to)} is not reading its signalling messages (the server answered ` +
        `target-overloaded: ${message})`,
      ];
    default:
      return undefined;
  }
}

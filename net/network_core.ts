/**
 * What the Network broker does with its inputs (net/network.ts has its interface): one
 * {@link Peer} per remote node, created on demand; setup messages through the setup guard, a
 * neighbour (overlay signalling) or the signalling server; received messages and the outcome
 * of sends handed to the broker's registrar; connection events and failures as outputs.
 * @module
 */

import type { NodeConfig } from "../core/config.ts";
import { type NodeID, U256 } from "../core/ids.ts";
import { Logger } from "../core/log.ts";
import type { ConnectionStatus, SetupVia } from "./connection_status.ts";
import type { NetworkErrorCode, PeerErrorCode } from "./errors.ts";
import type { NetworkBroker, NetworkIn, NetworkOptions, NetworkOut } from "./network.ts";
import type { IncompleteBudget } from "./reassembler.ts";
import { Peer } from "./peer.ts";
import { SetupGuard } from "./setup_guard.ts";
import { SETUP_LIMITS, type SetupSignal, type SignedSetup } from "./setup_signal.ts";
import { OverlaySignals } from "./overlay_signals.ts";
import type { SignalConnection, SignalOut } from "./signal_client.ts";

const log = new Logger("network");

/** The Network broker's handler; see the module documentation. */
export class NetworkCore {
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
      deliver: (from, signal, via) => this.#guard.incoming(from, signal, "overlay", via),
      fallback: (to, signal, reason) => {
        log.debug(`a setup message goes through the server after all: ${reason}`);
        this.signal.request({ type: "relay", to, signal });
      },
      reachable: (ids, groups) => this.broker.enqueueOut({ type: "reachable", ids, groups }),
      unanswered: (to) => this.#peers.get(to)?.offerAgain(),
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
      settled: () => this.#forgetIfDone(remote),
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
    if (peer?.done) this.#peers.delete(remote);
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
   * Sends a signed setup message: an offer through a neighbour of this node connected to `to`
   * when there is one (unless overlay signalling is off), else through the signalling server;
   * the attempt's other messages the way its offer went (or came: an answer to an offer the
   * server carried goes back through the server, not through a neighbour that may be the
   * very one that dropped the first offer).
   */
  #sendSetup(to: NodeID, signed: SignedSetup): void {
    const peer = this.#peers.get(to);
    const sameWay = signed.kind !== "offer" && peer?.setupVia === "server";
    const overlay = this.options.overlaySignalling !== false && !sameWay &&
      this.#overlay.route(to, signed);
    if (!overlay) this.signal.request({ type: "relay", to, signal: signed });
    if (peer && signed.kind === "offer") peer.setupVia = overlay ? "overlay" : "server";
  }

  /** A setup message from `from` whose signature holds, which came by `route`. */
  #fromPeer(from: NodeID, signal: SetupSignal, route: SetupVia): void {
    if (this.#closing) return;
    this.#overlay.heardFrom(from);
    if (signal.kind === "offer" && !this.#peers.has(from) && this.#tooManySetups(from)) return;
    const peer = signal.kind === "offer" ? this.#peer(from) : this.#peers.get(from);
    // how the setup went: the way the offer came, or, for an offer of this node's, the way its
    // answer came back (an offer made again may have left by another way than the first)
    if (peer && (signal.kind === "offer" || signal.kind === "answer")) peer.setupVia = route;
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

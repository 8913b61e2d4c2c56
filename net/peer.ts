/**
 * One remote node as this node sees it: a {@link PeerSetup} that opens (and reopens) the
 * connection, and a {@link DataPath} that carries messages over it. The peer connects on
 * demand, retries a failed attempt while messages wait, and reports every message either as
 * `sent` or as an `error` with its id: nothing is dropped without a word.
 * @module
 */

import { type NodeID, U256 } from "../core/ids.ts";
import { Logger } from "../core/log.ts";
import type { ConnectionState, ConnectionStatus, SetupVia } from "./connection_status.ts";
import { DataPath, type DataPathOptions } from "./data_path.ts";
import { type RefusalCode, RESERVED_MODULE_PREFIX } from "./control.ts";
import type { PeerErrorCode } from "./errors.ts";
import { payloadBytes } from "./framing.ts";
import { PeerSetup, type PeerSetupOptions } from "./peer_setup.ts";
import type { SetupSignal } from "./setup_signal.ts";

/** Settings of a {@link Peer}: those of its setup and of its data path, and retries. */
export interface PeerOptions extends PeerSetupOptions, DataPathOptions {
  /**
   * A connection attempt that fails before opening while messages wait is retried this many
   * times with a fresh session (default 2). Measured: libdatachannel as offerer sometimes drops
   * its ICE transport when @roamhq/wrtc probes it from several interfaces before the answer.
   */
  setupRetries?: number;
}

/** What a {@link Peer} reports. */
export interface PeerEvents {
  /** The data channel is open. */
  connected(): void;
  /** The connection is gone (after `connected`, or a failed attempt), with why. */
  disconnected(reason: string, code: PeerErrorCode): void;
  /** The last setup step asked for finished, and the peer is {@link Peer.done}. */
  settled(): void;
  /** A message from the peer; `ref` names it to {@link Peer.refuseMessage}. */
  message(module: string, data: string | Uint8Array, ref: number): void;
  /** A setup message to carry to the peer. */
  signal(signal: SetupSignal): void;
  /** The message `id` was handed to the data channel whole. */
  sent(id: number): void;
  /** A failure: of the message `id` when given, else of the connection or incoming data. */
  error(code: PeerErrorCode, message: string, id?: number): void;
  /** One of the overlay's control messages from the peer (net/overlay_signals.ts). */
  overlay(module: string, data: string | Uint8Array): void;
}

const log = new Logger("webrtc");

/** How long closing waits for the peer to take what was sent before. */
const CLOSE_MS = 2_000;
/** How long the node with the larger id waits for the other's offer before its own. */
const CONNECT_DEFER_MS = 150;

/** One remote node: setup plus data path; see the module documentation. */
export class Peer {
  readonly #remoteId: NodeID;
  readonly #localId: NodeID;
  readonly #events: PeerEvents;
  readonly #setup: PeerSetup;
  readonly #data: DataPath;
  readonly #setupRetries: number;
  #retriesLeft = 0;
  /** Setup steps run one after the other on this chain. */
  #steps: Promise<void> = Promise.resolve();
  /** Setup steps asked for and not finished yet. */
  #pendingSteps = 0;
  #deferTimer: ReturnType<typeof setTimeout> | undefined;
  /** True while a graceful close waits: the peer's closing is expected then. */
  #closing = false;
  /**
   * Why the open connection was lost while messages waited, as long as a new connection is
   * being set up to deliver them.
   */
  #recovering: string | undefined;

  /** Creates an idle peer; it connects on the first `send` or `connect`. */
  constructor(options: PeerOptions, events: PeerEvents) {
    this.#localId = options.localId;
    this.#remoteId = options.remoteId;
    this.#events = events;
    this.#setupRetries = options.setupRetries ?? 2;
    this.#setup = new PeerSetup(options, {
      signal: (signal) => events.signal(signal),
      open: (dc, frameBytes) => {
        this.#retriesLeft = this.#setupRetries;
        this.#recovering = undefined;
        events.connected();
        this.#data.attach(dc, frameBytes);
      },
      data: (data) => this.#data.receive(data),
      reoffer: () => {
        log.debug(`offering to ${U256.short(this.#remoteId)} again: ICE found no path yet`);
        this.#step(() => this.#setup.offer(true));
      },
      lost: (code, reason, was, replaced) => this.#lost(code, reason, was, replaced),
    });
    this.#data = new DataPath(options, {
      sent: (id) => events.sent(id),
      failed: (id, code, message) => events.error(code, message, id),
      message: (module, data, ref) => events.message(module, data, ref),
      error: (code, message) => events.error(code, message),
      refusedByPeer: (id, code, message) =>
        events.error(
          code,
          `node ${U256.short(this.#remoteId)} refused ${
            id === undefined ? "a message" : `message ${id}`
          } it received: ${message}`,
          id,
        ),
      closedByPeer: () => this.#teardown("closed", "closed by the peer"),
      overlay: (module, data) => events.overlay(module, data),
      broken: (reason) => this.#teardown("peer-gone", reason),
    });
  }

  /**
   * Starts connecting unless already under way. The node with the larger id waits
   * `CONNECT_DEFER_MS` for the other's offer first, unless `now`: when both pick each other
   * at once, one offer is made instead of two.
   */
  connect(now = false): void {
    if (this.#setup.state !== "idle") return;
    if (now || this.#localId < this.#remoteId) return this.#offerWhenIdle();
    clearTimeout(this.#deferTimer);
    this.#deferTimer = setTimeout(() => {
      this.#deferTimer = undefined;
      this.connect(true);
    }, CONNECT_DEFER_MS);
  }

  /**
   * Queues a message, connecting first if needed; it leaves at the next {@link flush}, so
   * small messages queued together share data-channel sends.
   */
  send(id: number, data: string | Uint8Array, module = ""): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: count exactly only when that may be too many
    const max = this.#data.maxMessageBytes;
    const bytes = typeof data === "string" && data.length * 3 <= max ? 0 : payloadBytes(data);
    if (bytes > max) {
      return this.#events.error(
        "message-too-large",
        `the message has ${bytes} bytes, over the maximum of ${this.#data.maxMessageBytes}; ` +
          `split it, or raise maxMessageBytes on both nodes`,
        id,
      );
    }
    if (module.startsWith(RESERVED_MODULE_PREFIX)) {
      return this.#events.error(
        "bad-frame",
        "module names starting with U+0000 are flnet's own; pick another name",
        id,
      );
    }
    this.#data.enqueue({ id, module, data });
    if (this.#setup.state === "idle") this.#offerWhenIdle();
  }

  /**
   * Makes the offer of the attempt under way again now, with a fresh session, within its
   * deadline (its first went through a neighbour that brought no word back); nothing when this
   * node is not offering.
   */
  offerAgain(): void {
    if (!this.#setup.offering) return;
    log.debug(`offering to ${U256.short(this.#remoteId)} again: no word through the overlay`);
    this.#step(() => this.#setup.offering ? this.#setup.offer(true) : Promise.resolve());
  }

  /** Tells the peer its message `ref` was not taken here, with why. */
  refuseMessage(ref: number, code: RefusalCode, message: string): void {
    this.#data.refuse(ref, code, message);
  }

  /**
   * Sends one of flnet's own control messages now, if the connection is open; false when it
   * is not (nothing is queued then).
   */
  sendControl(module: string, data: string): boolean {
    if (this.#setup.state !== "open") return false;
    this.#data.enqueue({ module, data });
    this.#data.flush();
    return true;
  }

  /** How the current (or last) connection was set up: through the server or the overlay. */
  setupVia: SetupVia | undefined;

  /** Idle, connecting, or open. */
  get state(): ConnectionState {
    return this.#setup.state;
  }

  /**
   * True when nothing is under way or asked for: idle, with no message waiting and no setup step
   * to come (a peer forgotten before a step it was asked for would open a connection nobody
   * closes).
   */
  get done(): boolean {
    return this.#setup.state === "idle" && this.#data.queued === 0 && this.#pendingSteps === 0 &&
      this.#deferTimer === undefined;
  }

  /** Messages waiting to be sent. */
  get queued(): number {
    return this.#data.queued;
  }

  /** Sends what waits, if the connection is open. */
  flush(): void {
    if (this.#setup.state === "open") this.#data.flush();
  }

  /** Applies a setup message from the peer (whose signature held). */
  apply(signal: SetupSignal): void {
    if (signal.kind === "refused") {
      return this.refuse(
        signal.session,
        `node ${U256.short(this.#remoteId)} refused the connection setup: ${signal.reason}`,
      );
    }
    if (signal.kind === "challenge") {
      // the peer could not tell our offer from a replay by its time: make it again with its
      // nonce, if it is the offer under way (a challenge to any other is a replay's echo)
      return void this.#step(() =>
        this.#setup.offering && this.#setup.session === signal.session
          ? this.#setup.offer(true, signal.nonce)
          : Promise.resolve()
      );
    }
    this.#step(() => this.#setup.apply(signal));
  }

  /**
   * Ends the attempt `session` with `code` (default `peer-auth-failed`), if it is the one under
   * way: a setup message of it was forged, the peer refused ours, or ours could not be sent.
   */
  refuse(session: string, reason: string, code: PeerErrorCode = "peer-auth-failed"): void {
    this.#step(() => {
      if (this.#setup.state === "connecting" && this.#setup.session === session) {
        this.#teardown(code, reason);
      }
      return Promise.resolve();
    });
  }

  /**
   * Closes the connection; queued messages fail with `code`. With `closed` (the default) an
   * open connection first lets everything sent before leave (up to 2 s).
   */
  disconnect(code: PeerErrorCode = "closed", reason = "closed by this node"): Promise<void> {
    return this.#step(async () => {
      // the peer may close its end once it has all (then the setup is idle already): what
      // ends is what was there when the close began
      const was = this.#setup.state;
      if (code === "closed" && was === "open") {
        this.#closing = true;
        try {
          await this.#data.closeGracefully(CLOSE_MS);
        } finally {
          this.#closing = false;
        }
      }
      this.#setup.drop();
      this.#end(code, reason, was);
    });
  }

  /**
   * The connection's status. Read between setup steps, never during one: an engine asked for
   * `getStats()` while its connection is being closed can crash the process (seen with
   * @roamhq/wrtc at exit).
   */
  async status(): Promise<ConnectionStatus> {
    let status: ConnectionStatus = this.briefStatus();
    await this.#step(async () => {
      status = { ...this.briefStatus(), ...await this.#setup.status() };
    });
    return status;
  }

  /**
   * The state, how the connection was set up and the messages counted, without asking the
   * engine (no byte counters).
   */
  briefStatus(): ConnectionStatus {
    const { sent, received } = this.#data.counts;
    const status = {
      state: this.#setup.state,
      bytesSent: 0,
      bytesReceived: 0,
      messagesSent: sent,
      messagesReceived: received,
    };
    return this.setupVia ? { ...status, setupVia: this.setupVia } : status;
  }

  #offerWhenIdle(retry = false): void {
    this.#step(async () => {
      if (this.#setup.state !== "idle") return;
      if (!retry) this.#retriesLeft = this.#setupRetries;
      await this.#setup.offer();
    });
  }

  /** Runs a setup step after the ones before it; a step that throws ends the attempt. */
  #step(step: () => Promise<void>): Promise<void> {
    this.#pendingSteps++;
    this.#steps = this.#steps.then(step).catch((error) =>
      this.#teardown("setup-failed", `connection setup failed: ${(error as Error).message}`)
    ).finally(() => {
      if (--this.#pendingSteps === 0 && this.done) this.#events.settled();
    });
    return this.#steps;
  }

  #lost(code: PeerErrorCode, reason: string, was: ConnectionState, replaced: boolean): void {
    if (this.#closing) return this.#data.detach(); // the graceful close ends it
    this.#end(code, reason, was, replaced);
  }

  /** Drops the connection, then ends it as {@link #end} says. */
  #teardown(code: PeerErrorCode, reason: string): void {
    const was = this.#setup.state;
    this.#setup.drop();
    this.#end(code, reason, was);
  }

  /**
   * Ends a connection that `was` connecting or open: reports it, and fails the queued messages
   * unless `keepQueue`. A failed attempt with messages waiting is first retried (see
   * `setupRetries`); an open connection lost with messages waiting (the peer fell silent, the
   * path broke) is set up anew to deliver them, and only if that fails are they rejected, as
   * `peer-gone` with both reasons. Messages already handed to the lost channel are not resent.
   */
  #end(code: PeerErrorCode, reason: string, was: ConnectionState, keepQueue = false): void {
    clearTimeout(this.#deferTimer);
    this.#deferTimer = undefined;
    this.#data.detach();
    const waiting = !keepQueue && this.#data.queued > 0;
    if (waiting && was === "open" && code === "peer-gone") {
      log.debug(`reconnecting to ${U256.short(this.#remoteId)} after: ${reason}`);
      this.#recovering = reason;
      this.#events.disconnected(reason, code);
      this.#retriesLeft = this.#setupRetries;
      this.#offerWhenIdle(true);
      return;
    }
    const retry = waiting && was === "connecting" && this.#retriesLeft > 0 &&
      (code === "setup-failed" || code === "peer-gone");
    if (retry) {
      this.#retriesLeft--;
      log.debug(`retrying ${U256.short(this.#remoteId)} after: ${reason}`);
      this.#offerWhenIdle(true);
      return;
    }
    const lost = this.#recovering;
    this.#recovering = undefined;
    if (keepQueue) {
      // replaced by the peer's new offer: the queue moves to the new connection
    } else if (lost !== undefined && code !== "closed") {
      this.#data.failAll("peer-gone", `${lost}; reconnecting failed: ${reason}`);
    } else this.#data.failAll(code, reason);
    if (was !== "idle") this.#events.disconnected(reason, code);
  }
}

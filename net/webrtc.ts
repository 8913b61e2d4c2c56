/**
 * One WebRTC connection to one remote node, as a broker. It sets the connection up through
 * setup messages (which the Network broker carries over the signalling server), frames
 * messages on one ordered data channel, and reports every message either as `sent` or as an
 * `error` with its id: nothing is dropped without a word.
 *
 * - Both sides may start at once (glare): the node with the larger id keeps its offer, the
 *   other answers it, so exactly one connection results.
 * - ICE candidates that arrive before the remote description are queued.
 * - Every attempt has a session id; setup messages of an older attempt are ignored, and a new
 *   offer from the peer replaces the old connection (the peer restarted).
 * - The data channel is pre-negotiated (id 0) and created by both sides before any data can
 *   arrive: @roamhq/wrtc reorders the first messages of an in-band (announced) channel that
 *   arrive before `ondatachannel` runs (measured: message 102 delivered before message 0).
 * - Sending waits while the channel holds more than `bufferHighBytes`, woken by
 *   `bufferedamountlow` where the engine has it and by polling `bufferedAmount` where it does
 *   not (@roamhq/wrtc).
 *
 * @example
 * ```ts
 * import { U256 } from "../core/ids.ts";
 * import { startWebRTC } from "./webrtc.ts";
 * const link = startWebRTC({
 *   localId: U256.random(),
 *   remoteId: U256.random(),
 *   RTCPeerConnection: globalThis.RTCPeerConnection,
 * });
 * link.tapOut((out) => {
 *   if (out.type === "setup") console.log("carry this to the peer:", out.signal.kind);
 * });
 * await link.emitIn({ type: "send", id: 1, data: "hello" }); // connects on demand
 * ```
 * @module
 */

import { Broker } from "../core/broker.ts";
import { type NodeID, toHex, U256 } from "../core/ids.ts";
import { Fifo } from "../core/fifo.ts";
import { Logger } from "../core/log.ts";
import {
  type CandidateFilter,
  candidateFilters,
  filterSdp,
  parseCandidate,
  type ParsedCandidate,
  sdpCandidates,
} from "./candidates.ts";
import {
  type ConnectionState,
  type ConnectionStatus,
  readConnectionStatus,
} from "./connection_status.ts";
import { encodeBatch, encodeMessage, FRAME_BYTES, payloadBytes, Reassembler } from "./framing.ts";

/** A connection setup message, carried between two nodes by the signalling server. */
export type SetupSignal =
  | { kind: "offer"; session: string; sdp: string }
  | { kind: "answer"; session: string; sdp: string }
  | {
    kind: "candidate";
    session: string;
    candidate: string;
    sdpMid?: string | null;
    sdpMLineIndex?: number | null;
  };

/** Why a message could not be delivered, or what went wrong with a connection. */
export type WebRTCErrorCode =
  | "message-too-large"
  | "bad-frame"
  | "incomplete-message"
  | "setup-timeout"
  | "setup-failed"
  | "peer-gone"
  | "no-route"
  | "closed";

/** Inputs of a WebRTC connection broker. */
export type WebRTCIn =
  /**
   * Start connecting (sending does this on demand too). The node with the larger id waits
   * `CONNECT_DEFER_MS` for the other's offer first, unless `now`: when both pick each other at
   * once, one offer is made instead of two.
   */
  | { type: "connect"; now?: boolean }
  /** Send a message; `sent` or `error` with the same `id` follows. */
  | { type: "send"; id: number; data: string | Uint8Array; module?: string }
  /** A setup message from the peer. */
  | { type: "setup"; signal: SetupSignal }
  /** Close the connection; queued messages fail with `code` (default `closed`). */
  | { type: "disconnect"; code?: WebRTCErrorCode; reason?: string }
  /** Ask for a `status` output. */
  | { type: "status" };

/** Outputs of a WebRTC connection broker. */
export type WebRTCOut =
  /** The data channel is open. */
  | { type: "connected" }
  /** The connection is gone (after `connected`, or a failed attempt). */
  | { type: "disconnected"; reason: string }
  /** A message from the peer. */
  | { type: "message"; module: string; data: string | Uint8Array }
  /** A setup message to carry to the peer. */
  | { type: "setup"; signal: SetupSignal }
  /** The message `id` was handed to the data channel whole. */
  | { type: "sent"; id: number }
  /** The connection's status, answering a `status` input. */
  | { type: "status"; status: ConnectionStatus }
  /** A failure: of the message `id` when given, else of the connection or incoming data. */
  | { type: "error"; code: WebRTCErrorCode; message: string; id?: number };

/** The RTCPeerConnection constructor of the engine in use. */
export type RTCPeerConnectionConstructor = new (
  configuration?: RTCConfiguration,
) => RTCPeerConnection;

/** Options of {@link startWebRTC}. */
export interface WebRTCOptions {
  /** This node's id. */
  localId: NodeID;
  /** The remote node's id (decides glare). */
  remoteId: NodeID;
  /** The engine's RTCPeerConnection. */
  RTCPeerConnection: RTCPeerConnectionConstructor;
  /** ICE servers, transport policy and any engine-specific fields. */
  rtcConfig?: RTCConfiguration & Record<string, unknown>;
  /** Which ICE candidates to offer and accept (all by default). */
  candidateFilter?: CandidateFilter;
  /** The largest message sent or accepted, in bytes (default 16 MiB). */
  maxMessageBytes?: number;
  /** Drop a message that gets no chunk for this long (default 30 s). */
  incompleteTimeoutMs?: number;
  /** Give up connecting after this long (default 20 s). */
  setupTimeoutMs?: number;
  /** Treat ICE "disconnected" lasting this long as a lost peer (default 5 s). */
  disconnectGraceMs?: number;
  /** Stop sending while the channel buffers more than this (default 1 MiB). */
  bufferHighBytes?: number;
  /**
   * A connection attempt that fails before opening while messages wait is retried this many
   * times with a fresh session (default 2). Measured: libdatachannel as offerer sometimes drops
   * its ICE transport when @roamhq/wrtc probes it from several interfaces before the answer.
   */
  setupRetries?: number;
  /** Name in logs. */
  name?: string;
}

/** A WebRTC connection broker. */
export type WebRTCBroker = Broker<WebRTCIn, WebRTCOut>;

const log = new Logger("webrtc");

/** How long closing waits for the peer to take what was sent before (`#closeGracefully`). */
const CLOSE_MS = 2_000;
/** Messages up to this size (encoded frame) are batched when several wait at once. */
const SMALL_MESSAGE_BYTES = 4096;
/** How long the node with the larger id waits for the other's offer before its own. */
const CONNECT_DEFER_MS = 150;
/** Module names with this prefix are flnet's own control messages. */
const RESERVED_MODULE_PREFIX = "\u0000";
/** The message that asks the peer to close after everything sent before it. */
const CLOSE_MODULE = RESERVED_MODULE_PREFIX + "close";

/** Checks a setup message that came from the network; throws a TypeError saying what is wrong. */
export function parseSetupSignal(value: Record<string, unknown>): SetupSignal {
  const text = (field: string, max: number) => {
    const v = value[field];
    if (typeof v !== "string" || v.length === 0 || v.length > max) {
      throw new TypeError(
        `setup ${value.kind}.${field} must be a string of 1 to ${max} characters`,
      );
    }
    return v;
  };
  const session = text("session", 64);
  switch (value.kind) {
    case "offer":
    case "answer":
      return { kind: value.kind, session, sdp: text("sdp", 64 * 1024) };
    case "candidate": {
      const { sdpMid, sdpMLineIndex } = value;
      if (sdpMid != null && typeof sdpMid !== "string") {
        throw new TypeError("setup candidate.sdpMid must be a string");
      }
      if (sdpMLineIndex != null && !Number.isInteger(sdpMLineIndex)) {
        throw new TypeError("setup candidate.sdpMLineIndex must be an integer");
      }
      return {
        kind: "candidate",
        session,
        candidate: text("candidate", 1024),
        sdpMid: (sdpMid as string | null | undefined) ?? null,
        sdpMLineIndex: (sdpMLineIndex as number | null | undefined) ?? null,
      };
    }
    default:
      throw new TypeError(`unknown setup message kind ${JSON.stringify(value.kind)?.slice(0, 30)}`);
  }
}

/** Creates the broker for the connection to `options.remoteId`; it connects on demand. */
export function startWebRTC(options: WebRTCOptions): WebRTCBroker {
  const broker: WebRTCBroker = new Broker(options.name ?? `webrtc:${U256.short(options.remoteId)}`);
  const link = new PeerLink(options, broker);
  broker.addHandler({ messages: (batch) => link.handle(batch) });
  return broker;
}

interface Outgoing {
  /** The caller's id; none for flnet's own control messages, which nobody waits for. */
  id?: number;
  module: string;
  data: string | Uint8Array;
}

class PeerLink {
  readonly #o: Required<Omit<WebRTCOptions, "rtcConfig" | "name">> & {
    rtcConfig: RTCConfiguration;
  };
  readonly #broker: WebRTCBroker;
  #state: ConnectionState = "idle";
  #pc: RTCPeerConnection | undefined;
  #dc: RTCDataChannel | undefined;
  #session = "";
  #offerer = false;
  #remoteDescribed = false;
  #localDescribed = false;
  #heldLocalCandidates: SetupSignal[] = [];
  #pendingRemoteCandidates: RTCIceCandidateInit[] = [];
  #signalled: ParsedCandidate[] = [];
  #queue = new Fifo<Outgoing>();
  #pumping = false;
  /** Set by sends in a batch of inputs: the batch is pumped at its end, so its small messages
   * can share data-channel sends. */
  #pumpAfterBatch = false;
  /** True while `#closeGracefully` waits: the peer's closing is expected then. */
  #closing = false;
  #frameId = 1;
  #reassembler: Reassembler | undefined;
  #setupTimer: ReturnType<typeof setTimeout> | undefined;
  #deferTimer: ReturnType<typeof setTimeout> | undefined;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #wakeSender: (() => void) | undefined;
  #retriesLeft = 0;

  constructor(options: WebRTCOptions, broker: WebRTCBroker) {
    this.#broker = broker;
    this.#o = {
      localId: options.localId,
      remoteId: options.remoteId,
      RTCPeerConnection: options.RTCPeerConnection,
      rtcConfig: options.rtcConfig ?? {},
      candidateFilter: options.candidateFilter ?? candidateFilters.all,
      maxMessageBytes: options.maxMessageBytes ?? 16 * 1024 * 1024,
      incompleteTimeoutMs: options.incompleteTimeoutMs ?? 30_000,
      setupTimeoutMs: options.setupTimeoutMs ?? 20_000,
      disconnectGraceMs: options.disconnectGraceMs ?? 5_000,
      bufferHighBytes: options.bufferHighBytes ?? 1024 * 1024,
      setupRetries: options.setupRetries ?? 2,
    };
  }

  async handle(batch: WebRTCIn[]): Promise<WebRTCOut[]> {
    for (const msg of batch) {
      try {
        await this.#handleOne(msg);
      } catch (error) {
        this.#teardown("setup-failed", `connection setup failed: ${(error as Error).message}`);
      }
    }
    if (this.#pumpAfterBatch) {
      this.#pumpAfterBatch = false;
      if (this.#state === "open") void this.#pump();
    }
    return [];
  }

  async #handleOne(msg: WebRTCIn): Promise<void> {
    switch (msg.type) {
      case "connect":
        if (this.#state !== "idle") return;
        if (msg.now || this.#o.localId < this.#o.remoteId) return await this.#offer();
        clearTimeout(this.#deferTimer);
        this.#deferTimer = setTimeout(
          () => this.#broker.closed || this.#broker.enqueueIn({ type: "connect", now: true }),
          CONNECT_DEFER_MS,
        );
        return;
      case "send": {
        const bytes = payloadBytes(msg.data);
        if (bytes > this.#o.maxMessageBytes) {
          return this.#out({
            type: "error",
            code: "message-too-large",
            id: msg.id,
            message: `the message has ${bytes} bytes, over the maximum of ` +
              `${this.#o.maxMessageBytes}; split it, or raise maxMessageBytes on both nodes`,
          });
        }
        if (msg.module?.startsWith(RESERVED_MODULE_PREFIX)) {
          return this.#out({
            type: "error",
            code: "bad-frame",
            id: msg.id,
            message: `module names starting with U+0000 are flnet's own; pick another name`,
          });
        }
        this.#queue.push({ id: msg.id, module: msg.module ?? "", data: msg.data });
        if (this.#state === "idle") await this.#offer();
        else if (this.#state === "open") this.#pumpAfterBatch = true;
        return;
      }
      case "setup":
        return await this.#setup(msg.signal);
      case "disconnect":
        if ((msg.code ?? "closed") === "closed") await this.#closeGracefully(CLOSE_MS);
        return this.#teardown(msg.code ?? "closed", msg.reason ?? "closed by this node");
      case "status":
        return this.#out({
          type: "status",
          status: await readConnectionStatus(this.#pc, this.#dc, this.#state, this.#signalled),
        });
    }
  }

  #out(out: WebRTCOut): void {
    this.#broker.enqueueOut(out);
  }

  async #offer(retry = false): Promise<void> {
    if (!retry) this.#retriesLeft = this.#o.setupRetries;
    const pc = this.#newPeer(toHex(crypto.getRandomValues(new Uint8Array(8))), true);
    this.#attachChannel(pc);
    const offer = await pc.createOffer();
    if (pc !== this.#pc) return;
    await pc.setLocalDescription(offer);
    if (pc !== this.#pc) return;
    this.#describedLocally(pc, "offer");
  }

  async #setup(signal: SetupSignal): Promise<void> {
    const filter = this.#o.candidateFilter;
    if (log.enabled("debug")) log.debug(this.#broker.name, "got", signal.kind, signal.session);
    switch (signal.kind) {
      case "offer": {
        if (signal.session === this.#session) return; // a duplicate
        if (this.#state === "connecting" && this.#offerer) {
          if (this.#o.localId > this.#o.remoteId) return; // glare: ours wins, they will answer
          this.#dropPeer(); // glare: theirs wins; our queue moves to their connection
        } else if (this.#state !== "idle") {
          this.#teardown("peer-gone", "the peer started a new connection", true);
        }
        const pc = this.#newPeer(signal.session, false);
        const sdp = filterSdp(signal.sdp, filter);
        await pc.setRemoteDescription({ type: "offer", sdp });
        if (pc !== this.#pc) return;
        this.#attachChannel(pc);
        this.#signalled.push(...sdpCandidates(sdp));
        await this.#remoteDescribedNow(pc);
        const answer = await pc.createAnswer();
        if (pc !== this.#pc) return;
        await pc.setLocalDescription(answer);
        if (pc !== this.#pc) return;
        this.#describedLocally(pc, "answer");
        return;
      }
      case "answer": {
        const pc = this.#pc;
        if (!pc || !this.#offerer || signal.session !== this.#session || this.#remoteDescribed) {
          log.debug("ignored an answer for another or finished attempt");
          return;
        }
        const sdp = filterSdp(signal.sdp, filter);
        await pc.setRemoteDescription({ type: "answer", sdp });
        if (pc !== this.#pc) return;
        this.#signalled.push(...sdpCandidates(sdp));
        await this.#remoteDescribedNow(pc);
        return;
      }
      case "candidate": {
        if (signal.session !== this.#session || !this.#pc) return; // an older attempt's
        const parsed = parseCandidate(signal.candidate);
        if (!parsed || !filter(parsed)) return;
        this.#signalled.push(parsed);
        const init: RTCIceCandidateInit = {
          candidate: signal.candidate,
          sdpMid: signal.sdpMid ?? "0",
          sdpMLineIndex: signal.sdpMLineIndex ?? 0,
        };
        if (this.#remoteDescribed) await this.#addCandidate(this.#pc, init);
        else this.#pendingRemoteCandidates.push(init);
        return;
      }
    }
  }

  async #remoteDescribedNow(pc: RTCPeerConnection): Promise<void> {
    this.#remoteDescribed = true;
    for (const init of this.#pendingRemoteCandidates.splice(0)) {
      await this.#addCandidate(pc, init);
    }
  }

  async #addCandidate(pc: RTCPeerConnection, init: RTCIceCandidateInit): Promise<void> {
    try {
      await pc.addIceCandidate(init);
    } catch (error) {
      log.debug("the engine refused a remote candidate", init.candidate, error);
    }
  }

  /**
   * Sends the local description, then any candidates gathered before it. An offer goes out
   * with `a=setup:active` instead of `actpass`, so the offerer is the DTLS client: it starts
   * the handshake once it has the answer. Otherwise the answerer's first DTLS packet can reach
   * the offerer before the answer does, and libdatachannel drops it and waits a 1 s retransmit.
   */
  #describedLocally(pc: RTCPeerConnection, kind: "offer" | "answer"): void {
    let sdp = filterSdp(pc.localDescription!.sdp, this.#o.candidateFilter);
    if (kind === "offer") sdp = sdp.replaceAll("a=setup:actpass", "a=setup:active");
    if (log.enabled("debug")) log.debug(this.#broker.name, "sends", kind, this.#session);
    this.#out({ type: "setup", signal: { kind, session: this.#session, sdp } });
    this.#localDescribed = true;
    for (const signal of this.#heldLocalCandidates.splice(0)) this.#out({ type: "setup", signal });
  }

  #newPeer(session: string, offerer: boolean): RTCPeerConnection {
    this.#dropPeer();
    const pc = new this.#o.RTCPeerConnection(this.#o.rtcConfig);
    this.#pc = pc;
    this.#session = session;
    this.#offerer = offerer;
    this.#state = "connecting";
    pc.onicecandidate = (event) => {
      const line = event.candidate?.candidate;
      if (pc !== this.#pc || !line) return;
      const parsed = parseCandidate(line);
      if (!parsed || !this.#o.candidateFilter(parsed)) return;
      const signal: SetupSignal = {
        kind: "candidate",
        session,
        candidate: line,
        sdpMid: event.candidate!.sdpMid,
        sdpMLineIndex: event.candidate!.sdpMLineIndex,
      };
      if (this.#localDescribed) this.#out({ type: "setup", signal });
      else this.#heldLocalCandidates.push(signal);
    };
    pc.oniceconnectionstatechange = () => {
      if (pc === this.#pc) this.#iceChanged(pc.iceConnectionState);
    };
    this.#setupTimer = setTimeout(() => {
      if (pc === this.#pc && this.#state !== "open") {
        this.#teardown(
          "setup-timeout",
          `no connection to ${U256.short(this.#o.remoteId)} within ${this.#o.setupTimeoutMs} ms`,
        );
      }
    }, this.#o.setupTimeoutMs);
    return pc;
  }

  /** Creates the pre-negotiated data channel, the same on both sides. */
  #attachChannel(pc: RTCPeerConnection): void {
    const dc = pc.createDataChannel("flnet", { ordered: true, negotiated: true, id: 0 });
    this.#dc = dc;
    dc.binaryType = "arraybuffer";
    dc.onopen = () => {
      if (dc === this.#dc) this.#opened();
    };
    dc.onclose = () => {
      if (dc === this.#dc && !this.#closing) this.#teardown("peer-gone", "the data channel closed");
    };
    dc.onmessage = (event) => {
      if (dc === this.#dc) this.#receive(event.data);
    };
    if (dc.readyState === "open") this.#opened();
  }

  #opened(): void {
    if (this.#state === "open") return;
    if (log.enabled("debug")) log.debug(this.#broker.name, "channel open");
    clearTimeout(this.#setupTimer);
    this.#state = "open";
    this.#retriesLeft = this.#o.setupRetries;
    this.#reassembler = new Reassembler({
      maxMessageBytes: this.#o.maxMessageBytes,
      incompleteTimeoutMs: this.#o.incompleteTimeoutMs,
      onTimeout: (report) =>
        this.#out({ type: "error", code: "incomplete-message", message: report.message }),
    });
    this.#out({ type: "connected" });
    void this.#pump();
  }

  #iceChanged(state: RTCIceConnectionState): void {
    if (log.enabled("debug")) log.debug(this.#broker.name, "ICE", state);
    if (this.#closing) return; // `#closeGracefully` ends the connection itself
    if (state === "failed" || state === "closed") {
      this.#teardown("peer-gone", `the ICE connection ${state}`);
    } else if (state === "disconnected") {
      clearTimeout(this.#graceTimer);
      this.#graceTimer = setTimeout(() => {
        if (this.#pc?.iceConnectionState === "disconnected") {
          this.#teardown(
            "peer-gone",
            `no contact with the peer for ${this.#o.disconnectGraceMs} ms`,
          );
        }
      }, this.#o.disconnectGraceMs);
    } else {
      clearTimeout(this.#graceTimer);
    }
  }

  #receive(data: unknown): void {
    const bytes = data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : undefined;
    if (!bytes || !this.#reassembler) {
      return this.#out({
        type: "error",
        code: "bad-frame",
        message: "malformed data from the peer: a text frame where only binary frames are used",
      });
    }
    for (const result of this.#reassembler.push(bytes)) {
      if (result.kind === "message" && result.module === CLOSE_MODULE) {
        return this.#teardown("closed", "closed by the peer");
      } else if (result.kind === "message") {
        this.#out({ type: "message", module: result.module, data: result.data });
      } else this.#out({ type: "error", code: result.code, message: result.message });
    }
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#state === "open" && this.#queue.length > 0) {
        const dc = this.#dc!;
        const batch = this.#smallBatch();
        if (batch) {
          if (dc.bufferedAmount > this.#o.bufferHighBytes && !(await this.#drained(dc))) return;
          if (dc !== this.#dc || dc.readyState !== "open") return;
          dc.send(encodeBatch(batch) as Uint8Array<ArrayBuffer>);
          this.#frameId += batch.length;
          for (let i = 0; i < batch.length; i++) {
            const item = this.#queue.shift()!;
            this.#sent(item);
          }
          continue;
        }
        const item = this.#queue.peek()!;
        for (const frame of encodeMessage(this.#frameId++, item)) {
          if (dc.bufferedAmount > this.#o.bufferHighBytes && !(await this.#drained(dc))) return;
          if (dc !== this.#dc || dc.readyState !== "open") return;
          dc.send(frame as Uint8Array<ArrayBuffer>);
        }
        this.#queue.shift();
        this.#sent(item);
      }
    } catch (error) {
      this.#teardown("peer-gone", `the data channel refused a frame: ${(error as Error).message}`);
    } finally {
      this.#pumping = false;
      // A connection that replaced the one this loop was using picks up the queue.
      if (this.#state === "open" && this.#queue.length > 0) void this.#pump();
    }
  }

  /** Reports a queued message as handed to the channel, unless it was flnet's own. */
  #sent({ id }: Outgoing): void {
    if (id !== undefined) this.#out({ type: "sent", id });
  }

  /**
   * The frames of the small messages at the front of the queue, when at least two wait: they
   * go in one data-channel send (see `encodeBatch`). Nothing is taken from the queue yet.
   */
  #smallBatch(): Uint8Array[] | undefined {
    const frames: Uint8Array[] = [];
    let bytes = 1;
    for (let i = 0; i < this.#queue.length; i++) {
      const item = this.#queue.at(i)!;
      if (item.data.length > SMALL_MESSAGE_BYTES) break; // UTF-16 length <= UTF-8 length
      const [frame] = encodeMessage(this.#frameId + frames.length, item);
      if (frame.length > SMALL_MESSAGE_BYTES || bytes + 4 + frame.length > FRAME_BYTES) break;
      frames.push(frame);
      bytes += 4 + frame.length;
    }
    return frames.length >= 2 ? frames : undefined;
  }

  /**
   * Ends an open connection gracefully: sends a close message after everything queued and
   * waits (at most `ms`) for the peer to close on it. The channel is ordered, so the peer has
   * taken every earlier message by then; closing the peer connection at once could cut off
   * data the engine had accepted but not yet delivered (measured with @roamhq/wrtc).
   */
  async #closeGracefully(ms: number): Promise<void> {
    const dc = this.#dc;
    if (this.#state !== "open" || !dc) return;
    this.#queue.push({ module: CLOSE_MODULE, data: new Uint8Array(0) });
    void this.#pump();
    this.#closing = true;
    const until = Date.now() + ms;
    const iceUp = () => !["failed", "closed"].includes(this.#pc?.iceConnectionState ?? "closed");
    while (dc === this.#dc && dc.readyState === "open" && iceUp() && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.#closing = false;
  }

  /** Waits until `dc` buffers at most half the high mark; false if it closed meanwhile. */
  #drained(dc: RTCDataChannel): Promise<boolean> {
    const low = this.#o.bufferHighBytes / 2;
    const hasEvent = "bufferedAmountLowThreshold" in dc && "onbufferedamountlow" in dc;
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.#wakeSender = undefined;
        if (hasEvent) dc.onbufferedamountlow = null;
        resolve(ok);
      };
      const check = () => {
        if (dc !== this.#dc || dc.readyState !== "open") return finish(false);
        if (dc.bufferedAmount <= low) return finish(true);
        timer = setTimeout(check, hasEvent ? 10 : 2); // the event can come late: look anyway
      };
      this.#wakeSender = () => finish(false);
      if (hasEvent) {
        dc.bufferedAmountLowThreshold = low;
        dc.onbufferedamountlow = check;
      }
      check();
    });
  }

  /** Closes the peer connection without reports; the queue stays. */
  #dropPeer(): void {
    const pc = this.#pc;
    const dc = this.#dc;
    this.#pc = undefined;
    this.#dc = undefined;
    this.#session = "";
    clearTimeout(this.#deferTimer);
    this.#remoteDescribed = false;
    this.#localDescribed = false;
    this.#heldLocalCandidates = [];
    this.#pendingRemoteCandidates = [];
    this.#signalled = [];
    clearTimeout(this.#setupTimer);
    clearTimeout(this.#graceTimer);
    this.#reassembler?.close();
    this.#reassembler = undefined;
    this.#wakeSender?.();
    for (const closable of [dc, pc]) {
      try {
        closable?.close();
      } catch (error) {
        log.debug("closing failed", error);
      }
    }
  }

  /**
   * Ends the connection: reports it, and fails the queued messages unless `keepQueue`. A
   * failed attempt with messages waiting is first retried (see `setupRetries`).
   */
  #teardown(code: WebRTCErrorCode, reason: string, keepQueue = false): void {
    const was = this.#state;
    this.#dropPeer();
    this.#state = "idle";
    const retry = !keepQueue && was === "connecting" && this.#queue.length > 0 &&
      this.#retriesLeft > 0 && (code === "setup-failed" || code === "peer-gone");
    if (retry) {
      this.#retriesLeft--;
      log.debug(this.#broker.name, `retrying after: ${reason}`);
      void this.#offer(true).catch((error) =>
        this.#teardown("setup-failed", `connection setup failed: ${(error as Error).message}`)
      );
      return;
    }
    if (!keepQueue) {
      for (const { id } of this.#queue.drain()) {
        if (id !== undefined) this.#out({ type: "error", code, id, message: reason });
      }
    }
    if (was !== "idle") this.#out({ type: "disconnected", reason });
  }
}

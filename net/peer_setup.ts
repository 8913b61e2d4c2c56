/**
 * The setup of one peer connection: the `RTCPeerConnection`, offer and answer, glare, ICE
 * candidates in both directions, the setup timeout and the ICE watch that notices a lost peer.
 * It hands the data channel, once open, to whoever owns the data path, and reports everything
 * else through {@link PeerSetupEvents}; it holds no messages.
 *
 * - Both sides may start at once (glare): the node with the larger id keeps its offer, the
 *   other answers it, so exactly one connection results.
 * - ICE candidates that arrive before the remote description are queued.
 * - Every attempt has a session id; setup messages of an older attempt are ignored, and a new
 *   offer from the peer replaces the old connection (the peer restarted).
 * - An offer whose ICE checks have found no path by half the setup timeout (at least 4 s) is
 *   made again with a fresh session and connection, within the same deadline: an ICE agent
 *   whose checks all failed while a path was down (libdatachannel's) never tries them again, a
 *   new one does.
 * - The data channel is pre-negotiated (id 0) and created by both sides before any data can
 *   arrive: @roamhq/wrtc reorders the first messages of an in-band (announced) channel that
 *   arrive before `ondatachannel` runs (measured: message 102 delivered before message 0).
 *
 * Calls that take a setup step ({@link PeerSetup.offer}, {@link PeerSetup.apply}) must not
 * overlap: the owner runs them one after the other.
 * @module
 */

import { type NodeID, toHex, U256 } from "../core/ids.ts";
import { Logger } from "../core/log.ts";
import { maxMessageSize, offerForAnswering } from "./sdp.ts";
import { whyNoConnection } from "./setup_diagnosis.ts";
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
import type { PeerErrorCode } from "./errors.ts";
import { FRAME_BYTES, MAX_FRAME_BYTES } from "./framing.ts";
import type { SetupSignal } from "./setup_signal.ts";

/** The RTCPeerConnection constructor of the engine in use. */
export type RTCPeerConnectionConstructor = new (
  configuration?: RTCConfiguration,
) => RTCPeerConnection;

/** Settings of a {@link PeerSetup}. */
export interface PeerSetupOptions {
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
  /** Give up connecting after this long (default {@link DEFAULT_SETUP_TIMEOUT_MS}). */
  setupTimeoutMs?: number;
  /** Treat ICE "disconnected" lasting this long as a lost peer (default 5 s). */
  disconnectGraceMs?: number;
  /** Name in logs. */
  name?: string;
}

/** How long a setup may take before it ends as `setup-timeout`, unless set otherwise: 20 s. */
export const DEFAULT_SETUP_TIMEOUT_MS = 20_000;

/** What a {@link PeerSetup} reports. */
export interface PeerSetupEvents {
  /** A setup message to carry to the peer. */
  signal(signal: SetupSignal): void;
  /**
   * The data channel opened; `frameBytes` is the largest data-channel message flnet sends on
   * it (what the peer's SDP allows, at most `MAX_FRAME_BYTES`).
   */
  open(dc: RTCDataChannel, frameBytes: number): void;
  /** A data-channel message arrived. */
  data(data: unknown): void;
  /** The offer's ICE checks found no path by half the setup timeout: make the offer again. */
  reoffer(): void;
  /**
   * The attempt (`was` connecting) or the connection (`was` open) is over: timeout, ICE
   * failure, channel closed, or replaced by the peer's new offer (then `replaced` is true).
   * The peer connection is already dropped.
   */
  lost(code: PeerErrorCode, reason: string, was: ConnectionState, replaced: boolean): void;
}

const log = new Logger("webrtc");

/** The earliest an offer whose ICE checks found nothing is made again. */
const REOFFER_MIN_MS = 4_000;

/** The setup of one peer connection; see the module documentation. */
export class PeerSetup {
  readonly #o: Required<Omit<PeerSetupOptions, "rtcConfig">> & { rtcConfig: RTCConfiguration };
  readonly #events: PeerSetupEvents;
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
  /** Local candidates offered to the peer, and refused by the filter (for the timeout's reason). */
  #localCandidates = 0;
  #localRefused = 0;
  /** Remote candidates the filter refused. */
  #remoteRefused = 0;
  /** The largest data-channel message the peer accepts, from its SDP. */
  #peerMaxMessage = FRAME_BYTES;
  #setupTimer: ReturnType<typeof setTimeout> | undefined;
  #reofferTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the attempt under way (and the offers made again for it) must have connected. */
  #deadline = 0;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;

  /** Creates an idle setup. */
  constructor(options: PeerSetupOptions, events: PeerSetupEvents) {
    this.#events = events;
    this.#o = {
      localId: options.localId,
      remoteId: options.remoteId,
      RTCPeerConnection: options.RTCPeerConnection,
      rtcConfig: options.rtcConfig ?? {},
      candidateFilter: options.candidateFilter ?? candidateFilters.all,
      setupTimeoutMs: options.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS,
      disconnectGraceMs: options.disconnectGraceMs ?? 5_000,
      name: options.name ?? `webrtc:${U256.short(options.remoteId)}`,
    };
  }

  /** Idle (no peer connection), connecting, or open. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** True while an attempt of this node's own offer is under way. */
  get offering(): boolean {
    return this.#state === "connecting" && this.#offerer;
  }

  /** The session id of the attempt under way ("" when idle). */
  get session(): string {
    return this.#session;
  }

  /**
   * Starts a new attempt with an offer of ours; `again` makes the offer anew for the attempt
   * under way, keeping its deadline (see {@link PeerSetupEvents.reoffer}); `nonce` answers the
   * peer's challenge (a `SetupSignal` of kind `challenge`).
   */
  async offer(again = false, nonce?: string): Promise<void> {
    const deadline = again && this.#state === "connecting" ? this.#deadline : undefined;
    const pc = this.#newPeer(toHex(crypto.getRandomValues(new Uint8Array(8))), true, deadline);
    this.#attachChannel(pc);
    const offer = await pc.createOffer();
    if (pc !== this.#pc) return;
    await pc.setLocalDescription(offer);
    if (pc !== this.#pc) return;
    this.#describedLocally(pc, "offer", nonce);
  }

  /** Applies a setup message from the peer. */
  async apply(signal: Exclude<SetupSignal, { kind: "refused" | "challenge" }>): Promise<void> {
    if (log.enabled("debug")) log.debug(this.#o.name, "got", signal.kind, signal.session);
    switch (signal.kind) {
      case "offer":
        return await this.#answer(signal.session, signal.sdp);
      case "answer": {
        const pc = this.#pc;
        if (!pc || !this.#offerer || signal.session !== this.#session || this.#remoteDescribed) {
          log.debug("ignored an answer for another or finished attempt");
          return;
        }
        const sdp = filterSdp(signal.sdp, this.#o.candidateFilter);
        await pc.setRemoteDescription({ type: "answer", sdp });
        if (pc !== this.#pc) return;
        this.#signalled.push(...sdpCandidates(sdp));
        await this.#remoteDescribedNow(pc, sdp);
        return;
      }
      case "candidate": {
        if (signal.session !== this.#session || !this.#pc) return; // an older attempt's
        const parsed = parseCandidate(signal.candidate);
        if (!parsed || !this.#o.candidateFilter(parsed)) {
          this.#remoteRefused++;
          return;
        }
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

  /** The connection's status, read from `getStats()`. */
  status(): Promise<ConnectionStatus> {
    return readConnectionStatus(this.#pc, this.#dc, this.#state, this.#signalled);
  }

  /** Closes the peer connection without reports; the setup is idle afterwards. */
  drop(): void {
    const pc = this.#pc;
    const dc = this.#dc;
    this.#pc = undefined;
    this.#dc = undefined;
    this.#state = "idle";
    this.#session = "";
    this.#remoteDescribed = false;
    this.#localDescribed = false;
    this.#heldLocalCandidates = [];
    this.#pendingRemoteCandidates = [];
    this.#signalled = [];
    this.#localCandidates = 0;
    this.#localRefused = 0;
    this.#remoteRefused = 0;
    this.#peerMaxMessage = FRAME_BYTES;
    clearTimeout(this.#setupTimer);
    clearTimeout(this.#reofferTimer);
    clearTimeout(this.#graceTimer);
    for (const closable of [dc, pc]) {
      try {
        closable?.close();
      } catch (error) {
        log.debug("closing failed", error);
      }
    }
  }

  async #answer(session: string, offerSdp: string): Promise<void> {
    if (session === this.#session) return; // a duplicate
    if (this.#state === "connecting" && this.#offerer) {
      if (this.#o.localId > this.#o.remoteId) return; // glare: ours wins, they will answer
      this.drop(); // glare: theirs wins; what waits to be sent moves to their connection
    } else if (this.#state !== "idle") {
      this.#lost("peer-gone", "the peer started a new connection", true);
    }
    const pc = this.#newPeer(session, false);
    const sdp = filterSdp(offerSdp, this.#o.candidateFilter);
    await pc.setRemoteDescription({ type: "offer", sdp: offerForAnswering(sdp) });
    if (pc !== this.#pc) return;
    this.#attachChannel(pc);
    this.#signalled.push(...sdpCandidates(sdp));
    await this.#remoteDescribedNow(pc, sdp);
    const answer = await pc.createAnswer();
    if (pc !== this.#pc) return;
    await pc.setLocalDescription(answer);
    if (pc !== this.#pc) return;
    this.#describedLocally(pc, "answer");
  }

  #lost(code: PeerErrorCode, reason: string, replaced = false): void {
    const was = this.#state;
    this.drop();
    this.#events.lost(code, reason, was, replaced);
  }

  async #remoteDescribedNow(pc: RTCPeerConnection, sdp: string): Promise<void> {
    this.#remoteDescribed = true;
    this.#peerMaxMessage = maxMessageSize(sdp);
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

  /** Sends the local description, then any candidates gathered before it. */
  #describedLocally(pc: RTCPeerConnection, kind: "offer" | "answer", nonce?: string): void {
    const sdp = filterSdp(pc.localDescription!.sdp, this.#o.candidateFilter);
    this.#localCandidates += sdpCandidates(sdp).length;
    if (log.enabled("debug")) log.debug(this.#o.name, "sends", kind, this.#session);
    const session = this.#session;
    this.#events.signal(
      kind === "offer" && nonce ? { kind, session, sdp, nonce } : { kind, session, sdp },
    );
    this.#localDescribed = true;
    for (const signal of this.#heldLocalCandidates.splice(0)) this.#events.signal(signal);
  }

  #newPeer(session: string, offerer: boolean, deadline?: number): RTCPeerConnection {
    this.drop();
    const now = Date.now();
    this.#deadline = deadline ?? now + this.#o.setupTimeoutMs;
    const pc = new this.#o.RTCPeerConnection(this.#o.rtcConfig);
    this.#pc = pc;
    this.#session = session;
    this.#offerer = offerer;
    this.#state = "connecting";
    pc.onicecandidate = (event) => {
      const line = event.candidate?.candidate;
      if (pc !== this.#pc || !line) return;
      const parsed = parseCandidate(line);
      if (!parsed || !this.#o.candidateFilter(parsed)) {
        this.#localRefused++;
        return;
      }
      this.#localCandidates++;
      const signal: SetupSignal = {
        kind: "candidate",
        session,
        candidate: line,
        sdpMid: event.candidate!.sdpMid,
        sdpMLineIndex: event.candidate!.sdpMLineIndex,
      };
      if (this.#localDescribed) this.#events.signal(signal);
      else this.#heldLocalCandidates.push(signal);
    };
    pc.oniceconnectionstatechange = () => {
      if (pc === this.#pc) this.#iceChanged(pc.iceConnectionState);
    };
    this.#setupTimer = setTimeout(() => {
      if (pc === this.#pc && this.#state !== "open") {
        this.#lost(
          "setup-timeout",
          `no connection to ${U256.short(this.#o.remoteId)} within ${this.#o.setupTimeoutMs} ms: ` +
            this.#whyNoConnection(pc),
        );
      }
    }, this.#deadline - now);
    // checks that found nothing in 4 s or more: a path was down (slower setups are left alone)
    const reofferAt = now + Math.max(REOFFER_MIN_MS, this.#o.setupTimeoutMs / 2);
    if (offerer && reofferAt < this.#deadline - 1_000) {
      this.#reofferTimer = setTimeout(() => {
        const ice = pc.iceConnectionState;
        const found = ice === "connected" || ice === "completed";
        if (pc === this.#pc && this.#state === "connecting" && !found) this.#events.reoffer();
      }, reofferAt - now);
    }
    return pc;
  }

  /** What an attempt that timed out or failed lacked, and what usually helps. */
  #whyNoConnection(pc: RTCPeerConnection): string {
    const turn = (this.#o.rtcConfig.iceServers ?? []).some((server) =>
      [server.urls].flat().some((url) => /^turns?:/.test(url))
    );
    return whyNoConnection({
      unanswered: this.#offerer && !this.#remoteDescribed,
      localCandidates: this.#localCandidates,
      localRefused: this.#localRefused,
      remoteCandidates: this.#signalled.length,
      remoteRefused: this.#remoteRefused,
      relayWithoutTurn: this.#o.rtcConfig.iceTransportPolicy === "relay" && !turn,
      iceConnectionState: pc.iceConnectionState,
      connectionState: pc.connectionState,
    });
  }

  /** Creates the pre-negotiated data channel, the same on both sides. */
  #attachChannel(pc: RTCPeerConnection): void {
    const dc = pc.createDataChannel("flnet", { ordered: true, negotiated: true, id: 0 });
    this.#dc = dc;
    dc.binaryType = "arraybuffer";
    dc.onopen = () => {
      if (dc === this.#dc) this.#opened(dc);
    };
    dc.onclose = () => {
      if (dc === this.#dc) this.#lost("peer-gone", "the data channel closed");
    };
    dc.onmessage = (event) => {
      if (dc === this.#dc) this.#events.data(event.data);
    };
    if (dc.readyState === "open") this.#opened(dc);
  }

  #opened(dc: RTCDataChannel): void {
    if (this.#state === "open") return;
    if (log.enabled("debug")) log.debug(this.#o.name, "channel open");
    clearTimeout(this.#setupTimer);
    this.#state = "open";
    this.#events.open(dc, Math.min(MAX_FRAME_BYTES, this.#peerMaxMessage));
  }

  #iceChanged(state: RTCIceConnectionState): void {
    if (log.enabled("debug")) log.debug(this.#o.name, "ICE", state);
    if (state === "failed" && this.#state === "connecting" && this.#pc) {
      // an attempt that never opened: say what it lacked, as a timeout would
      this.#lost(
        "setup-failed",
        `no connection to ${U256.short(this.#o.remoteId)}: ICE failed: ` +
          this.#whyNoConnection(this.#pc),
      );
    } else if (state === "failed" || state === "closed") {
      this.#lost("peer-gone", `the ICE connection ${state}`);
    } else if (state === "disconnected") {
      clearTimeout(this.#graceTimer);
      this.#graceTimer = setTimeout(() => {
        if (this.#pc?.iceConnectionState === "disconnected") {
          this.#lost("peer-gone", `no contact with the peer for ${this.#o.disconnectGraceMs} ms`);
        }
      }, this.#o.disconnectGraceMs);
    } else {
      clearTimeout(this.#graceTimer);
    }
  }
}

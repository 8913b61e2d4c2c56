/**
 * A malicious signalling server for tests: a WebSocket proxy in front of a real server that
 * passes everything through except connection setups, which it hijacks. For an offer from X
 * to Y it answers X itself (posing as Y) and makes its own offer to Y (posing as X), each with
 * its own DTLS certificate, then bridges the two data channels and records every message it
 * carries: a man in the middle who reads, and could change, all traffic between X and Y.
 *
 * It cannot sign as X or Y unless given their keys (`stolen`); without them it keeps the
 * victims' own signature fields on its forged messages, as an attacker would try.
 * @module
 */

import type { NodeConfig } from "../../core/config.ts";
import type { NodeID } from "../../core/ids.ts";
import { loadWebRTCEngine } from "../../adapters/node/webrtc.ts";
import { candidateFilters, filterSdp, parseCandidate } from "../../net/candidates.ts";
import type { RTCPeerConnectionConstructor } from "../../net/peer_setup.ts";
import { offerForAnswering } from "../../net/sdp.ts";
import { type SetupSignal, signSetup } from "../../net/setup_signal.ts";
import type { NetworkOut } from "../../net/network.ts";
import { loopback } from "../../harness/network.ts";
import { type Network, type NetworkMessage, networkStart } from "../../node.ts";
import type { WebRTCEngine } from "../../adapters/node/webrtc.ts";

/** One data-channel message the attacker carried (and read). */
export interface Captured {
  from: NodeID;
  to: NodeID;
  data: string | Uint8Array;
}

/** Settings of a {@link MitmSignal}. */
export interface MitmOptions {
  /** The real signalling server's URL. */
  upstream: string;
  /** Node keys the attacker holds: it signs as these nodes. */
  stolen?: NodeConfig[];
}

type Json = Record<string, unknown>;

/** One client's two sockets: to the client, and to the real server. */
interface ClientLink {
  down: WebSocket;
  up: WebSocket;
  id?: NodeID;
}

/** One side of a hijacked connection: the attacker's peer connection facing `victim`. */
interface Leg {
  victim: NodeID;
  /** Whom the attacker poses as towards `victim`. */
  posingAs: NodeID;
  pc: RTCPeerConnection;
  dc: RTCDataChannel;
  session: string;
  /** The victim's description is applied: candidates may be added. */
  described: boolean;
  pendingCandidates: RTCIceCandidateInit[];
  outbox: (string | ArrayBuffer)[];
}

/** A malicious signalling server; see the module documentation. */
export class MitmSignal {
  /** Every message carried between two victims, in order. */
  readonly captured: Captured[] = [];
  /** Bridges whose both data channels opened. */
  bridged = 0;
  /** What went wrong in the attacker's own setup steps (for a test's failure message). */
  readonly failures: string[] = [];
  readonly #clients = new Map<NodeID, ClientLink>();
  readonly #legs = new Map<string, Leg>();
  readonly #stolen: Map<NodeID, NodeConfig>;
  readonly #RTC: RTCPeerConnectionConstructor;
  readonly #server: Deno.HttpServer;
  readonly #upstream: string;
  /** The real signature fields last seen from each node, replayed on forged messages. */
  readonly #lastSignature = new Map<NodeID, Json>();

  private constructor(options: MitmOptions, RTC: RTCPeerConnectionConstructor) {
    this.#upstream = options.upstream;
    this.#stolen = new Map((options.stolen ?? []).map((c) => [c.id, c]));
    this.#RTC = RTC;
    this.#server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen: () => {} },
      (request) => this.#accept(request),
    );
  }

  /** Starts the proxy in front of the server at `options.upstream`. */
  static async start(options: MitmOptions): Promise<MitmSignal> {
    return new MitmSignal(options, await loadWebRTCEngine("node-datachannel"));
  }

  /** The URL victims connect to instead of the real server's. */
  get url(): string {
    return `ws://127.0.0.1:${(this.#server.addr as Deno.NetAddr).port}`;
  }

  /** Stops the proxy and every hijacked connection. */
  async close(): Promise<void> {
    for (const leg of this.#legs.values()) leg.pc.close();
    this.#legs.clear();
    for (const link of this.#clients.values()) {
      link.down.close();
      link.up.close();
    }
    await this.#server.shutdown();
  }

  #accept(request: Request): Response {
    const { socket: down, response } = Deno.upgradeWebSocket(request);
    const up = new WebSocket(this.#upstream);
    const link: ClientLink = { down, up };
    const early: string[] = [];
    up.onopen = () => early.splice(0).forEach((m) => up.send(m));
    up.onmessage = (event) => {
      const msg = JSON.parse(event.data as string) as Json;
      if (msg.type === "welcome") {
        link.id = msg.id as NodeID;
        this.#clients.set(link.id, link);
      }
      if (down.readyState === WebSocket.OPEN) down.send(event.data as string);
    };
    up.onclose = () => down.close();
    down.onclose = () => up.close();
    down.onmessage = (event) => {
      const text = event.data as string;
      const msg = JSON.parse(text) as Json;
      if (msg.type === "relay" && link.id) {
        void this.#hijack(link.id, msg.to as NodeID, msg.signal as Json).catch((error) =>
          this.failures.push(String(error))
        );
        return;
      }
      if (up.readyState === WebSocket.OPEN) up.send(text);
      else early.push(text);
    };
    return response;
  }

  /** A setup message from `from` to `to`, which the attacker takes instead of the server. */
  async #hijack(from: NodeID, to: NodeID, signal: Json): Promise<void> {
    this.#lastSignature.set(from, signatureFields(signal));
    const session = signal.session as string;
    if (signal.kind === "offer") {
      // answer `from` as `to`, and offer to `to` as `from`
      const facingFrom = this.#leg(from, to, session);
      const facingTo = this.#leg(to, from, `m${session}`);
      bridge(this, facingFrom, facingTo);
      bridge(this, facingTo, facingFrom);
      await facingFrom.pc.setRemoteDescription({
        type: "offer",
        sdp: offerForAnswering(signal.sdp as string),
      });
      await this.#describedRemote(facingFrom);
      await facingFrom.pc.setLocalDescription(await facingFrom.pc.createAnswer());
      await this.#forge(facingFrom, "answer", { sdp: facingFrom.pc.localDescription!.sdp });
      await facingTo.pc.setLocalDescription(await facingTo.pc.createOffer());
      await this.#forge(facingTo, "offer", { sdp: facingTo.pc.localDescription!.sdp });
      return;
    }
    const leg = this.#legs.get(`${from}/${session}`);
    if (!leg) return;
    if (signal.kind === "answer") {
      await leg.pc.setRemoteDescription({ type: "answer", sdp: signal.sdp as string });
      await this.#describedRemote(leg);
    } else if (signal.kind === "candidate") {
      const init = {
        candidate: signal.candidate as string,
        sdpMid: (signal.sdpMid as string | null) ?? "0",
        sdpMLineIndex: (signal.sdpMLineIndex as number | null) ?? 0,
      };
      if (leg.described) await addCandidate(leg.pc, init);
      else leg.pendingCandidates.push(init);
    }
  }

  /** The attacker's peer connection facing `victim` (posing as `posingAs`) for `session`. */
  #leg(victim: NodeID, posingAs: NodeID, session: string): Leg {
    const pc = new this.#RTC({ iceServers: [], bindAddress: "127.0.0.1" } as RTCConfiguration);
    const dc = pc.createDataChannel("flnet", { ordered: true, negotiated: true, id: 0 });
    dc.binaryType = "arraybuffer";
    const leg: Leg = {
      victim,
      posingAs,
      pc,
      dc,
      session,
      described: false,
      pendingCandidates: [],
      outbox: [],
    };
    pc.onicecandidate = (event) => {
      const line = event.candidate?.candidate;
      const parsed = line ? parseCandidate(line) : undefined;
      if (!parsed || !candidateFilters.loopbackOnly(parsed)) return;
      void this.#forge(leg, "candidate", {
        candidate: line,
        sdpMid: event.candidate!.sdpMid,
        sdpMLineIndex: event.candidate!.sdpMLineIndex,
      });
    };
    this.#legs.get(`${victim}/${session}`)?.pc.close();
    this.#legs.set(`${victim}/${session}`, leg);
    return leg;
  }

  async #describedRemote(leg: Leg): Promise<void> {
    leg.described = true;
    for (const init of leg.pendingCandidates.splice(0)) await addCandidate(leg.pc, init);
  }

  /** Sends `leg.victim` a setup message that claims to come from `leg.posingAs`. */
  async #forge(leg: Leg, kind: SetupSignal["kind"], body: Json): Promise<void> {
    if (body.sdp) body.sdp = filterSdp(body.sdp as string, candidateFilters.loopbackOnly);
    const unsigned = { kind, session: leg.session, ...body } as SetupSignal;
    const key = this.#stolen.get(leg.posingAs);
    const signal = key
      ? await signSetup(key, leg.victim, unsigned)
      : { ...unsigned, ...this.#lastSignature.get(leg.posingAs) };
    const link = this.#clients.get(leg.victim);
    if (link?.down.readyState === WebSocket.OPEN) {
      link.down.send(JSON.stringify({ type: "relay", from: leg.posingAs, signal }));
    }
  }
}

/** A node under attack and what it reported. */
export interface Victim {
  /** Its network. */
  net: Network;
  /** The errors it reported. */
  errors: (NetworkOut & { type: "error" })[];
  /** The connections it made and the messages it got (without a module name, or for chat). */
  heard: (NetworkOut | NetworkMessage)[];
}

/**
 * A node on `url` (on loopback, 8 s setup timeout) that records the errors it reports, and the
 * connections and messages it gets.
 */
export async function victimNode(
  url: string,
  engine: WebRTCEngine,
  config: NodeConfig,
): Promise<Victim> {
  const net = await networkStart(config, url, loopback(engine, { setupTimeoutMs: 8_000 }));
  const errors: (NetworkOut & { type: "error" })[] = [];
  const heard: (NetworkOut | NetworkMessage)[] = [];
  net.broker.tapOut((out) => {
    if (out.type === "error") errors.push(out);
    if (out.type === "connected") heard.push(out);
  });
  net.onMessage((message) => heard.push(message));
  net.on("chat", (message) => heard.push(message));
  return { net, errors, heard };
}

/** Forwards what arrives on `from`'s channel to `to`'s, recording it. */
function bridge(mitm: MitmSignal, from: Leg, to: Leg): void {
  const flush = () => {
    if (to.dc.readyState !== "open") return;
    for (const data of to.outbox.splice(0)) to.dc.send(data as ArrayBuffer);
  };
  to.dc.onopen = () => {
    if (from.dc.readyState === "open") mitm.bridged++;
    flush();
  };
  from.dc.onmessage = (event) => {
    const data = event.data as string | ArrayBuffer;
    mitm.captured.push({
      from: from.victim,
      to: to.victim,
      data: typeof data === "string" ? data : new Uint8Array(data.slice(0)),
    });
    to.outbox.push(data);
    flush();
  };
}

/** The fields of a setup message that prove its sender (none before signing existed). */
function signatureFields(signal: Json): Json {
  const { time, signature } = signal;
  return { ...(time === undefined ? {} : { time }), ...(signature ? { signature } : {}) };
}

/** Adds a candidate; the engine may refuse one that arrives early (it is one of several). */
async function addCandidate(pc: RTCPeerConnection, init: RTCIceCandidateInit): Promise<void> {
  try {
    await pc.addIceCandidate(init);
  } catch {
    // libdatachannel: "a remote candidate without ICE transport" before its transport exists
  }
}

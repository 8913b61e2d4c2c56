/**
 * What the network benchmark compares flnet with, on the same WebRTC engine over loopback:
 * a raw RTCDataChannel (pre-negotiated, the least a library can do) and simple-peer (npm
 * `simple-peer`, with the engine injected as its `wrtc`). Each measures throughput between two
 * connected peers and the time from starting to connect until a first message arrived, with
 * offers, answers and candidates relayed through the same flnet signalling server flnet uses.
 * @module
 */

import SimplePeer from "simple-peer";
import { NodeConfig } from "../core/config.ts";
import type { NodeID } from "../core/ids.ts";
import { candidateFilters, filterSdp } from "../net/candidates.ts";
import { type SignalBroker, startSignalClient } from "../net/signal_client.ts";
import { loadWebRTCEngine, type WebRTCEngine } from "../adapters/node/webrtc.ts";
import { NodeWebSocket } from "../adapters/node/websocket.ts";

/** Pause sending above this many buffered bytes (flnet's own high mark is the same). */
const HIGH_WATER = 1024 * 1024;

/** RTCPeerConnection settings that keep `engine` on 127.0.0.1. */
function loopbackRtcConfig(engine: WebRTCEngine): RTCConfiguration {
  return (engine === "node-datachannel"
    ? { iceServers: [], bindAddress: "127.0.0.1" }
    : { iceServers: [] }) as RTCConfiguration;
}

const onLoopback = (candidate: string) => /\b127\.0\.0\.1\b/.test(candidate);
const loopbackSdp = (sdp: string) => filterSdp(sdp, candidateFilters.loopbackOnly);

/** Two announced signal clients that relay objects to each other through the server. */
async function relayPair(url: string) {
  const [ca, cb] = await Promise.all([NodeConfig.create(), NodeConfig.create()]);
  const sa = startSignalClient(ca, url, NodeWebSocket);
  const sb = startSignalClient(cb, url, NodeWebSocket);
  const ready = (s: SignalBroker) =>
    new Promise<void>((resolve) => s.tapOut((o) => o.type === "ready" ? resolve() : undefined));
  await Promise.all([ready(sa), ready(sb)]);
  const side = (from: SignalBroker, to: NodeID, self: SignalBroker) => ({
    send: (signal: Record<string, unknown>) => from.enqueueIn({ type: "relay", to, signal }),
    onRelay: (handle: (signal: Record<string, unknown>) => void) =>
      self.tapOut((o) => o.type === "relay" ? handle(o.signal) : undefined),
  });
  return {
    a: side(sa, cb.id, sa),
    b: side(sb, ca.id, sb),
    close: async () => {
      await sa.emitIn({ type: "close" });
      await sb.emitIn({ type: "close" });
    },
  };
}

/**
 * MB/s (10^6 bytes) of sending `count` messages of `size` bytes: `send` is called once per
 * message (awaited when it returns a promise, which is how a sender applies backpressure), and
 * the clock stops when the callback given to `listen` has been called `count` times.
 */
export async function transferRate(
  count: number,
  size: number,
  listen: (arrived: () => void) => void,
  send: (payload: Uint8Array) => void | Promise<void>,
): Promise<number> {
  let got = 0;
  const done = new Promise<void>((resolve) => listen(() => ++got === count && resolve()));
  const payload = new Uint8Array(size);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const pending = send(payload);
    if (pending) await pending;
  }
  await done;
  return (count * size) / 1e6 / ((performance.now() - start) / 1000);
}

/** Two RTCPeerConnections of `engine` wired directly, with a negotiated channel each. */
async function rawPair(engine: WebRTCEngine) {
  const RTC = await loadWebRTCEngine(engine);
  const a = new RTC(loopbackRtcConfig(engine));
  const b = new RTC(loopbackRtcConfig(engine));
  a.onicecandidate = (e) =>
    e.candidate && onLoopback(e.candidate.candidate) &&
    b.addIceCandidate(e.candidate).catch(() => {});
  b.onicecandidate = (e) =>
    e.candidate && onLoopback(e.candidate.candidate) &&
    a.addIceCandidate(e.candidate).catch(() => {});
  const send = a.createDataChannel("raw", { negotiated: true, id: 0 });
  const receive = b.createDataChannel("raw", { negotiated: true, id: 0 });
  receive.binaryType = "arraybuffer";
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription({ type: "offer", sdp: loopbackSdp(a.localDescription!.sdp) });
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription({ type: "answer", sdp: loopbackSdp(b.localDescription!.sdp) });
  if (send.readyState !== "open") await new Promise((resolve) => send.onopen = resolve);
  return { a, b, send, receive };
}

/** Raw RTCDataChannel: MB/s of `count` messages of `size` bytes. */
export async function rawThroughput(
  engine: WebRTCEngine,
  size: number,
  count: number,
): Promise<number> {
  const { a, b, send, receive } = await rawPair(engine);
  try {
    const whenRoom = async () => {
      while (send.bufferedAmount > HIGH_WATER) await new Promise((r) => setTimeout(r, 1));
    };
    return await transferRate(count, size, (arrived) => receive.onmessage = arrived, (payload) => {
      // wait only when the buffer is full, so the common case costs no promise
      if (send.bufferedAmount > HIGH_WATER) {
        return whenRoom().then(() => send.send(payload as Uint8Array<ArrayBuffer>));
      }
      send.send(payload as Uint8Array<ArrayBuffer>);
    });
  } finally {
    a.close();
    b.close();
  }
}

/** Raw RTCDataChannel: the round-trip times (ms) of `count` ping-pongs, one at a time. */
export async function rawRoundTrips(engine: WebRTCEngine, count: number): Promise<number[]> {
  const { a, b, send, receive } = await rawPair(engine);
  try {
    receive.onmessage = (event) => receive.send(event.data);
    const times: number[] = [];
    const ping = new Uint8Array(16);
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await new Promise((resolve) => {
        send.onmessage = resolve;
        send.send(ping);
      });
      times.push(performance.now() - start);
    }
    return times;
  } finally {
    a.close();
    b.close();
  }
}

/** Raw: ms from creating the offer until the first message arrived, setup through the server. */
export async function rawFirstMessage(url: string, engine: WebRTCEngine): Promise<number> {
  const RTC = await loadWebRTCEngine(engine);
  const relay = await relayPair(url);
  const a = new RTC(loopbackRtcConfig(engine));
  const b = new RTC(loopbackRtcConfig(engine));
  a.onicecandidate = (e) =>
    e.candidate && onLoopback(e.candidate.candidate) &&
    relay.a.send({ candidate: e.candidate.candidate });
  b.onicecandidate = (e) =>
    e.candidate && onLoopback(e.candidate.candidate) &&
    relay.b.send({ candidate: e.candidate.candidate });
  const received = new Promise<void>((resolve) => {
    b.createDataChannel("raw", { negotiated: true, id: 0 }).onmessage = () => resolve();
  });
  relay.b.onRelay(async (signal) => {
    if (signal.sdp) {
      await b.setRemoteDescription({ type: "offer", sdp: loopbackSdp(signal.sdp as string) });
      await b.setLocalDescription(await b.createAnswer());
      relay.b.send({ sdp: loopbackSdp(b.localDescription!.sdp) });
    } else {await b.addIceCandidate({ candidate: signal.candidate as string, sdpMid: "0" }).catch(
        () => {},
      );}
  });
  relay.a.onRelay(async (signal) => {
    if (signal.sdp) await a.setRemoteDescription({ type: "answer", sdp: signal.sdp as string });
    else {await a.addIceCandidate({ candidate: signal.candidate as string, sdpMid: "0" }).catch(
        () => {},
      );}
  });
  try {
    const start = performance.now();
    const channel = a.createDataChannel("raw", { negotiated: true, id: 0 });
    channel.onopen = () => channel.send("first");
    await a.setLocalDescription(await a.createOffer());
    relay.a.send({ sdp: loopbackSdp(a.localDescription!.sdp) });
    await received;
    return performance.now() - start;
  } finally {
    a.close();
    b.close();
    await relay.close();
  }
}

/**
 * simple-peer's `wrtc` option for `engine`: its RTCPeerConnection and plain descriptions.
 * simple-peer rewrites `offer.sdp` in place, which node-datachannel's read-only descriptions
 * refuse, so offers and answers are handed over as plain objects.
 */
async function simplePeerWrtc(engine: WebRTCEngine) {
  const Engine = await loadWebRTCEngine(engine);
  class RTCPeerConnection extends Engine {}
  const methods = RTCPeerConnection.prototype as unknown as Record<
    string,
    (options?: unknown) => Promise<RTCSessionDescriptionInit>
  >;
  for (const name of ["createOffer", "createAnswer"]) {
    const original = methods[name];
    methods[name] = async function (this: unknown, options?: unknown) {
      const { type, sdp } = await original.call(this, options);
      return { type, sdp };
    };
  }
  class Init {
    constructor(init: object) {
      Object.assign(this, init);
    }
  }
  return { RTCPeerConnection, RTCSessionDescription: Init, RTCIceCandidate: Init };
}

type PeerSignal = { type?: string; sdp?: string; candidate?: { candidate: string } };

/** What the benchmark uses of a simple-peer instance (the package ships no types). */
interface Peer {
  on(event: string, listener: (value: never) => void): void;
  once(event: string, listener: () => void): void;
  signal(signal: unknown): void;
  send(data: string | Uint8Array): void;
  write(data: Uint8Array): boolean;
  destroy(): void;
}
const Peer = SimplePeer as unknown as new (options: Record<string, unknown>) => Peer;

/** Keeps a simple-peer signal on loopback, or drops it (undefined). */
function loopbackSignal(signal: PeerSignal): PeerSignal | undefined {
  if (signal.sdp) return { ...signal, sdp: loopbackSdp(signal.sdp) };
  if (signal.candidate && !onLoopback(signal.candidate.candidate)) return undefined;
  return signal;
}

/** Two simple-peer peers of `engine`; the caller carries their signals. */
async function simplePeers(engine: WebRTCEngine) {
  const wrtc = await simplePeerWrtc(engine);
  const options = { wrtc, config: loopbackRtcConfig(engine), trickle: true };
  return { a: new Peer({ ...options, initiator: true }), b: new Peer(options) };
}

/** simple-peer: MB/s of `count` messages of `size` bytes, with its stream backpressure. */
export async function simplePeerThroughput(
  engine: WebRTCEngine,
  size: number,
  count: number,
): Promise<number> {
  const { a, b } = await simplePeers(engine);
  a.on("signal", (s: PeerSignal) => loopbackSignal(s) && b.signal(loopbackSignal(s)));
  b.on("signal", (s: PeerSignal) => loopbackSignal(s) && a.signal(loopbackSignal(s)));
  try {
    await new Promise((resolve) => a.on("connect", resolve));
    return await transferRate(count, size, (arrived) => b.on("data", arrived), (payload) => {
      if (!a.write(payload)) return new Promise<void>((resolve) => a.once("drain", resolve));
    });
  } finally {
    a.destroy();
    b.destroy();
  }
}

/** simple-peer: ms from creating the peers until the first message arrived, signals relayed. */
export async function simplePeerFirstMessage(url: string, engine: WebRTCEngine): Promise<number> {
  const relay = await relayPair(url);
  const start = performance.now();
  const { a, b } = await simplePeers(engine);
  a.on("signal", (s: PeerSignal) => loopbackSignal(s) && relay.a.send(loopbackSignal(s)!));
  b.on("signal", (s: PeerSignal) => loopbackSignal(s) && relay.b.send(loopbackSignal(s)!));
  relay.a.onRelay((s) => a.signal(s));
  relay.b.onRelay((s) => b.signal(s));
  try {
    a.on("connect", () => a.send("first"));
    await new Promise((resolve) => b.on("data", resolve));
    return performance.now() - start;
  } finally {
    a.destroy();
    b.destroy();
    await relay.close();
  }
}

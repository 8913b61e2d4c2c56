/**
 * Helpers for network tests: nodes that keep WebRTC on loopback (127.0.0.1 candidates only,
 * as docs/network.md explains under "Engines and loopback"), full Nodes on top, and ways to wait for things.
 * @module
 */

import { networkInterfaces } from "node:os";
import { NodeConfig } from "../core/config.ts";
import { candidateFilters } from "../net/candidates.ts";
import { MemoryStorage } from "../core/storage.ts";
import type { Timer } from "../core/timer.ts";
import { Node, type NodeOptions } from "../node/node.ts";
import { type Network, networkStart, type NodeNetworkOptions, type WebRTCEngine } from "../node.ts";
import { openNodeNetwork } from "../adapters/node/network_options.ts";
import type { ServerUrls } from "../net/websocket.ts";

/**
 * Module timings for real-network tests with a 100 ms timer: fast, but not hasty. A setup may
 * take 6 s: over a TURN relay, a libdatachannel offerer nominates its ICE pair only after its
 * 2 s nomination timeout and Firefox, answering, drops DTLS packets until then, so that pair
 * needs about 3.1 s (the DTLS retransmit at 3 s).
 */
export const FAST_NODE = {
  random: { listTicks: 10, connectingTimeoutTicks: 60, churnTicks: 0, cooldownTicks: 20 },
  ping: { intervalTicks: 5, timeoutTicks: 20 },
  gossip: { syncTicks: 10 },
};

/** Both engines, for tests that run once per engine. */
export const ENGINES: WebRTCEngine[] = ["wrtc", "node-datachannel"];

/** Options that keep `engine` on 127.0.0.1. */
export function loopback(engine: WebRTCEngine, extra: NodeNetworkOptions = {}): NodeNetworkOptions {
  return {
    engine,
    candidateFilter: candidateFilters.loopbackOnly,
    ...(engine === "node-datachannel" ? { bindAddress: "127.0.0.1" } : {}),
    ...extra,
  };
}

/** A node on the signalling server at `url`, on loopback. */
export async function loopbackNode(
  url: ServerUrls,
  engine: WebRTCEngine,
  name: string,
  extra: NodeNetworkOptions = {},
): Promise<Network> {
  return await networkStart(await NodeConfig.create({ name }), url, loopback(engine, extra));
}

/** Runs `body` with two loopback nodes named a and b, and closes both afterwards. */
export async function withPair<T>(
  url: string,
  engine: WebRTCEngine,
  body: (a: Network, b: Network) => Promise<T>,
  extra: NodeNetworkOptions = {},
): Promise<T> {
  const a = await loopbackNode(url, engine, "a", extra);
  const b = await loopbackNode(url, engine, "b", extra);
  try {
    return await body(a, b);
  } finally {
    await a.close();
    await b.close();
  }
}

/**
 * True when this machine has network interfaces besides loopback. Then @roamhq/wrtc, which
 * gathers on every interface, may reach a 127.0.0.1 candidate from its LAN address over `lo`,
 * and the other end sees that as a peer-reflexive candidate. In a namespace with only `lo`
 * (as CI runs) that cannot happen.
 */
export function hasNonLoopbackInterfaces(): boolean {
  return Object.values(networkInterfaces()).flat().some((i) => i && !i.internal);
}

/**
 * True when `address` (`ip:port`, as a connection status gives it) is this machine's: loopback,
 * or an address of one of its interfaces. On a machine with a LAN, an engine may pair a
 * 127.0.0.1 candidate with its LAN socket (the packets still go over lo): such a path is this
 * machine's too.
 */
export function isThisMachine(address: string): boolean {
  const ip = address.slice(0, address.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  if (/^127\./.test(ip) || ip === "::1") return true;
  return Object.values(networkInterfaces()).flat().some((i) => i?.address === ip);
}

/** SHA-256 of bytes, as hex, to compare large payloads. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** `length` random bytes (getRandomValues fills at most 64 KiB at a time). */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

/**
 * A full Node on real WebRTC over loopback, driven by `timer`, with the fast test timings
 * unless `modules` gives others (`{}`: the modules' defaults), and `network` options added.
 */
export async function loopbackFullNode(
  url: string,
  engine: WebRTCEngine,
  timer: Timer,
  name?: string,
  modules: Pick<NodeOptions, "random" | "gossip" | "ping" | "stat"> = FAST_NODE,
  network: NodeNetworkOptions = {},
): Promise<Node> {
  return await Node.start({
    storage: new MemoryStorage(),
    timer,
    ...modules,
    ...(name ? { newConfig: { name } } : {}),
    startNetwork: (config) =>
      openNodeNetwork(config, url, loopback(engine, { disconnectGraceMs: 1000, ...network })),
  });
}

/** `work`'s result; throws with `what()` when it takes longer than `ms`. */
export async function within<T>(work: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done in ${ms} ms: ${what()}`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every 100 ms; returns the ms it took, or throws naming `what` after `ms`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms: number,
): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

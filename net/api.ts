/**
 * The friendly network: {@link openNetwork} connects a node to a signalling server (given the
 * runtime's constructors) and {@link Network} wraps the broker with `send`, `recv`,
 * `for await`, `nodes()` and `connections()`. Users call `networkStart` of an entry point
 * (`flnet`, `flnet/node`, `flnet/browser`), which fills in the runtime and returns a `Network`.
 *
 * @example A server that prints every message, and a client that sends it "ping"
 * ```ts
 * import { NodeConfig } from "../core/config.ts";
 * import { Network, openNetwork } from "./api.ts";
 *
 * const runtime = { RTCPeerConnection, WebSocket }; // a browser's globals
 *
 * async function server() {
 *   const config = await NodeConfig.create();
 *   const net = new Network(config.id, await openNetwork(config, "ws://localhost:8765", runtime));
 *   console.log("our id is", net.id); // give this to the client
 *   for await (const msg of net) console.log("got", msg.data, "from", msg.from);
 * }
 *
 * async function client(serverId: string) {
 *   const config = await NodeConfig.create();
 *   const net = new Network(config.id, await openNetwork(config, "ws://localhost:8765", runtime));
 *   await net.send(serverId, "ping"); // connects on demand, resolves once handed over
 *   await net.close();
 * }
 * ```
 * @module
 */

import type { Subscription } from "../core/broker.ts";
import type { NodeConfig, NodeInfo } from "../core/config.ts";
import { type NodeID, U256 } from "../core/ids.ts";
import { Logger, ThrottledWarning } from "../core/log.ts";
import { Inbox, INBOX_LIMITS, type InboxLimits, type NetworkMessage } from "./inbox.ts";
import { type PeerEvent, PeerWatch } from "./peer_watch.ts";
import {
  type ConnectionInfo,
  type NetworkBroker,
  type NetworkOptions,
  type NetworkOut,
  startNetwork,
} from "./network.ts";
import { NetworkError } from "./errors.ts";
import type { MessageRefusal, Registration } from "./registrar.ts";

export { NetworkError } from "./errors.ts";
import type { ServerUrls } from "./websocket.ts";

export type { NetworkMessage } from "./inbox.ts";

const log = new Logger("network");

/**
 * Options of {@link openNetwork}: the network settings plus how long to wait for the server.
 * The entry points (`flnet`, `flnet/node`, `flnet/browser`) fill in the runtime's
 * constructors, so their `networkStart` takes these without them.
 */
export interface NetworkStartOptions extends NetworkOptions {
  /** Give up if the signalling server has not welcomed this node after this long (10 s). */
  readyTimeoutMs?: number;
  /**
   * The most messages, and bytes, waiting for `recv()` / `for await` (default
   * {@link INBOX_LIMITS}: 4,096 and 64 MiB). A message beyond is refused: `onError` hears
   * `receive-buffer-full` here, and so does the sender.
   */
  receiveBuffer?: Partial<InboxLimits>;
}

/**
 * Starts the network and returns the raw broker once the signalling server welcomed the node.
 * Throws a {@link NetworkError} (`signal-unreachable`) when it does not within the timeout.
 * The entry points' `networkStart` and `nodeStart` call it with their runtime's
 * constructors.
 */
export async function openNetwork(
  config: NodeConfig,
  signalUrl: ServerUrls,
  options: NetworkStartOptions,
): Promise<NetworkBroker> {
  const urls = typeof signalUrl === "string" ? [signalUrl] : [...signalUrl];
  if (urls.length === 0) {
    throw new NetworkError("bad-url", "no signalling server address given: pass at least one");
  }
  for (const url of urls) checkSignalUrl(url);
  const broker = startNetwork(config, urls, options);
  const timeoutMs = options.readyTimeoutMs ?? 10_000;
  const outputs = broker.channelOut();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) =>
    timer = setTimeout(resolve, timeoutMs, "timeout")
  );
  let problem = `it did not welcome this node within ${timeoutMs} ms`;
  let failures = 0;
  try {
    for (;;) {
      const out = await Promise.race([outputs.recv(), timeout]);
      if (out === "timeout") break;
      if (out.type !== "signal") continue;
      if (out.state === "ready") return broker;
      if (out.state === "disconnected") {
        // each server failed once: say so now rather than retry until the timeout
        problem = `the connection failed before it was welcomed (${out.message})`;
        if (++failures >= urls.length) break;
        continue;
      }
      problem = `it answered ${out.code ?? out.state}${out.message ? `: ${out.message}` : ""}`;
      if (out.state === "closed") break;
    }
  } finally {
    clearTimeout(timer);
    outputs.close();
  }
  await broker.emitIn({ type: "close" });
  throw new NetworkError(
    "signal-unreachable",
    `could not join the signalling server at ${urls.join(" or ")}: ${problem}; is a flnet ` +
      `signalling server running at ${
        urls.length > 1 ? "one of these addresses" : "this address"
      }?`,
  );
}

/** Throws a {@link NetworkError} (`bad-url`) unless `url` is a ws:// or wss:// URL. */
export function checkSignalUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol === "ws:" || parsed?.protocol === "wss:") return;
  const hint = parsed?.protocol === "http:" || parsed?.protocol === "https:"
    ? `use ${parsed.protocol === "https:" ? "wss" : "ws"}://${parsed.host}${parsed.pathname}`
    : "write it as ws://host:port (or wss:// behind TLS)";
  throw new NetworkError(
    "bad-url",
    `"${url}" is not a signalling server address: it must start with ws:// or wss://; ${hint}`,
  );
}

/** A module name of the application on a {@link Network}, and the way to send under it. */
export interface ModuleChannel extends Subscription {
  /** The module name. */
  readonly name: string;
  /**
   * Sends `data` to the node `to`'s module of this name, connecting first if needed. Resolves
   * once the message is handed to the data channel; rejects with a {@link NetworkError} saying
   * why it could not be.
   */
  send(to: NodeID | string, data: string | Uint8Array): Promise<void>;
}

/** One module name the application uses: its registration, and its handler while it has one. */
interface NamedModule {
  registration: Registration;
  handler?: (message: NetworkMessage) => void;
}

/** A node's network, ready to use; made by `networkStart` of the entry points. */
export class Network implements AsyncIterable<NetworkMessage> {
  readonly #inbox: Inbox;
  /** `onMessage` listeners: while there are some and nobody reads, nothing is kept to read. */
  readonly #listeners = new Set<(message: NetworkMessage) => void>();
  /** True once the application called `recv` or iterated. */
  #reading = false;
  /** The module names of the application, `""` (this object's own messages) first. */
  readonly #modules = new Map<string, NamedModule>();
  readonly #waiters: { type: NetworkOut["type"]; resolve: (out: NetworkOut) => void }[] = [];
  readonly #errorListeners = new Set<(error: NetworkError) => void>();
  readonly #peers: PeerWatch;
  readonly #refusals = new ThrottledWarning(log);
  #closed: Promise<void> | undefined;

  /** Wraps a started network broker. */
  constructor(
    readonly id: NodeID,
    readonly broker: NetworkBroker,
    options: Pick<NetworkStartOptions, "receiveBuffer"> = {},
  ) {
    this.#inbox = new Inbox({ ...INBOX_LIMITS, ...options.receiveBuffer });
    this.#modules.set("", {
      registration: broker.registrar.register("", (message) => this.#keep(message)),
    });
    this.#peers = new PeerWatch(broker);
    broker.tapOut((out) => this.#observe(out));
  }

  /**
   * Sends `data` to the node `to`, connecting first if needed: to its `recv`, `for await` and
   * `onMessage`, or, with `module`, to its handler of that name ({@link on}). Resolves once the
   * message is handed to the data channel; rejects with a {@link NetworkError} saying why it
   * could not be (a TypeError for a module name flnet's own modules hold).
   */
  send(to: NodeID | string, data: string | Uint8Array, module = ""): Promise<void> {
    try {
      return this.#module(module).registration.send(to, data);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Calls `handler` with every message other nodes send to this node's module `module` (a
   * non-empty name of the application's); the returned channel sends under that name. One
   * handler per name: remove the channel before giving the name another. Messages for a name
   * without a handler are refused to their sender (`unknown-module`).
   *
   * @example
   * ```ts
   * import type { Network } from "./api.ts";
   * async function greet(net: Network, other: string) {
   *   const greetings = net.on("greetings", (msg) => console.log(msg.from, "says", msg.data));
   *   await greetings.send(other, "hello");
   * }
   * ```
   */
  on(module: string, handler: (message: NetworkMessage) => void): ModuleChannel {
    if (module === "") {
      throw new TypeError('the module name "" is for recv(), for await and onMessage; pick a name');
    }
    const named = this.#module(module);
    if (named.handler) {
      throw new TypeError(
        `module "${module}" has a handler on this node already; remove that one first`,
      );
    }
    named.handler = handler;
    return {
      name: module,
      send: (to, data) => named.registration.send(to, data),
      remove: () => {
        if (named.handler === handler) named.handler = undefined;
      },
    };
  }

  /** The next message from any node. */
  recv(): Promise<NetworkMessage> {
    this.#reading = true;
    return this.#inbox.recv();
  }

  /** Iterates over messages as they arrive; ends when the network is closed. */
  [Symbol.asyncIterator](): AsyncIterator<NetworkMessage> {
    this.#reading = true;
    return this.#inbox[Symbol.asyncIterator]();
  }

  /**
   * Calls `listener` for every message sent to this node without a module name (as
   * {@link send} without one sends). Messages are also kept for `recv` and `for await`, except
   * while there are listeners and the application never read that way: then the listeners take
   * them and nothing piles up unread.
   */
  onMessage(listener: (message: NetworkMessage) => void): Subscription {
    const own = (message: NetworkMessage) => listener(message);
    this.#listeners.add(own);
    return { remove: () => this.#listeners.delete(own) };
  }

  /**
   * Calls `listener` with every failure that no `send` promise reports: a connection that
   * could not be set up or broke, a setup message that was forged (`peer-auth-failed`), a
   * peer's message refused here, or a message of this node that the peer refused after its
   * `send` had resolved (the error names the message by the number in its text).
   */
  onError(listener: (error: NetworkError) => void): Subscription {
    this.#errorListeners.add(listener);
    return { remove: () => this.#errorListeners.delete(listener) };
  }

  /**
   * Calls `listener` when a peer's data channel opens (`connected`) and when a connection ends
   * (`disconnected`, with the reason; also for an attempt that never opened).
   *
   * @example
   * ```ts
   * import type { Network } from "./api.ts";
   * function watch(net: Network) {
   *   net.onPeer((event) => console.log(event.type, event.id));
   *   console.log("connected now:", net.peers());
   * }
   * ```
   */
  onPeer(listener: (event: PeerEvent) => void): Subscription {
    return this.#peers.onPeer(listener);
  }

  /** The peers with an open data channel now. */
  peers(): NodeID[] {
    return this.#peers.peers();
  }

  /** Asks the signalling server for other nodes (a random subset on large networks). */
  async nodes(timeoutMs = 10_000): Promise<NodeInfo[]> {
    const reply = this.#next("nodes", timeoutMs);
    this.broker.enqueueIn({ type: "list" });
    const out = await reply;
    return out.type === "nodes" ? out.nodes : [];
  }

  /**
   * Every connection this node has or is setting up, with its status (a peer whose connection
   * ended and for which nothing waits is forgotten).
   */
  async connections(timeoutMs = 10_000): Promise<ConnectionInfo[]> {
    const reply = this.#next("connections", timeoutMs);
    this.broker.enqueueIn({ type: "status" });
    const out = await reply;
    return out.type === "connections" ? out.connections : [];
  }

  /**
   * Closes every connection; messages still queued are rejected with `closed`. Resolves once
   * the network reported itself closed (every connection ended), or after `timeoutMs`.
   */
  close(timeoutMs = 5_000): Promise<void> {
    this.#closed ??= (async () => {
      const closed = this.#next("closed", timeoutMs).catch(() => undefined);
      await this.broker.emitIn({ type: "close" });
      await closed;
      this.#inbox.close();
      this.broker.registrar.failAll(
        new NetworkError("closed", "the network was closed before the message was sent"),
      );
    })();
    return this.#closed;
  }

  /**
   * The application's module `name`, registered on first use. Throws a TypeError when the
   * name is not a module name or one of flnet's own modules holds it.
   */
  #module(name: string): NamedModule {
    let named = this.#modules.get(name);
    if (named) return named;
    const registration = this.broker.registrar.register(name, (message) => {
      if (!named!.handler) {
        return { code: "unknown-module", message: `no handler for module "${name}" there` };
      }
      named!.handler(message);
    });
    named = { registration };
    this.#modules.set(name, named);
    return named;
  }

  /**
   * A message sent without a module name: to the listeners, and kept for `recv` / `for await`,
   * or refused when the inbox is full.
   */
  #keep(message: NetworkMessage): MessageRefusal | undefined {
    for (const listener of this.#listeners) listener(message);
    if (this.#listeners.size > 0 && !this.#reading) return;
    // after close() nothing reads any more, and the application asked for that: not "full"
    if (this.#inbox.closed || this.#inbox.offer(message)) return;
    const unread = `${this.#inbox.size} messages, ${Math.ceil(this.#inbox.bytes / 1024)} KiB`;
    const error = new NetworkError(
      "receive-buffer-full",
      `refused a message from node ${U256.short(message.from)}: ${unread} wait unread; read ` +
        "with recv() or for await, or raise the receiveBuffer option",
      message.from,
    );
    if (this.#errorListeners.size === 0) this.#refusals.warn(error.message);
    for (const listener of this.#errorListeners) listener(error);
    return {
      code: "receive-buffer-full",
      message: `the application of node ${U256.short(this.id)} has ${unread} unread`,
    };
  }

  #observe(out: NetworkOut): void {
    if (out.type === "error") {
      const error = new NetworkError(out.code, out.message, out.to);
      for (const listener of this.#errorListeners) listener(error);
    }
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      if (this.#waiters[i].type === out.type) this.#waiters.splice(i, 1)[0].resolve(out);
    }
  }

  #next(type: NetworkOut["type"], timeoutMs: number): Promise<NetworkOut> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(new NetworkError("timeout", `no "${type}" answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        type,
        resolve: (out: NetworkOut) => {
          clearTimeout(timer);
          resolve(out);
        },
      };
      this.#waiters.push(waiter);
    });
  }
}

/**
 * A Node: one identity, its network, and the modules its config asks for, linked together and
 * persisted. The modules publish copies of their state; the Node keeps the latest of each as a
 * snapshot and tells subscribers when it changes, so a UI never reaches inside a module.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "../core/storage.ts";
 * import { SimulatedTimer } from "../core/timer.ts";
 * import { NetworkSim } from "../testing/network_sim.ts";
 * import { Node } from "./node.ts";
 * const sim = new NetworkSim(); // in-memory; nodeStart (flnet/node) gives a real network
 * const node = await Node.start({
 *   storage: new MemoryStorage(),
 *   timer: new SimulatedTimer(),
 *   startNetwork: (config) => Promise.resolve(sim.join(config.info)),
 * });
 * node.subscribe((snapshot) => console.log(snapshot.random?.connected.length));
 * await node.sendChat("hello"); // stored; it spreads once the node has neighbours
 * await node.close(100);
 * ```
 * @module
 */

import type { Subscription } from "../core/broker.ts";
import { directoryEntry } from "../modules/gossip/directory.ts";
import { type NeighbourList, neighbourList } from "../modules/gossip/neighbour_list.ts";
import { NodeConfig, type NodeConfigOptions, type NodeInfo } from "../core/config.ts";
import type { NodeID } from "../core/ids.ts";
import type { DataStorage } from "../core/storage.ts";
import type { NodeSettings } from "../core/node_settings.ts";
import { IntervalTimer, type Timer } from "../core/timer.ts";
import type { NetworkBroker } from "../net/network.ts";
import { type ModuleChannel, Network, type NetworkMessage } from "../net/api.ts";
import type { InboxLimits } from "../net/inbox.ts";
import type { PeerEvent } from "../net/peer_watch.ts";
import { CATEGORIES, type GossipEvent } from "../modules/gossip/event.ts";
import type { GossipConfig, GossipState } from "../modules/gossip/messages.ts";
import { addEvent, type GossipBroker, listEvents } from "../modules/gossip/module.ts";
import type { PingConfig, PingState } from "../modules/ping/messages.ts";
import type { PingBroker } from "../modules/ping/module.ts";
import type { RandomConfig, RandomState } from "../modules/random/messages.ts";
import type { RandomBroker } from "../modules/random/module.ts";
import type { StatConfig, StatState } from "../modules/stat/messages.ts";
import type { StatBroker } from "../modules/stat/module.ts";
import { NODE_MODULES, type NodeModules, wireModules } from "./wiring.ts";
import { type Room, Rooms, type RoomsOptions } from "./rooms.ts";

/** The latest state of every module the node runs. */
export interface NodeSnapshot {
  /** Random connections. */
  random?: RandomState;
  /** Gossip events. */
  gossip?: GossipState;
  /** Ping. */
  ping?: PingState;
  /** Connection statistics. */
  stat?: StatState;
}

/** A chat message from the gossip history. */
export interface ChatMessage {
  /** Who wrote it. */
  author: NodeID;
  /** The author's name, when the node directory knows it. */
  name?: string;
  /** When it was written, ms since 1970. */
  created: number;
  /** The text. */
  text: string;
}

/** Options of {@link Node.start}. */
export interface NodeOptions {
  /** Where the config (key `nodeConfig`) and module data are kept. */
  storage: DataStorage;
  /** Starts the network of a config and returns its broker once welcomed (`openNetwork`). */
  startNetwork: (config: NodeConfig) => Promise<NetworkBroker>;
  /** Ticks for the modules (a one-second `IntervalTimer` by default). */
  timer?: Timer;
  /** Used when the storage holds no config yet. */
  newConfig?: NodeConfigOptions;
  /**
   * Settings a person chose (e.g. from `settings.json`, as `nodeStart` reads it): they replace
   * the stored config's name and modules, and the stored config is updated.
   */
  settings?: NodeSettings;
  /** Module settings. */
  random?: Partial<RandomConfig>;
  /** Module settings. */
  gossip?: Partial<GossipConfig>;
  /** Module settings. */
  ping?: Partial<PingConfig>;
  /** Module settings. */
  stat?: Partial<StatConfig>;
  /**
   * Publish the node's neighbour list over gossip, at most once in this many ticks, so that
   * every node can draw the whole overlay ({@link Node.neighbourLists}). Default 0: never, as
   * it costs every node about 1 KB per node of the network per period (the demo uses 5).
   */
  neighbourListTicks?: number;
  /** Settings of the rooms ({@link Node.join}). */
  rooms?: RoomsOptions;
  /**
   * The most messages, and bytes, waiting for `node.network.recv()` (see
   * `NetworkStartOptions.receiveBuffer`).
   */
  receiveBuffer?: Partial<InboxLimits>;
  /** Called once the node has closed (e.g. to give up a lock on its storage). */
  onClosed?: () => void | Promise<void>;
}

/** A running node; see the module documentation. */
export class Node {
  readonly #snapshot: NodeSnapshot = {};
  readonly #listeners = new Set<(snapshot: NodeSnapshot) => void>();
  readonly #ownsTimer: boolean;
  readonly #onClosed: (() => void | Promise<void>) | undefined;
  /** The modules' links to the timer, removed on close. */
  readonly #timerLinks: Subscription[];
  /** The rooms, once one was joined. */
  #rooms: Rooms | undefined;
  readonly #roomOptions: RoomsOptions | undefined;

  private constructor(
    /** The node's identity. */
    readonly config: NodeConfig,
    /** The network the modules run on; `network.broker` is the Network broker. */
    readonly network: Network,
    /** The timer driving the modules. */
    readonly timer: Timer,
    ownsTimer: boolean,
    modules: NodeModules,
    options: Pick<NodeOptions, "onClosed" | "rooms">,
  ) {
    this.#ownsTimer = ownsTimer;
    this.#onClosed = options.onClosed;
    this.#roomOptions = options.rooms;
    this.#timerLinks = modules.timerLinks;
    this.random = modules.random;
    this.gossip = modules.gossip;
    this.ping = modules.ping;
    this.stat = modules.stat;
    const keep = <K extends keyof NodeSnapshot>(key: K, value: NodeSnapshot[K]) => {
      this.#snapshot[key] = value;
      for (const listener of this.#listeners) listener(this.snapshot());
    };
    this.random?.tapOut((out) => out.type === "state" ? keep("random", out.state) : undefined);
    this.gossip?.tapOut((out) => out.type === "state" ? keep("gossip", out.state) : undefined);
    this.ping?.tapOut((out) => out.type === "state" ? keep("ping", out.state) : undefined);
    this.stat?.tapOut((out) => out.type === "state" ? keep("stat", out.state) : undefined);
  }

  /** Random connections, when the config runs them. */
  readonly random?: RandomBroker;
  /** Gossip events (needs random). */
  readonly gossip?: GossipBroker;
  /** Ping (needs random). */
  readonly ping?: PingBroker;
  /** Connection statistics. */
  readonly stat?: StatBroker;

  /**
   * Loads (or creates and stores) the config, starts the network and the modules the config
   * lists (`random`, `gossip`, `ping`, `stat`; all of them for a new config unless
   * `newConfig.modules` says otherwise), links them, and announces the node's info over gossip.
   */
  static async start(options: NodeOptions): Promise<Node> {
    const config = await settled(
      options.storage,
      await NodeConfig.load(options.storage, "nodeConfig", {
        ...options.newConfig,
        modules: options.newConfig?.modules ?? [...NODE_MODULES],
      }),
      options.settings,
    );
    const network = new Network(config.id, await options.startNetwork(config), options);
    const timer = options.timer ?? new IntervalTimer();
    const modules = await wireModules({
      id: config.id,
      network: network.broker,
      timer: timer.broker,
      modules: config.info.modules,
      signer: config,
      storage: options.storage,
      random: options.random,
      gossip: options.gossip,
      ping: options.ping,
      stat: options.stat,
      neighbourListTicks: options.neighbourListTicks,
    });
    const node = new Node(config, network, timer, !options.timer, modules, options);
    await node.gossip?.emitIn({
      type: "add",
      category: CATEGORIES.nodeInfo,
      payload: JSON.stringify(config.info),
    });
    return node;
  }

  /** This node's id. */
  get id(): NodeID {
    return this.config.id;
  }

  /** A copy of every module's latest state. */
  snapshot(): NodeSnapshot {
    return structuredClone(this.#snapshot);
  }

  /** Calls `listener` with a new snapshot after every change. */
  subscribe(listener: (snapshot: NodeSnapshot) => void): Subscription {
    this.#listeners.add(listener);
    return { remove: () => this.#listeners.delete(listener) };
  }

  /** The nodes with an open connection. */
  connectedNodes(): NodeID[] {
    return [...(this.#snapshot.random?.connected ?? [])];
  }

  /**
   * Calls `listener` when a peer's data channel opens (`connected`, with how its setup went) and
   * when a connection ends (`disconnected`, with the reason), whichever module or application
   * call opened it; as `Network.onPeer`.
   *
   * @example
   * ```ts
   * import type { Node } from "./node.ts";
   * function watch(node: Node) {
   *   node.onPeer((event) => console.log(event.type, event.id));
   *   console.log("connected now:", node.peers());
   * }
   * ```
   */
  onPeer(listener: (event: PeerEvent) => void): Subscription {
    return this.network.onPeer(listener);
  }

  /**
   * Every peer with an open data channel now: the overlay's neighbours ({@link connectedNodes})
   * and the nodes the application talks to directly.
   */
  peers(): NodeID[] {
    return this.network.peers();
  }

  /** The node directory: every node whose signed info reached this node over gossip. */
  async knownNodes(): Promise<NodeInfo[]> {
    const events = await this.#events(CATEGORIES.nodeInfo);
    return events.flatMap((event) => {
      const info = directoryEntry(event);
      return info && info.pubkey !== this.id ? [info] : [];
    });
  }

  /**
   * The overlay as this node knows it: every node's latest signed neighbour list that reached it
   * over gossip (its own included, once published), each neighbour with how the connection was
   * set up. Only nodes started with `neighbourListTicks` publish theirs, at most once in that
   * many ticks, so the lists lag a little.
   */
  async neighbourLists(): Promise<NeighbourList[]> {
    const events = await this.#events(CATEGORIES.neighbours);
    return events.flatMap((event) => {
      const list = neighbourList(event);
      return list ? [list] : [];
    });
  }

  /**
   * Sends `data` to the node `to` for `module`, a module of the application (any name but
   * flnet's own, `gossip` and `ping`), connecting on demand: the other node's {@link on} handler
   * for that module gets it. Resolves once the message is handed to the data channel; rejects
   * with a `NetworkError` saying why it could not be, as `Network.send` does.
   *
   * @example
   * ```ts
   * import type { Node } from "./node.ts";
   * async function greet(node: Node, other: string) {
   *   node.on("greetings", (msg) => console.log(msg.from, "says", msg.data));
   *   await node.send(other, "hello", "greetings");
   * }
   * ```
   */
  send(to: NodeID | string, data: string | Uint8Array, module: string): Promise<void> {
    if (typeof module !== "string" || module === "") {
      return Promise.reject(new TypeError("a module name is a non-empty string"));
    }
    return this.network.send(to, data, module);
  }

  /**
   * Calls `handler` with every message other nodes send to this node for `module` (see
   * {@link send}); one handler per module name. The returned channel also sends under that
   * name; remove it to stop.
   */
  on(module: string, handler: (message: NetworkMessage) => void): ModuleChannel {
    return this.network.on(module, handler);
  }

  /**
   * Sends a chat message to every node (over gossip). Resolves once the message is signed and
   * stored in the node's storage, so it survives a crash from then on and spreads as gossip
   * reaches the other nodes (now, or once this node has neighbours again); rejects when it
   * could not be signed or stored.
   */
  async sendChat(text: string): Promise<void> {
    if (!this.gossip) throw new Error("this node does not run the gossip module");
    await addEvent(this.gossip, CATEGORIES.chat, text).catch((error) => {
      throw new Error(`the chat message was ${error.message}`);
    });
  }

  /**
   * Joins the room `topic` (or returns it, when already joined): publish to it, hear its other
   * members, see who they are (node/rooms.ts). Carried by gossip over the overlay, signed by
   * each author; needs the gossip module.
   *
   * @example
   * ```ts
   * import type { Node } from "./node.ts";
   * async function lobby(node: Node) {
   *   const room = await node.join("lobby");
   *   room.onMessage((message) => console.log(message.from, message.data));
   *   room.onMember((event) => console.log(event.id, event.type));
   *   await room.publish("hello, lobby");
   *   console.log("also here:", room.members());
   * }
   * ```
   */
  join(topic: string): Promise<Room> {
    if (!this.gossip) {
      return Promise.reject(
        new Error("rooms need the gossip module, which this node does not run"),
      );
    }
    this.#rooms ??= new Rooms(this.id, this.gossip, this.timer.broker, this.#roomOptions);
    return this.#rooms.join(topic);
  }

  /** The chat messages this node has, oldest first. */
  async chatHistory(): Promise<ChatMessage[]> {
    const names = new Map((await this.knownNodes()).map((n) => [n.pubkey, n.name]));
    names.set(this.id, this.config.info.name);
    return (await this.#events(CATEGORIES.chat)).map((event) => ({
      author: event.author,
      ...(names.has(event.author) ? { name: names.get(event.author) } : {}),
      created: event.created,
      text: event.payload,
    }));
  }

  /**
   * Leaves the node's rooms, stores what the modules hold, closes the network (what is queued
   * goes first), and the timer when the node made it.
   * Resolves once the network reported itself closed (every connection ended), or after
   * `timeoutMs`.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    for (const link of this.#timerLinks.splice(0)) link.remove();
    await this.#rooms?.close(); // the others hear it leave its rooms before its connections end
    if (this.#ownsTimer) this.timer.close();
    await this.gossip?.emitIn({ type: "flush" });
    try {
      await this.network.close(timeoutMs);
    } finally {
      await this.#onClosed?.();
    }
  }

  #events(category: string): Promise<GossipEvent[]> {
    return this.gossip ? listEvents(this.gossip, category) : Promise.resolve([]);
  }
}

/** `config` with `settings` applied, stored under `nodeConfig` when that changed it. */
async function settled(
  storage: DataStorage,
  config: NodeConfig,
  settings: NodeSettings | undefined,
): Promise<NodeConfig> {
  if (!settings) return config;
  const changed = await config.with(settings);
  if (JSON.stringify(changed.info) === JSON.stringify(config.info)) return config;
  await storage.set("nodeConfig", changed.encode());
  return changed;
}

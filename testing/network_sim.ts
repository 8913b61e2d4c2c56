/**
 * A simulated network, in memory, for unit tests of modules and scale tests: each node gets a
 * broker with the Network broker's inputs and outputs, and a hub delivers between them in
 * rounds. One round is one network hop: everything sent during a round arrives in the next.
 *
 * Real connections are covered by the WebRTC tests; this hub only has to behave like the
 * Network broker towards the modules: connect on demand, `connected`/`disconnected` on both
 * ends, messages handed to the receiver's registrar and each send settled in the sender's,
 * node lists, and optional message loss.
 * @module
 */

import type { NodeInfo } from "../core/config.ts";
import { type NodeID, U256 } from "../core/ids.ts";
import { type Rng, sample, seededRandom } from "../core/random.ts";
import { NetworkBroker, type NetworkIn, type NetworkOut } from "../net/network.ts";

/** Options of a {@link NetworkSim}. */
export interface NetworkSimOptions {
  /** Probability that a message is lost in transit (default 0). */
  loss?: number;
  /** Messages take 1 to this many rounds to arrive, at random (default 1: every message one). */
  maxDelayRounds?: number;
  /** Nodes per list reply, as the signalling server's `--max-list-len` (default 50). */
  maxListLength?: number;
  /** Randomness (seeded by default, so a run repeats). */
  rng?: Rng;
  /**
   * Waits until every node is idle after a round. By default each node's broker is settled;
   * when all nodes hang off one linked component (a shared timer), settling it once is
   * enough and much faster for large networks.
   */
  settle?: () => Promise<void>;
}

/** How the connections the hub opened would have been set up on a real network. */
export interface SimSetups {
  /** To a node reachable through a neighbour: through the overlay, no signalling server. */
  overlay: number;
  /** To any other node: through the signalling server. */
  server: number;
  /** Of all these, the ones among the first two a node opened. */
  firstTwo: number;
  /** Of those, the ones that would have gone through the overlay. */
  firstTwoOverlay: number;
}

/** Traffic counted by the hub. */
export interface SimTraffic {
  /** Messages delivered or lost. */
  messages: number;
  /** Their payload bytes (UTF-8 for text). */
  bytes: number;
}

interface SimNode {
  /** A muted node stays connected, but everything it sends is lost (a hung process). */
  muted: boolean;
  /** Connections this node opened. */
  opened: number;
  info: NodeInfo;
  broker: NetworkBroker;
  peers: Set<NodeID>;
}

const encoder = new TextEncoder();

/** The hub: nodes join and leave, and {@link round} moves everything one hop. */
export class NetworkSim {
  readonly #nodes = new Map<NodeID, SimNode>();
  /** Deliveries by the number of rounds from now they are due in (index 0: the next). */
  #due: (() => void)[][] = [];
  readonly #rng: Rng;
  readonly #loss: number;
  readonly #maxDelay: number;
  readonly #maxList: number;
  readonly #settle: (() => Promise<void>) | undefined;
  /** Traffic of all nodes. */
  readonly traffic: SimTraffic = { messages: 0, bytes: 0 };
  /** Traffic by the node that sent it. */
  readonly sentBy: Map<NodeID, SimTraffic> = new Map();
  /** Connections opened, by the way their setup would have gone. */
  readonly setups: SimSetups = { overlay: 0, server: 0, firstTwo: 0, firstTwoOverlay: 0 };
  /** Nodes whose set of nodes reachable through a neighbour may have changed this round. */
  readonly #dirty = new Set<NodeID>();

  /** Creates an empty network. */
  constructor(options: NetworkSimOptions = {}) {
    this.#rng = options.rng ?? seededRandom(1);
    this.#loss = options.loss ?? 0;
    this.#maxDelay = Math.max(1, Math.trunc(options.maxDelayRounds ?? 1));
    this.#maxList = options.maxListLength ?? 50;
    this.#settle = options.settle;
  }

  /** Adds a node and returns its network broker (it reports `signal ready` in the next round). */
  join(info: NodeInfo = simInfo()): NetworkBroker {
    const id = info.pubkey as NodeID;
    const broker = new NetworkBroker(`sim:${U256.short(id)}`);
    const node: SimNode = {
      muted: false,
      opened: 0,
      info,
      broker,
      peers: new Set(),
    };
    this.#nodes.set(id, node);
    broker.addHandler({ messages: (batch) => batch.flatMap((msg) => this.#handle(node, msg)) });
    this.#later(() => broker.enqueueOut({ type: "signal", state: "ready" }));
    return broker;
  }

  /** Takes a node off the network at once; its peers see it disconnect in the next round. */
  leave(id: NodeID): void {
    const node = this.#nodes.get(id);
    if (!node) return;
    this.#nodes.delete(id);
    for (const peer of node.peers) {
      const other = this.#nodes.get(peer);
      if (!other) continue;
      other.peers.delete(id);
      this.#changed(peer);
      this.#later(() => other.broker.enqueueOut({ type: "disconnected", id, reason: "left" }));
    }
    node.peers.clear();
  }

  /** Makes a node hang: its connections stay up, but nothing it sends arrives. */
  mute(id: NodeID): void {
    const node = this.#nodes.get(id);
    if (node) node.muted = true;
  }

  /** The ids of the nodes online. */
  ids(): NodeID[] {
    return [...this.#nodes.keys()];
  }

  /** The open connections of `id`. */
  peersOf(id: NodeID): NodeID[] {
    return [...(this.#nodes.get(id)?.peers ?? [])];
  }

  /** True when every online node can reach every other over open connections. */
  connected(): boolean {
    const ids = this.ids();
    if (ids.length <= 1) return true;
    const seen = new Set([ids[0]]);
    const todo = [ids[0]];
    while (todo.length > 0) {
      for (const peer of this.#nodes.get(todo.pop()!)!.peers) {
        if (!seen.has(peer)) {
          seen.add(peer);
          todo.push(peer);
        }
      }
    }
    return seen.size === ids.length;
  }

  /** The number of deliveries waiting for later rounds. */
  get pending(): number {
    return this.#due.reduce((sum, list) => sum + list.length, 0);
  }

  /** Delivers what was sent in the last round, and lets every node process it. */
  async round(): Promise<void> {
    this.#tellReachable();
    const now = this.#due.shift() ?? [];
    for (const deliver of now) deliver();
    if (this.#settle) await this.#settle();
    else await Promise.all([...this.#nodes.values()].map((node) => node.broker.settle()));
  }

  /** The connections of `ids` changed: they and their neighbours learn what they reach. */
  #changed(...ids: NodeID[]): void {
    for (const id of ids) {
      this.#dirty.add(id);
      for (const peer of this.#nodes.get(id)?.peers ?? []) this.#dirty.add(peer);
    }
  }

  /** Tells each node whose neighbours' neighbours may have changed what it now reaches. */
  #tellReachable(): void {
    for (const id of this.#dirty) {
      const node = this.#nodes.get(id);
      if (!node) continue;
      const reachable = new Set<NodeID>();
      const groups: NodeID[][] = [];
      for (const peer of node.peers) {
        const group = [...this.#nodes.get(peer)?.peers ?? []].filter((far) =>
          far !== id && !node.peers.has(far)
        );
        for (const far of group) reachable.add(far);
        if (group.length > 0) groups.push(group);
      }
      node.broker.enqueueOut({ type: "reachable", ids: [...reachable], groups });
    }
    this.#dirty.clear();
  }

  #later(deliver: () => void, delay = 1): void {
    while (this.#due.length < delay) this.#due.push([]);
    this.#due[delay - 1].push(deliver);
  }

  #handle(node: SimNode, msg: NetworkIn): NetworkOut[] {
    const self = node.info.pubkey as NodeID;
    if (this.#nodes.get(self) !== node) return []; // it left: its requests go nowhere
    switch (msg.type) {
      case "connect":
        this.#connect(node, msg.to);
        return [];
      case "disconnect":
        if (node.peers.delete(msg.to)) {
          const other = this.#nodes.get(msg.to);
          other?.peers.delete(self);
          this.#changed(self, msg.to);
          this.#later(() => {
            node.broker.enqueueOut({
              type: "disconnected",
              id: msg.to,
              reason: "closed by this node",
            });
            other?.broker.enqueueOut({
              type: "disconnected",
              id: self,
              reason: "closed by the peer",
            });
          });
        }
        return [];
      case "send": {
        const { id, to } = msg;
        const registrar = node.broker.registrar;
        if (!this.#nodes.has(to)) {
          registrar.failed(
            id,
            "no-route",
            `node ${U256.short(to)} is not in the simulated network`,
            to,
          );
          return [];
        }
        if (msg.connect === false && !node.peers.has(to)) {
          registrar.failed(id, "not-connected", `no open connection to ${U256.short(to)}`, to);
          return [];
        }
        this.#connect(node, msg.to);
        const bytes = typeof msg.data === "string"
          ? encoder.encode(msg.data).length
          : msg.data.length;
        this.traffic.messages++;
        this.traffic.bytes += bytes;
        const mine = this.sentBy.get(self) ?? { messages: 0, bytes: 0 };
        mine.messages++;
        mine.bytes += bytes;
        this.sentBy.set(self, mine);
        const lost = node.muted || (this.#loss > 0 && this.#rng() < this.#loss);
        const delay = 1 + Math.floor(this.#rng() * this.#maxDelay);
        this.#later(() => {
          const target = this.#nodes.get(msg.to);
          if (!lost && target?.peers.has(self)) {
            target.broker.registrar.deliver(self, msg.module, msg.data, id);
          }
        }, delay);
        registrar.sent(id);
        return [];
      }
      case "list": {
        const others = [...this.#nodes.values()].filter((n) => n !== node).map((n) => n.info);
        this.#later(() =>
          node.broker.enqueueOut({ type: "nodes", nodes: sample(others, this.#maxList, this.#rng) })
        );
        return [];
      }
      case "refuse": // the sender hears of it as a real one does, by its send's id
        this.#later(() => {
          const sender = this.#nodes.get(msg.to)?.broker;
          const message = `node ${U256.short(self)} refused message ${msg.ref}: ${msg.message}`;
          if (sender && !sender.registrar.failed(msg.ref, msg.code, message, self)) {
            sender.enqueueOut({ type: "error", code: msg.code, to: self, id: msg.ref, message });
          }
        });
        return [];
      case "status":
        return [{ type: "connections", connections: [] }];
      case "stats":
      case "retry": // there is no signalling server to reconnect to
        return [];
      case "close":
        this.leave(self);
        return [{ type: "closed" }];
    }
  }

  /** Opens a connection in the next round (both ends see `connected`), or fails it. */
  #connect(node: SimNode, to: NodeID): void {
    const self = node.info.pubkey as NodeID;
    if (node.peers.has(to) || to === self) return;
    const other = this.#nodes.get(to);
    if (!other) {
      this.#later(() =>
        node.broker.enqueueOut({
          type: "error",
          code: "no-route",
          to,
          message: `node ${U256.short(to)} is not in the simulated network`,
        })
      );
      return;
    }
    const viaNeighbour = [...node.peers].some((peer) => this.#nodes.get(peer)?.peers.has(to));
    this.setups[viaNeighbour ? "overlay" : "server"]++;
    if (node.opened++ < 2) {
      this.setups.firstTwo++;
      if (viaNeighbour) this.setups.firstTwoOverlay++;
    }
    node.peers.add(to);
    other.peers.add(self);
    this.#changed(self, to);
    this.#later(() => {
      const via = viaNeighbour ? "overlay" : "server";
      node.broker.enqueueOut({ type: "connected", id: to, via });
      other.broker.enqueueOut({ type: "connected", id: self, via });
    });
  }
}

/** A NodeInfo with a random id, for nodes that need no real key. */
export function simInfo(name = "sim"): NodeInfo {
  return { name, client: "flnet/sim", pubkey: U256.random(), modules: [] };
}

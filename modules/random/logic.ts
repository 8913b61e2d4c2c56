/**
 * The decisions of the random connections module, without a broker: each input gives the
 * outputs it causes, so the logic is tested by calling it.
 *
 * A node aims for a degree between `target` and `2 · target`, where
 * `target = max(minDegree, ceil(2 · ln(N)))` for N known nodes (capped at N - 1). When every
 * node connects to random others until it has `target` connections, the union is a random
 * graph whose minimum degree grows like log N: connected with high probability, and still
 * connected when a large part of the nodes leaves. (fledger's `ceil(2 · ln n) / 2` per node
 * came from a formula for another kind of random graph; its own README says so.)
 * @module
 */

import type { NodeInfo } from "../../core/config.ts";
import type { NodeID } from "../../core/ids.ts";
import { type Rng, sample, secureRandom } from "../../core/random.ts";
import type { NetworkOut } from "../../net/network.ts";
import {
  RANDOM_DEFAULTS,
  type RandomConfig,
  type RandomIn,
  type RandomOut,
  type RandomState,
} from "./messages.ts";

/** How many connections a node without neighbours opens before it looks for more. */
const FIRST_CONNECTIONS = 2;
/**
 * How many ticks a node with its first connections waits to hear whom they reach before it
 * connects to anyone else (they may have no other neighbours).
 */
const REACHABLE_WAIT_TICKS = 3;

/** The degree a node aims for when it knows `known` other nodes. */
export function targetDegree(known: number, minDegree: number = RANDOM_DEFAULTS.minDegree): number {
  if (known <= 0) return 0;
  return Math.min(known, Math.max(minDegree, Math.ceil(2 * Math.log(known + 1))));
}

/** The state and decisions of one node's random connections. */
export class RandomLogic {
  readonly #self: NodeID;
  readonly #config: RandomConfig;
  readonly #rng: Rng;
  /**
   * Nodes heard of from the server, the directory and connections, the one heard of longest ago
   * first. Not from neighbours' lists: those are {@link #reachable}, which a neighbour's next
   * list replaces, so a neighbour that lists made-up ids cannot fill this table with them.
   */
  readonly #known = new Set<NodeID>();
  readonly #connected = new Map<NodeID, number>();
  readonly #connecting = new Map<NodeID, number>();
  readonly #cooldown = new Map<NodeID, number>();
  /** Nodes reported failed (unresponsive), refused until the tick given. */
  readonly #refused = new Map<NodeID, number>();
  /** Nodes reachable through a neighbour, as the network last said (at most 1,024). */
  #reachable = new Set<NodeID>();
  /** The same, by the neighbour whose list named them. */
  #groups: NodeID[][] = [];
  /**
   * Nodes known not to run what a neighbour needs (`needs`), the one learnt longest ago first;
   * at most `maxKnown`.
   */
  readonly #unfit = new Set<NodeID>();
  /** Nodes this module asked the network to connect to, while their connection lasts. */
  readonly #asked = new Set<NodeID>();
  /** The tick when this node last had no connection. */
  #aloneAt = 0;
  #tick = 0;
  #lastList = -Infinity;
  #published = "";
  #publishedConnected = "";

  /** Starts knowing no node. */
  constructor(self: NodeID, config: Partial<RandomConfig> = {}, rng: Rng = secureRandom) {
    this.#self = self;
    this.#config = { ...RANDOM_DEFAULTS, ...config };
    this.#rng = rng;
  }

  /** The current state. */
  get state(): RandomState {
    return {
      connected: [...this.#connected.keys()],
      connecting: [...this.#connecting.keys()],
      known: this.#known.size,
      target: targetDegree(this.#candidateCount(), this.#config.minDegree),
    };
  }

  /** Takes one input and returns what it causes. */
  handle(msg: RandomIn): RandomOut[] {
    const out: RandomOut[] = [];
    switch (msg.type) {
      case "network":
        this.#fromNetwork(msg.out, out);
        break;
      case "tick":
        this.#onTick(out);
        break;
      case "failed":
        this.#refused.set(msg.id, this.#tick + this.#config.cooldownTicks);
        if (this.#connected.has(msg.id) || this.#connecting.has(msg.id)) {
          this.#drop(msg.id, out, true);
          this.#fill(out);
        }
        break;
    }
    this.#publish(out);
    return out;
  }

  /** How many nodes this node could connect to: known ones and those reachable through a neighbour. */
  #candidateCount(): number {
    let count = this.#known.size;
    for (const id of this.#reachable) if (!this.#known.has(id)) count++;
    return count;
  }

  /** Remembers `id` as the node heard of last; forgets the oldest past `maxKnown`. */
  #heardOf(id: NodeID): void {
    this.#known.delete(id);
    this.#known.add(id);
    for (const oldest of this.#known) {
      if (this.#known.size <= this.#config.maxKnown) break;
      if (!this.#connected.has(oldest) && !this.#connecting.has(oldest)) {
        this.#known.delete(oldest);
      }
    }
  }

  /** Remembers `id` as a node that does not run what a neighbour needs, and forgets it as one. */
  #notFit(id: NodeID, out: RandomOut[]): void {
    this.#unfit.delete(id);
    this.#unfit.add(id);
    if (this.#unfit.size > this.#config.maxKnown) {
      this.#unfit.delete(this.#unfit.values().next().value!);
    }
    this.#known.delete(id);
    this.#reachable.delete(id);
    const neighbour = this.#connected.delete(id) || this.#connecting.delete(id);
    // a connection this module opened is its to close; another's (the application's) stays
    if (neighbour && this.#asked.delete(id)) {
      out.push({ type: "network", in: { type: "disconnect", to: id } });
    }
  }

  /** True when `info` announces every module a neighbour needs. */
  #fit(info: NodeInfo): boolean {
    return this.#config.needs.every((name) => info.modules.includes(name));
  }

  #fromNetwork(event: NetworkOut, out: RandomOut[]): void {
    switch (event.type) {
      case "signal":
        if (event.state === "ready") this.#askList(out);
        return;
      case "nodes":
        for (const node of event.nodes) {
          const id = node.pubkey as NodeID;
          if (id === this.#self) continue;
          if (this.#fit(node)) {
            this.#unfit.delete(id);
            this.#heardOf(id);
          } else this.#notFit(id, out);
        }
        return this.#fill(out);
      case "reachable":
        this.#groups = event.groups.map((group) =>
          group.filter((id) => id !== this.#self && !this.#unfit.has(id))
        );
        this.#reachable = new Set(this.#groups.flat());
        return this.#fill(out);
      case "connected":
        if (this.#unfit.has(event.id)) return; // the application's connection, not a neighbour
        if (this.#refused.has(event.id)) {
          // A node reported unresponsive came back on its own: not before its cooldown ends.
          out.push({ type: "network", in: { type: "disconnect", to: event.id } });
          return;
        }
        this.#connecting.delete(event.id);
        this.#heardOf(event.id);
        this.#connected.set(event.id, this.#tick);
        return this.#trim(out);
      case "disconnected": {
        // an attempt that failed before it opened is not tried again until its cooldown ends
        // (else two nodes that cannot connect would offer each other again at once, for ever)
        const failedSetup = this.#connecting.has(event.id); // connecting, never connected
        this.#connected.delete(event.id);
        this.#connecting.delete(event.id);
        this.#asked.delete(event.id);
        if (failedSetup) this.#cooldown.set(event.id, this.#tick + this.#config.cooldownTicks);
        return this.#fill(out);
      }
      case "error": {
        if (event.to && event.code === "unknown-module") {
          // a module of the overlay sent it a message it had no module for
          this.#notFit(event.to, out);
          return this.#fill(out);
        }
        if (event.to && this.#connecting.has(event.to)) {
          this.#connecting.delete(event.to);
          this.#cooldown.set(event.to, this.#tick + this.#config.cooldownTicks);
          if (event.code === "no-route") this.#known.delete(event.to);
          this.#fill(out);
        }
        return;
      }
    }
  }

  #onTick(out: RandomOut[]): void {
    this.#tick++;
    for (const [id, since] of this.#connecting) {
      if (this.#tick - since >= this.#config.connectingTimeoutTicks) this.#drop(id, out, true);
    }
    for (const [id, until] of this.#cooldown) if (until <= this.#tick) this.#cooldown.delete(id);
    for (const [id, until] of this.#refused) if (until <= this.#tick) this.#refused.delete(id);
    const { churnTicks, listTicks } = this.#config;
    if (churnTicks > 0 && this.#tick % churnTicks === 0 && this.#connected.size > 0) {
      const [victim] = sample([...this.#connected.keys()], 1, this.#rng);
      this.#drop(victim, out, true);
    }
    // once neighbours reach others, they and the gossip directory tell of nodes: the server's
    // list is asked for only while that is not so
    const alone = this.#connected.size < FIRST_CONNECTIONS || this.#reachable.size === 0;
    if (alone && this.#tick - this.#lastList >= listTicks) this.#askList(out);
    this.#fill(out);
  }

  /**
   * Connects to random known nodes until the degree reaches the target: each new connection
   * goes to a node reachable through a neighbour with the chance `overlayPreference` (when there
   * is one), else to any known node. A node without neighbours connects to two first and waits
   * (up to three ticks) to hear whom they reach: the rest then need no signalling server.
   */
  #fill(out: RandomOut[]): void {
    const target = targetDegree(this.#candidateCount(), this.#config.minDegree);
    let missing = target - this.#connected.size - this.#connecting.size;
    if (this.#connected.size === 0) this.#aloneAt = this.#tick;
    const starting = this.#reachable.size === 0 &&
      this.#tick - this.#aloneAt < REACHABLE_WAIT_TICKS;
    if (starting && this.#config.overlayPreference > 0) {
      missing = Math.min(missing, FIRST_CONNECTIONS - this.#connected.size - this.#connecting.size);
    }
    if (missing <= 0) return;
    const free = (id: NodeID) =>
      !this.#connected.has(id) && !this.#connecting.has(id) && !this.#cooldown.has(id);
    const candidates = new Set([...this.#known, ...this.#reachable].filter(free));
    const short = candidates.size < missing;
    for (let i = 0; i < missing && candidates.size > 0; i++) {
      // through a neighbour: a neighbour first, then one of the nodes its list names, so no
      // neighbour weighs more than another however many ids it lists; else any known node
      const groups = this.#groups.map((group) => group.filter((id) => candidates.has(id)))
        .filter((group) => group.length > 0);
      const known = [...candidates].filter((id) => this.#known.has(id));
      const [id] = groups.length > 0 && this.#rng() < this.#config.overlayPreference
        ? sample(sample(groups, 1, this.#rng)[0], 1, this.#rng)
        : sample(known.length > 0 ? known : [...candidates], 1, this.#rng);
      candidates.delete(id);
      this.#connecting.set(id, this.#tick);
      this.#asked.add(id);
      out.push({ type: "network", in: { type: "connect", to: id } });
    }
    if (short && this.#tick - this.#lastList >= 5) this.#askList(out);
  }

  /** Drops random connections above twice the target. */
  #trim(out: RandomOut[]): void {
    const limit = 2 * targetDegree(this.#candidateCount(), this.#config.minDegree);
    const surplus = this.#connected.size - limit;
    if (surplus <= 0) return;
    for (const id of sample([...this.#connected.keys()], surplus, this.#rng)) {
      this.#drop(id, out, false);
    }
  }

  #drop(id: NodeID, out: RandomOut[], cooldown: boolean): void {
    this.#connected.delete(id);
    this.#connecting.delete(id);
    this.#asked.delete(id);
    if (cooldown) this.#cooldown.set(id, this.#tick + this.#config.cooldownTicks);
    out.push({ type: "network", in: { type: "disconnect", to: id } });
  }

  #askList(out: RandomOut[]): void {
    this.#lastList = this.#tick;
    out.push({ type: "network", in: { type: "list" } });
  }

  #publish(out: RandomOut[]): void {
    const state = this.state;
    const connected = state.connected.join();
    const all = `${connected}|${state.connecting.join()}|${state.known}|${state.target}`;
    if (connected !== this.#publishedConnected) {
      this.#publishedConnected = connected;
      out.push({ type: "connected", ids: state.connected });
    }
    if (all !== this.#published) {
      this.#published = all;
      out.push({ type: "state", state });
    }
  }
}

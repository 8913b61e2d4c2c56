/**
 * Many nodes on one simulated network with one shared simulated timer: each node's modules are
 * made and linked by the same `wireModules` a real `Node` uses, so a scale test here tests the
 * wiring too. For scale tests, simulations of a module of your own, and the gossip benchmark.
 * @module
 */

import type { Subscription } from "../core/broker.ts";
import type { NodeConfig } from "../core/config.ts";
import type { NodeID } from "../core/ids.ts";
import { seededRandom } from "../core/random.ts";
import { SimulatedTimer } from "../core/timer.ts";
import type { NetworkBroker } from "../net/network.ts";
import type { GossipBroker } from "../modules/gossip/module.ts";
import type { GossipState } from "../modules/gossip/messages.ts";
import type { PingBroker } from "../modules/ping/module.ts";
import type { PingConfig } from "../modules/ping/messages.ts";
import type { RandomBroker } from "../modules/random/module.ts";
import type { RandomConfig, RandomState } from "../modules/random/messages.ts";
import { wireModules } from "../node/wiring.ts";
import { NetworkSim, simInfo } from "./network_sim.ts";

/** One simulated node. */
export interface SimNode {
  /** Its id. */
  id: NodeID;
  /** Its network broker on the simulated network (send through it as a module would). */
  network: NetworkBroker;
  /** Its random connections. */
  random: RandomBroker;
  /** Its gossip, when the overlay runs gossip. */
  gossip?: GossipBroker;
  /** Its ping, when the overlay runs ping. */
  ping?: PingBroker;
  /** Nodes this node's ping reported as failed. */
  failed: NodeID[];
  /** The latest state of its random connections. */
  randomState?: RandomState;
  /** The latest state of its gossip. */
  gossipState?: GossipState;
  /** Ids of the gossip events this node has seen. */
  seen: Set<string>;
  /** Its modules' links to the overlay's timer (removed when it leaves). */
  timerLinks: Subscription[];
}

/** A simulated overlay of nodes. */
export interface Overlay {
  /** The simulated network. */
  sim: NetworkSim;
  /** The timer every node's modules listen to. */
  timer: SimulatedTimer;
  /** The nodes online. */
  nodes: Map<NodeID, SimNode>;
  /** Adds a node (with `signer` as its identity when given). */
  join(signer?: NodeConfig): Promise<SimNode>;
  /** Delivers until nothing is in flight (at most `max` rounds); returns the rounds used. */
  drain(max?: number): Promise<number>;
  /** One tick, then rounds until nothing is in flight. */
  step(): Promise<void>;
  /** Takes a node off the network. */
  leave(id: NodeID): void;
}

/** Options of {@link overlay}. */
export interface OverlayOptions {
  /** Seeds every random choice, so a run repeats (default 1). */
  seed?: number;
  /** Run gossip on every node. */
  gossip?: boolean;
  /** Run ping on every node, with these settings. */
  ping?: Partial<PingConfig>;
  /** Probability that a message is lost in transit (default 0). */
  loss?: number;
  /** Messages take 1 to this many rounds to arrive (default 1). */
  maxDelayRounds?: number;
  /** Settings of every node's random connections. */
  random?: Partial<RandomConfig>;
  /**
   * Nodes with a signer publish their neighbour lists at most once in this many ticks (default
   * 0: never).
   */
  neighbourListTicks?: number;
}

/** Builds an overlay; `gossip: true` and `ping: {…}` add those modules to every node. */
export function overlay(options: OverlayOptions = {}): Overlay {
  const seed = options.seed ?? 1;
  const timer = new SimulatedTimer();
  const sim = new NetworkSim({
    rng: seededRandom(seed),
    loss: options.loss,
    maxDelayRounds: options.maxDelayRounds,
    settle: () => timer.broker.settle(),
  });
  const nodes = new Map<NodeID, SimNode>();

  const join = async (signer?: NodeConfig): Promise<SimNode> => {
    const runs = [
      "random",
      ...(options.gossip ? ["gossip"] : []),
      ...(options.ping ? ["ping"] : []),
    ];
    // announced to the simulated server as a real node announces what it runs
    const info = { ...(signer ? signer.info : simInfo()), modules: runs };
    const id = info.pubkey as NodeID;
    const network = sim.join(info);
    const modules = await wireModules({
      id,
      network,
      timer: timer.broker,
      modules: runs,
      signer,
      ping: options.ping,
      random: options.random,
      neighbourListTicks: options.neighbourListTicks,
      rng: {
        random: seededRandom(seed + nodes.size + 1),
        gossip: seededRandom(seed * 7 + nodes.size),
      },
    });
    const node: SimNode = {
      id,
      network,
      random: modules.random!,
      seen: new Set(),
      failed: [],
      timerLinks: modules.timerLinks,
    };
    node.random.tapOut((out) => {
      if (out.type === "state") node.randomState = out.state;
    });
    node.gossip = modules.gossip;
    node.gossip?.tapOut((out) => {
      if (out.type === "state") node.gossipState = out.state;
      if (out.type === "new-event") node.seen.add(out.event.id);
    });
    node.ping = modules.ping;
    node.ping?.tapOut((out) => {
      if (out.type === "failed") node.failed.push(out.id);
    });
    nodes.set(id, node);
    return node;
  };

  const drain = async (max = 100): Promise<number> => {
    let rounds = 0;
    while (sim.pending > 0 && rounds < max) {
      await sim.round();
      rounds++;
    }
    return rounds;
  };

  const step = async () => {
    await timer.tick();
    await drain();
  };

  const leave = (id: NodeID) => {
    sim.leave(id);
    for (const link of nodes.get(id)?.timerLinks ?? []) link.remove();
    nodes.delete(id);
  };

  return { sim, timer, nodes, join, drain, step, leave };
}

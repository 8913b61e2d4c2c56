/**
 * Many nodes' modules on one simulated network with one shared simulated timer, for scale
 * tests and the gossip benchmark (test support, not product code).
 * @module
 */

import type { NodeConfig } from "../../core/config.ts";
import type { NodeID } from "../../core/ids.ts";
import { seededRandom } from "../../core/random.ts";
import { SimulatedTimer } from "../../core/timer.ts";
import {
  type GossipBroker,
  linkGossipToRandom,
  linkGossipToTimer,
  startGossip,
} from "../../modules/gossip/module.ts";
import type { GossipState } from "../../modules/gossip/messages.ts";
import type { RandomState } from "../../modules/random/messages.ts";
import type { PingConfig } from "../../modules/ping/messages.ts";
import {
  linkPingToRandom,
  linkPingToTimer,
  type PingBroker,
  startPing,
} from "../../modules/ping/module.ts";
import {
  linkRandomToNetwork,
  linkRandomToTimer,
  type RandomBroker,
  startRandom,
} from "../../modules/random/module.ts";
import { NetworkSim, simInfo } from "./network_sim.ts";

/** One simulated node. */
export interface SimNode {
  id: NodeID;
  random: RandomBroker;
  gossip?: GossipBroker;
  ping?: PingBroker;
  /** Nodes this node's ping reported as failed. */
  failed: NodeID[];
  randomState?: RandomState;
  gossipState?: GossipState;
  /** Ids of the gossip events this node has seen. */
  seen: Set<string>;
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

/** Builds an overlay; `gossip: true` and `ping: {…}` add those modules to every node. */
export function overlay(
  options: {
    seed?: number;
    gossip?: boolean;
    ping?: Partial<PingConfig>;
    loss?: number;
    maxDelayRounds?: number;
  } = {},
): Overlay {
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
    const info = signer ? signer.info : simInfo();
    const id = info.pubkey as NodeID;
    const node: SimNode = {
      id,
      random: startRandom(id, {}, seededRandom(seed + nodes.size + 1)),
      seen: new Set(),
      failed: [],
    };
    node.random.tapOut((out) => {
      if (out.type === "state") node.randomState = out.state;
    });
    linkRandomToNetwork(node.random, sim.join(info));
    linkRandomToTimer(timer.broker, node.random);
    if (options.gossip) {
      node.gossip = await startGossip(signer, { rng: seededRandom(seed * 7 + nodes.size) });
      node.gossip.tapOut((out) => {
        if (out.type === "state") node.gossipState = out.state;
        if (out.type === "new-event") node.seen.add(out.event.id);
      });
      linkGossipToRandom(node.gossip, node.random);
      linkGossipToTimer(timer.broker, node.gossip);
    }
    if (options.ping) {
      node.ping = startPing(options.ping);
      node.ping.tapOut((out) => {
        if (out.type === "failed") node.failed.push(out.id);
      });
      linkPingToRandom(node.ping, node.random);
      linkPingToTimer(timer.broker, node.ping);
    }
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
    nodes.delete(id);
  };

  return { sim, timer, nodes, join, drain, step, leave };
}

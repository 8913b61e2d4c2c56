/**
 * The one place where a node's modules are created and linked: to the network, to the timer
 * and to each other. `Node` uses it, and so does the in-memory simulation (`flnet/testing`),
 * so what is tested in the simulation is wired exactly as a real node is.
 *
 * - random connections chooses the neighbours, and tells gossip and ping who they are;
 * - gossip and ping send and receive through the network directly, each under its name;
 * - ping's `failed` goes to random connections, which replaces that neighbour;
 * - stat asks the network for statuses and keeps ping's round-trip times;
 * - a node that signs publishes its neighbour list over gossip (node/neighbour_lists.ts).
 * @module
 */

import { directoryEntry } from "../modules/gossip/directory.ts";
import { publishNeighbourLists } from "./neighbour_lists.ts";
import type { Broker, Subscription } from "../core/broker.ts";
import type { NodeConfig } from "../core/config.ts";
import type { NodeID } from "../core/ids.ts";
import type { Rng } from "../core/random.ts";
import type { DataStorage } from "../core/storage.ts";
import type { TimerBroker } from "../core/timer.ts";
import type { NetworkBroker } from "../net/network.ts";
import { GOSSIP_MODULE, type GossipConfig } from "../modules/gossip/messages.ts";
import {
  type GossipBroker,
  linkGossipToNetwork,
  linkGossipToTimer,
  startGossip,
} from "../modules/gossip/module.ts";
import { PING_MODULE, type PingConfig } from "../modules/ping/messages.ts";
import {
  linkPingToNetwork,
  linkPingToTimer,
  type PingBroker,
  startPing,
} from "../modules/ping/module.ts";
import type { RandomConfig, RandomIn } from "../modules/random/messages.ts";
import {
  linkRandomToNetwork,
  linkRandomToTimer,
  type RandomBroker,
  startRandom,
} from "../modules/random/module.ts";
import type { StatConfig, StatIn } from "../modules/stat/messages.ts";
import {
  linkStatToNetwork,
  linkStatToTimer,
  startStat,
  type StatBroker,
} from "../modules/stat/module.ts";

/** The modules a node can run; a node announces the ones it runs in its info. */
export const NODE_MODULES = ["random", "gossip", "ping", "stat"] as const;

/** One of {@link NODE_MODULES}. */
export type NodeModuleName = typeof NODE_MODULES[number];

/** The modules of one node, as {@link wireModules} made them. */
export interface NodeModules {
  /** Random connections (run when any module of the overlay runs). */
  random?: RandomBroker;
  /** Gossip events. */
  gossip?: GossipBroker;
  /** Ping. */
  ping?: PingBroker;
  /** Connection statistics. */
  stat?: StatBroker;
  /** The module names whose messages this node takes. */
  names: Set<string>;
  /**
   * The modules' links to the timer (and the taps that pace with it): removed when the node
   * closes, so that a timer shared by
   * several nodes neither ticks a closed node's modules nor keeps them in memory.
   */
  timerLinks: Subscription[];
}

/** What {@link wireModules} needs. */
export interface WiringOptions {
  /** The node's id. */
  id: NodeID;
  /** The network the modules run on. */
  network: NetworkBroker;
  /** The ticks for the modules. */
  timer: TimerBroker;
  /** Which modules to run (names this version does not know are skipped). */
  modules: readonly string[];
  /** Signs the node's gossip events; without one the node only relays. */
  signer?: NodeConfig;
  /** Where gossip keeps its events. */
  storage?: DataStorage;
  /** Module settings. */
  random?: Partial<RandomConfig>;
  /** Module settings. */
  gossip?: Partial<GossipConfig>;
  /** Module settings. */
  ping?: Partial<PingConfig>;
  /** Module settings. */
  stat?: Partial<StatConfig>;
  /**
   * Publish this node's neighbour list over gossip, at most once in this many ticks (default 0:
   * never; see node/neighbour_lists.ts for the cost). Needs `signer`.
   */
  neighbourListTicks?: number;
  /** Randomness for random connections and gossip (the simulation seeds them). */
  rng?: { random?: Rng; gossip?: Rng };
}

/** Creates the modules `options.modules` names, and links them. */
export async function wireModules(options: WiringOptions): Promise<NodeModules> {
  const runs = (name: NodeModuleName) => options.modules.includes(name);
  const { network, timer } = options;
  const names = new Set<string>();
  const timerLinks: Subscription[] = [];
  // a neighbour must run every module of the overlay this node runs
  const overlay = (["random", "gossip", "ping"] as const).filter(runs);
  const random = overlay.length > 0
    ? startRandom(options.id, { needs: overlay, ...options.random }, options.rng?.random)
    : undefined;
  if (random) {
    linkRandomToNetwork(random, network);
    timerLinks.push(linkRandomToTimer(timer, random));
  }
  let gossip: GossipBroker | undefined;
  if (random && runs("gossip")) {
    gossip = await startGossip(options.signer, {
      config: options.gossip,
      storage: options.storage,
      rng: options.rng?.gossip,
    });
    linkGossipToNetwork(gossip, network);
    timerLinks.push(linkGossipToTimer(timer, gossip));
    linkNeighbours(random, gossip);
    const everyTicks = options.neighbourListTicks ?? 0;
    if (options.signer && everyTicks > 0) {
      timerLinks.push(...publishNeighbourLists({ random, gossip, network, timer, everyTicks }));
    }
    // the node directory gossip carries tells random connections of nodes beyond the server's
    // lists and the neighbours' neighbours
    gossip.linkOutToIn(random, (out): RandomIn | undefined => {
      const info = out.type === "new-event" ? directoryEntry(out.event) : undefined;
      return info ? { type: "network", out: { type: "nodes", nodes: [info] } } : undefined;
    });
    names.add(GOSSIP_MODULE);
  }
  let ping: PingBroker | undefined;
  if (random && runs("ping")) {
    ping = startPing(options.ping);
    linkPingToNetwork(ping, network);
    timerLinks.push(linkPingToTimer(timer, ping));
    linkNeighbours(random, ping);
    ping.linkOutToIn(
      random,
      (out): RandomIn | undefined => out.type === "failed" ? out : undefined,
    );
    names.add(PING_MODULE);
  }
  let stat: StatBroker | undefined;
  if (runs("stat")) {
    stat = startStat(options.stat);
    linkStatToNetwork(stat, network);
    timerLinks.push(linkStatToTimer(timer, stat));
    ping?.linkOutToIn(
      stat,
      (out): StatIn | undefined =>
        out.type === "rtt" ? { type: "rtt", id: out.id, ms: out.ms } : undefined,
    );
  }
  return { random, gossip, ping, stat, names, timerLinks };
}

/** The input that names a module's neighbours. */
type Neighbours = { type: "neighbours"; ids: NodeID[] };

/** Hands random connections' neighbours to a module of the overlay. */
function linkNeighbours<In, Out>(
  random: RandomBroker,
  module: Broker<In | Neighbours, Out>,
): Subscription {
  return random.linkOutToIn(
    module,
    (out): Neighbours | undefined =>
      out.type === "connected" ? { type: "neighbours", ids: out.ids } : undefined,
  );
}

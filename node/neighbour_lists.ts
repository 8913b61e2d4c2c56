/**
 * Publishes a node's neighbour list over gossip (modules/gossip/neighbour_list.ts): the nodes
 * random connections keeps it connected to, each with how its connection was set up. A list
 * goes out when the neighbours changed, at most once every `everyTicks` ticks, so a node whose
 * connections churn costs the network one small event per period, not one per change; and
 * again unchanged after {@link NEIGHBOUR_LIST_REFRESH_PERIODS} periods, so a list older than that is the last
 * word of a node that left.
 *
 * Every node receives every list: with N nodes publishing each period, each node takes in about
 * N × 1 KB per period, plus gossip's announcements (measured in bench/overlay_signal_bench.ts:
 * 100 nodes churning, one list per node every 30 ticks, about 14 KB a node sends per tick). So
 * it is off by default, for small networks and monitoring; routing does not need it (each node
 * tells only its neighbours its list, net/overlay_signals.ts).
 * @module
 */

import type { Subscription } from "../core/broker.ts";
import type { NodeID } from "../core/ids.ts";
import type { TimerBroker } from "../core/timer.ts";
import type { SetupVia } from "../net/connection_status.ts";
import type { NetworkBroker } from "../net/network.ts";
import { CATEGORIES } from "../modules/gossip/event.ts";
import type { GossipBroker } from "../modules/gossip/module.ts";
import { encodeNeighbourList } from "../modules/gossip/neighbour_list.ts";
import type { RandomBroker } from "../modules/random/module.ts";

/** After this many periods without a change, the same list goes out again. */
export const NEIGHBOUR_LIST_REFRESH_PERIODS = 10;

/** What {@link publishNeighbourLists} links. */
export interface NeighbourListLinks {
  /** Says who the neighbours are. */
  random: RandomBroker;
  /** Signs and spreads the lists. */
  gossip: GossipBroker;
  /** Says how each connection was set up. */
  network: NetworkBroker;
  /** Paces the lists. */
  timer: TimerBroker;
  /** The fewest ticks between two lists. */
  everyTicks: number;
}

/** Starts publishing; remove the subscriptions to stop. */
export function publishNeighbourLists(links: NeighbourListLinks): Subscription[] {
  const vias = new Map<NodeID, SetupVia | undefined>();
  let neighbours: NodeID[] = [];
  let published: string | undefined;
  let lastTick = -Infinity;
  const fromNetwork = links.network.tapOut((out) => {
    if (out.type === "connected") vias.set(out.id, out.via);
    if (out.type === "disconnected") vias.delete(out.id);
  });
  const fromRandom = links.random.tapOut((out) => {
    if (out.type === "connected") neighbours = out.ids;
  });
  const ticks = links.timer.tapOut(({ tick }) => {
    if (tick - lastTick < links.everyTicks) return;
    if (published === undefined && neighbours.length === 0) return; // nothing to say yet
    const payload = encodeNeighbourList(neighbours.map((id) => {
      const via = vias.get(id);
      return via ? { id, via } : { id };
    }));
    if (
      payload === published && tick - lastTick < links.everyTicks * NEIGHBOUR_LIST_REFRESH_PERIODS
    ) return;
    published = payload;
    lastTick = tick;
    void links.gossip.emitIn({ type: "add", category: CATEGORIES.neighbours, payload });
  });
  return [fromNetwork, fromRandom, ticks];
}

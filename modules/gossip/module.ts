/**
 * The gossip events module as a broker. Its neighbours come from random connections (wired in
 * `node/`); its messages go through the network directly ({@link linkGossipToNetwork}).
 *
 * @example
 * ```ts
 * import { NodeConfig } from "../../core/config.ts";
 * import { MemoryStorage } from "../../core/storage.ts";
 * import { startGossip } from "./module.ts";
 * const gossip = await startGossip(await NodeConfig.create(), { storage: new MemoryStorage() });
 * gossip.tapOut((out) => {
 *   if (out.type === "new-event") console.log(out.event.payload);
 * });
 * await gossip.emitIn({ type: "add", category: "chat", payload: "hello" }); // prints "hello"
 * ```
 * @module
 */

import { Broker, type Subscription } from "../../core/broker.ts";
import type { NodeConfig } from "../../core/config.ts";
import type { Rng } from "../../core/random.ts";
import type { DataStorage } from "../../core/storage.ts";
import type { TimerBroker } from "../../core/timer.ts";
import { linkModule } from "../../net/module_link.ts";
import type { NetworkBroker } from "../../net/network.ts";
import type { GossipEvent } from "./event.ts";
import { GossipLogic } from "./logic.ts";
import { GOSSIP_MODULE, type GossipConfig, type GossipIn, type GossipOut } from "./messages.ts";

/** The gossip broker type. */
export type GossipBroker = Broker<GossipIn, GossipOut>;

/** Options of {@link startGossip}. */
export interface GossipOptions {
  /** Protocol settings. */
  config?: Partial<GossipConfig>;
  /** Where events are kept between runs. */
  storage?: DataStorage;
  /** Randomness (tests pass a seeded one). */
  rng?: Rng;
}

/**
 * Creates the module of a node that signs its events with `signer` (none: the node only
 * relays), after loading the stored events.
 */
export async function startGossip(
  signer: NodeConfig | undefined,
  options: GossipOptions = {},
): Promise<GossipBroker> {
  const logic = new GossipLogic(signer, options.config, options.storage, options.rng);
  await logic.load();
  const broker: GossipBroker = new Broker("gossip");
  broker.addHandler({
    messages: async (batch) => {
      const out: GossipOut[] = [];
      for (const msg of batch) out.push(...await logic.handle(msg));
      return out;
    },
  });
  return broker;
}

/**
 * Links `gossip` to `network`: its messages go to its neighbours over open connections, and
 * theirs, and the failures of its own, come up.
 */
export function linkGossipToNetwork(gossip: GossipBroker, network: NetworkBroker): Subscription {
  return linkModule(
    gossip,
    network,
    GOSSIP_MODULE,
    (out) => (out.type === "send" ? out : undefined),
    (msg) => msg,
    { connect: false },
  );
}

/** Feeds the timer's ticks to `gossip`. */
export function linkGossipToTimer(timer: TimerBroker, gossip: GossipBroker): Subscription {
  return timer.linkOutToIn(gossip, ({ tick }): GossipIn => ({ type: "tick", tick }));
}

/**
 * Signs, stores and spreads an event of this node: resolves once it is in the node's storage,
 * rejects saying why when it could not be signed or stored.
 */
export async function addEvent(
  gossip: GossipBroker,
  category: string,
  payload: string,
): Promise<void> {
  const problems: string[] = [];
  const tap = gossip.tapOut((out) => {
    if (out.type === "error") problems.push(out.message);
  });
  try {
    await gossip.emitIn({ type: "add", category, payload });
    await gossip.emitIn({ type: "flush" });
  } finally {
    tap.remove();
  }
  if (problems.length > 0) throw new Error(`not stored: ${problems.join("; ")}`);
}

/** The events `gossip` keeps of `category`, oldest first. */
export async function listEvents(gossip: GossipBroker, category: string): Promise<GossipEvent[]> {
  const reply = gossip.channelOut();
  await gossip.emitIn({ type: "list", category });
  try {
    for (;;) {
      const out = await reply.recv();
      if (out.type === "events" && out.category === category) return out.events;
    }
  } finally {
    reply.close();
  }
}

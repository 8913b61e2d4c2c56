/**
 * The stat module as a broker, linked to the Network broker and to ping.
 *
 * @example
 * ```ts
 * import { startStat } from "./module.ts";
 * const stat = startStat({ intervalTicks: 10 });
 * stat.tapOut((out) => {
 *   if (out.type === "state") console.log(Object.keys(out.state.connections).length);
 * });
 * ```
 * @module
 */

import { Broker, type Subscription } from "../../core/broker.ts";
import type { NodeID } from "../../core/ids.ts";
import type { TimerBroker } from "../../core/timer.ts";
import type { NetworkBroker } from "../../net/network.ts";
import type { NodeStats } from "../../net/signal_protocol.ts";
import type { PingBroker } from "../ping/module.ts";
import {
  type ConnectionStat,
  STAT_DEFAULTS,
  type StatConfig,
  type StatIn,
  type StatOut,
  type StatState,
} from "./messages.ts";

/** The stat broker type. */
export type StatBroker = Broker<StatIn, StatOut>;

/** Sums up connections as the flat stats the signalling server accepts. */
export function summarize(connections: Record<NodeID, ConnectionStat>): NodeStats {
  const open = Object.values(connections).filter((c) => c.state === "open");
  const rtts = open.map((c) => c.pingMs ?? c.rttMs).filter((x): x is number => x !== undefined);
  return {
    connections: open.length,
    relayed: open.filter((c) => c.localCandidateType === "relay").length,
    bytesSent: open.reduce((sum, c) => sum + c.bytesSent, 0),
    bytesReceived: open.reduce((sum, c) => sum + c.bytesReceived, 0),
    ...(rtts.length > 0 ? { rttMs: Math.round(rtts.reduce((a, b) => a + b) / rtts.length) } : {}),
  };
}

/** Creates the module. */
export function startStat(config: Partial<StatConfig> = {}): StatBroker {
  const { intervalTicks } = { ...STAT_DEFAULTS, ...config };
  const state: StatState = { connections: {} };
  let tick = 0;
  const broker: StatBroker = new Broker("stat");
  broker.addHandler({
    messages: (batch) =>
      batch.flatMap((msg): StatOut[] => {
        if (msg.type === "tick") {
          return ++tick % intervalTicks === 0 ? [{ type: "network", in: { type: "status" } }] : [];
        }
        if (msg.type === "rtt") {
          const known = state.connections[msg.id];
          if (known) known.pingMs = msg.ms;
          return known ? [{ type: "state", state }] : [];
        }
        const out = msg.out;
        if (out.type === "disconnected" && state.connections[out.id]) {
          state.connections[out.id] = { ...state.connections[out.id], state: "idle" };
          return [{ type: "state", state }];
        }
        if (out.type !== "connections") return [];
        state.connections = Object.fromEntries(out.connections.map((c) => [
          c.id,
          {
            ...c.status,
            ...(state.connections[c.id]?.pingMs === undefined
              ? {}
              : { pingMs: state.connections[c.id].pingMs }),
          },
        ]));
        state.uploaded = summarize(state.connections);
        return [
          { type: "network", in: { type: "stats", stats: state.uploaded } },
          { type: "state", state },
        ];
      }),
  });
  return broker;
}

/** Links `stat` to the Network broker (status requests down, every output up). */
export function linkStatToNetwork(stat: StatBroker, network: NetworkBroker): Subscription {
  return stat.linkChain(
    network,
    (out) => (out.type === "network" ? out.in : undefined),
    (out): StatIn => ({ type: "network", out }),
  );
}

/** Passes ping's round-trip times to `stat`. */
export function linkPingToStat(ping: PingBroker, stat: StatBroker): Subscription {
  return ping.linkOutToIn(
    stat,
    (
      out,
    ):
      | StatIn
      | undefined => (out.type === "rtt" ? { type: "rtt", id: out.id, ms: out.ms } : undefined),
  );
}

/** Feeds the timer's ticks to `stat`. */
export function linkStatToTimer(timer: TimerBroker, stat: StatBroker): Subscription {
  return timer.linkOutToIn(stat, ({ tick }): StatIn => ({ type: "tick", tick }));
}

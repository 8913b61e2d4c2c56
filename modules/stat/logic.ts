/**
 * The decisions of the stat module, without a broker: on its interval it asks the network for
 * every connection's status, keeps what comes back (with ping's round-trip times), and
 * uploads a summary to the signalling server.
 * @module
 */

import type { NodeID } from "../../core/ids.ts";
import type { NodeStats } from "../../net/signal_protocol.ts";
import {
  type ConnectionStat,
  STAT_DEFAULTS,
  type StatConfig,
  type StatIn,
  type StatOut,
  type StatState,
} from "./messages.ts";

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

/** The state and decisions of one node's stat module. */
export class StatLogic {
  readonly #intervalTicks: number;
  readonly #state: StatState = { connections: {} };
  #tick = 0;

  /** Starts with no connection known. */
  constructor(config: Partial<StatConfig> = {}) {
    this.#intervalTicks = { ...STAT_DEFAULTS, ...config }.intervalTicks;
  }

  /** The current state (the module's own object: copy it to keep it). */
  get state(): StatState {
    return this.#state;
  }

  /** Takes one input and returns what it causes. */
  handle(msg: StatIn): StatOut[] {
    const state = this.#state;
    switch (msg.type) {
      case "tick":
        return ++this.#tick % this.#intervalTicks === 0
          ? [{ type: "network", in: { type: "status" } }]
          : [];
      case "rtt": {
        const known = state.connections[msg.id];
        if (known) known.pingMs = msg.ms;
        return known ? [{ type: "state", state }] : [];
      }
      case "network": {
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
      }
    }
  }
}

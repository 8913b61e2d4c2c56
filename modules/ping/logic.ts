/**
 * The ping decisions, without a broker. Any message from a neighbour (ping or pong) counts as
 * a sign of life; a neighbour silent for `timeoutTicks` is reported once as failed.
 * @module
 */

import { type NodeID, U256 } from "../../core/ids.ts";
import { Logger } from "../../core/log.ts";
import {
  PING_DEFAULTS,
  type PingConfig,
  type PingIn,
  type PingOut,
  type PingState,
} from "./messages.ts";

const log = new Logger("ping");

interface Neighbour {
  lastSeen: number;
  lastPing: number;
  pending: Map<number, number>;
  sent: number;
  received: number;
  undelivered: number;
  rttMs?: number;
}

/** The state and decisions of one node's ping. */
export class PingLogic {
  readonly #config: PingConfig;
  readonly #now: () => number;
  readonly #neighbours = new Map<NodeID, Neighbour>();
  #tick = 0;
  #nonce = 1;

  /** @param now a clock in ms for round-trip times (`performance.now` by default). */
  constructor(config: Partial<PingConfig> = {}, now: () => number = () => performance.now()) {
    this.#config = { ...PING_DEFAULTS, ...config };
    this.#now = now;
  }

  /** The current state. */
  get state(): PingState {
    const state: PingState = {};
    for (const [id, n] of this.#neighbours) {
      state[id] = {
        sent: n.sent,
        received: n.received,
        ...(n.rttMs === undefined ? {} : { rttMs: n.rttMs }),
        ...(n.undelivered === 0 ? {} : { undelivered: n.undelivered }),
      };
    }
    return state;
  }

  /** Takes one input and returns what it causes. */
  handle(msg: PingIn): PingOut[] {
    const out: PingOut[] = [];
    switch (msg.type) {
      case "neighbours": {
        const now = new Set(msg.ids);
        for (const id of this.#neighbours.keys()) if (!now.has(id)) this.#neighbours.delete(id);
        for (const id of now) {
          if (!this.#neighbours.has(id)) {
            this.#neighbours.set(id, {
              lastSeen: this.#tick,
              lastPing: -Infinity,
              pending: new Map(),
              sent: 0,
              received: 0,
              undelivered: 0,
            });
          }
        }
        break;
      }
      case "message":
        this.#receive(msg.from, msg.data, out);
        break;
      case "send-failed": {
        // A ping that never left gets no pong: counted, and the timeout decides as before.
        const neighbour = this.#neighbours.get(msg.to);
        if (neighbour) neighbour.undelivered++;
        out.push({ type: "state", state: this.state });
        return out;
      }
      case "tick":
        this.#onTick(out);
        break;
    }
    if (out.length > 0 || msg.type === "neighbours") out.push({ type: "state", state: this.state });
    return out;
  }

  #receive(from: NodeID, data: string | Uint8Array, out: PingOut[]): void {
    const neighbour = this.#neighbours.get(from);
    if (neighbour) neighbour.lastSeen = this.#tick; // any message is a sign of life
    let wire: { t?: unknown; n?: unknown } | undefined;
    try {
      wire = JSON.parse(typeof data === "string" ? data : "");
    } catch {
      wire = undefined;
    }
    if (wire?.t === "ping" && Number.isSafeInteger(wire.n)) {
      out.push({ type: "send", to: from, data: JSON.stringify({ t: "pong", n: wire.n }) });
    } else if (wire?.t === "pong" && neighbour?.pending.has(wire.n as number)) {
      const rtt = this.#now() - neighbour.pending.get(wire.n as number)!;
      neighbour.pending.delete(wire.n as number);
      neighbour.received++;
      neighbour.rttMs = rtt;
      out.push({ type: "rtt", id: from, ms: rtt });
    } else if (wire?.t !== "pong") {
      log.warn(`ignored an unreadable ping message from ${U256.short(from)}`);
    }
  }

  #onTick(out: PingOut[]): void {
    this.#tick++;
    for (const [id, n] of this.#neighbours) {
      if (this.#tick - n.lastSeen >= this.#config.timeoutTicks) {
        this.#neighbours.delete(id);
        out.push({ type: "failed", id });
        continue;
      }
      if (this.#tick - n.lastPing >= this.#config.intervalTicks) {
        const nonce = this.#nonce++;
        n.lastPing = this.#tick;
        n.sent++;
        n.pending.set(nonce, this.#now());
        if (n.pending.size > 8) n.pending.delete(n.pending.keys().next().value!);
        out.push({ type: "send", to: id, data: JSON.stringify({ t: "ping", n: nonce }) });
      }
    }
  }
}

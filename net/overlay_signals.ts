/**
 * Connection setup through the overlay: a setup message for a node this one is not connected
 * to goes to a neighbour that is connected to it, over the data channel that already exists,
 * instead of through the signalling server. The server remains the way when no neighbour can
 * carry it.
 *
 * - Each node tells its neighbours which nodes it has open connections to (`\0near`, at most
 *   {@link MAX_NEIGHBOUR_LIST} ids, with a version that only grows), when that changes (at most
 *   every {@link NEAR_DEBOUNCE_MS}) and to each new neighbour. The data channel is bound to the
 *   neighbour's key (the setup that opened it was signed), so the list needs no signature of its
 *   own; a neighbour can lie about its list, which costs only a detour (below).
 * - A setup message for node T goes as `\0sig` `{from, to, hops, signal}` to a neighbour whose
 *   list holds T. That neighbour hands it to T if T is its neighbour, or returns it as `\0signo`
 *   with the reason, and the sender sends it through the server. The message is signed end to end
 *   by its sender (net/setup_signal.ts) for its receiver: a relaying node can drop it, not forge
 *   or alter it.
 * - A node takes at most {@link NEIGHBOUR_RATE} overlay control messages a second from each
 *   neighbour (burst {@link NEIGHBOUR_BURST}), every kind together and whomever they name: the
 *   rest are dropped unread and counted (`stats.overBudget`), and nothing is sent back for them.
 *   Nothing is buffered: a message is passed on or returned at once.
 * - An offer sent through a neighbour that brings nothing back from T within
 *   {@link ANSWER_WAIT_MS} is made again at once through the server (T is reached through the
 *   server for {@link AVOID_MS}), and that neighbour is blamed: it carries no setup of this node
 *   for {@link AVOID_MS}, and the offers waiting through it are made again at once too. A
 *   neighbour that drops setups costs this node that wait once, not once per target.
 *
 * docs/wire.md describes the messages.
 * @module
 */

import { type NodeID, U256 } from "../core/ids.ts";
import { TokenBucket } from "../core/token_bucket.ts";
import { Logger } from "../core/log.ts";
import { type Rng, secureRandom } from "../core/random.ts";
import {
  NEIGHBOURS_MODULE,
  OVERLAY_SIGNAL_FAILED_MODULE,
  OVERLAY_SIGNAL_MODULE,
} from "./control.ts";

/** The most ids in a neighbour list, sent or accepted. */
export const MAX_NEIGHBOUR_LIST = 128;
/** How long a change of this node's neighbours waits before the lists go out, ms. */
export const NEAR_DEBOUNCE_MS = 200;
/** The most hops a setup message takes through the overlay (sender, relay, target: 2). */
export const MAX_HOPS = 2;
/**
 * Sustained overlay control messages per second a node takes from one neighbour, of every kind
 * together (lists, setup messages to carry or for itself, returns): the budget is the
 * neighbour's connection's, whatever the messages say they are or whom they name.
 */
export const NEIGHBOUR_RATE = 50;
/** Burst of overlay control messages a node takes from one neighbour. */
export const NEIGHBOUR_BURST = 200;
/** How long an offer sent through a neighbour waits for a word from its target, ms. */
export const ANSWER_WAIT_MS = 4_000;
/** How long a target whose offer got lost in the overlay is reached through the server, ms. */
export const AVOID_MS = 5 * 60_000;
/** The largest overlay control message accepted, in UTF-16 units (a setup message is < 70 KB). */
const MAX_MESSAGE_CHARS = 80 * 1024;
/** The most nodes reported as reachable through a neighbour. */
export const MAX_REACHABLE = 1024;
/** The most targets tracked (offers waiting for a word, targets to avoid). */
const MAX_TRACKED = 1024;

/** What the overlay needs of the network around it. */
export interface OverlayLinks {
  /** The nodes with an open connection to this one. */
  neighbours(): NodeID[];
  /** Sends a control message to the open neighbour `to`; false when it is not open. */
  send(to: NodeID, module: string, data: string): boolean;
  /**
   * A setup message for this node arrived through the overlay, carried by the neighbour `via`
   * (its signature is unchecked).
   */
  deliver(from: NodeID, signal: Record<string, unknown>, via: NodeID): void;
  /** A setup message of this node could not be carried through the overlay: send it otherwise. */
  fallback(to: NodeID, signal: Record<string, unknown>, reason: string): void;
  /**
   * An offer of this node to `to` sent through a neighbour brought no word within
   * {@link ANSWER_WAIT_MS}: make it again (it goes through the server now).
   */
  unanswered(to: NodeID): void;
  /**
   * The nodes reachable through a neighbour changed (at most {@link MAX_REACHABLE}): all, and
   * by the neighbour whose list named them.
   */
  reachable(ids: NodeID[], groups: NodeID[][]): void;
  /** The neighbour `from` sent an overlay message this node cannot take; `reason` says why. */
  malformed(from: NodeID, reason: string): void;
}

/** What went through the overlay, for monitoring and benchmarks. */
export interface OverlayStats {
  /** Setup messages of this node sent through a neighbour. */
  sent: number;
  /** Setup messages this node carried on for others. */
  relayed: number;
  /** Setup messages for this node that came through the overlay. */
  received: number;
  /** Setup messages of this node returned by the neighbour (then sent through the server). */
  returned: number;
  /** Setup messages this node refused to carry (not its neighbour, malformed). */
  refused: number;
  /**
   * Overlay control messages dropped unread because their neighbour was over its budget
   * ({@link NEIGHBOUR_RATE}); nothing is sent back for them.
   */
  overBudget: number;
}

const log = new Logger("overlay");

/** The overlay's side of connection setup; see the module documentation. */
export class OverlaySignals {
  readonly #id: NodeID;
  readonly #links: OverlayLinks;
  readonly #rng: Rng;
  readonly #now: () => number;
  /** Each neighbour's list of its neighbours, with the version it came with. */
  readonly #near = new Map<NodeID, { version: number; ids: Set<NodeID> }>();
  /** Each neighbour's budget of overlay control messages, and when it was last said over it. */
  readonly #buckets = new Map<NodeID, { bucket: TokenBucket; saidAt: number }>();
  /** Offers sent through the overlay that wait for a word from their target: when, and via whom. */
  readonly #waiting = new Map<NodeID, { sent: number; via: NodeID }>();
  /** Targets reached through the server for a while: until when. */
  readonly #avoid = new Map<NodeID, number>();
  /** Neighbours that let an offer die, not used as relays for a while: until when. */
  readonly #blamed = new Map<NodeID, number>();
  #version = 0;
  /** The reachable nodes last reported, joined. */
  #reported = "";
  #nearTimer: ReturnType<typeof setTimeout> | undefined;
  /** Closed: nothing more is sent or reported (connections close after the network does). */
  #closed = false;
  #sweeper: ReturnType<typeof setInterval>;
  readonly stats: OverlayStats = {
    sent: 0,
    relayed: 0,
    received: 0,
    returned: 0,
    refused: 0,
    overBudget: 0,
  };

  /** Starts the overlay side of node `id`; `now` is its clock (ms). */
  constructor(
    id: NodeID,
    links: OverlayLinks,
    rng: Rng = secureRandom,
    now: () => number = Date.now,
  ) {
    this.#now = now;
    this.#id = id;
    this.#links = links;
    this.#rng = rng;
    this.#sweeper = setInterval(() => this.#sweep(), 1_000);
  }

  /**
   * Sends the signed setup message `signal` for `to` through a neighbour that has `to` as its
   * neighbour; false when there is none (or `to` is avoided), and the caller uses the server.
   */
  route(to: NodeID, signal: Record<string, unknown>): boolean {
    if (this.#closed) return false;
    const now = this.#now();
    const until = this.#avoid.get(to);
    if (until !== undefined && until > now) return false;
    const vias = [...this.#near].filter(([via, { ids }]) =>
      via !== to && ids.has(to) && !((this.#blamed.get(via) ?? 0) > now)
    );
    while (vias.length > 0) {
      const [via] = vias.splice(Math.floor(this.#rng() * vias.length), 1)[0];
      const message = JSON.stringify({ from: this.#id, to, hops: 1, signal });
      if (this.#links.send(via, OVERLAY_SIGNAL_MODULE, message)) {
        this.stats.sent++;
        if (signal.kind === "offer") remember(this.#waiting, to, { sent: now, via });
        return true;
      }
    }
    return false;
  }

  /** Something came from `from` through signalling, either way: it answers. */
  heardFrom(from: NodeID): void {
    this.#waiting.delete(from);
  }

  /** This node's open connections changed: its neighbours hear the new list soon. */
  neighboursChanged(): void {
    if (this.#nearTimer !== undefined || this.#closed) return;
    this.#nearTimer = setTimeout(() => {
      this.#nearTimer = undefined;
      const ids = this.#links.neighbours();
      for (const left of [...this.#near.keys()]) {
        if (!ids.includes(left)) {
          this.#near.delete(left);
          this.#buckets.delete(left);
        }
      }
      this.#reportReachable();
      const list = JSON.stringify({
        version: ++this.#version,
        ids: ids.slice(0, MAX_NEIGHBOUR_LIST),
      });
      for (const id of ids) this.#links.send(id, NEIGHBOURS_MODULE, list);
    }, NEAR_DEBOUNCE_MS);
  }

  /** An overlay control message from the neighbour `from`. */
  receive(from: NodeID, module: string, data: string | Uint8Array): void {
    if (this.#closed) return;
    if (!this.#takeToken(from)) return;
    let message: Record<string, unknown>;
    try {
      if (typeof data !== "string" || data.length > MAX_MESSAGE_CHARS) {
        throw new Error("not text of at most 80 KiB");
      }
      message = JSON.parse(data);
      if (typeof message !== "object" || message === null) throw new Error("not an object");
    } catch (error) {
      const what = error instanceof SyntaxError ? "not JSON" : (error as Error).message;
      return this.#malformed(from, `a ${module.slice(1)} message that is ${what}`);
    }
    if (module === NEIGHBOURS_MODULE) this.#neighbourList(from, message);
    else if (module === OVERLAY_SIGNAL_MODULE) this.#carry(from, message);
    else this.#returned(from, message);
  }

  /** Stops: no more lists, carrying or reports, and no timers. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#nearTimer);
    clearInterval(this.#sweeper);
  }

  #neighbourList(from: NodeID, message: Record<string, unknown>): void {
    const { version, ids } = message;
    if (
      !Number.isSafeInteger(version) || !Array.isArray(ids) ||
      ids.length > MAX_NEIGHBOUR_LIST || !ids.every((id) => U256.is(id))
    ) {
      return this.#malformed(
        from,
        `a neighbour list that is not a version and at most ${MAX_NEIGHBOUR_LIST} node ids`,
      );
    }
    const known = this.#near.get(from);
    if (known && known.version >= (version as number)) return;
    if (!this.#links.neighbours().includes(from)) return; // gone meanwhile
    this.#near.set(from, { version: version as number, ids: new Set(ids as NodeID[]) });
    this.#reportReachable();
  }

  /** Tells the network which nodes a neighbour can reach, when that changed. */
  #reportReachable(): void {
    const neighbours = new Set(this.#links.neighbours());
    const reachable = new Set<NodeID>();
    const groups: NodeID[][] = [];
    for (const [via, { ids }] of this.#near) {
      if (!neighbours.has(via)) continue;
      const group: NodeID[] = [];
      for (const id of ids) {
        if (id === this.#id || neighbours.has(id)) continue;
        if (reachable.size >= MAX_REACHABLE && !reachable.has(id)) break;
        reachable.add(id);
        group.push(id);
      }
      if (group.length > 0) groups.push(group);
    }
    const list = [...reachable];
    const key = groups.map((group) => group.join()).join("|");
    if (key === this.#reported) return;
    this.#reported = key;
    this.#links.reachable(list, groups);
  }

  /** A setup message `from` (a neighbour) asks this node to take or to carry on. */
  #carry(via: NodeID, message: Record<string, unknown>): void {
    const { from, to, hops, signal } = message;
    if (
      !U256.is(from) || !U256.is(to) || !Number.isSafeInteger(hops) || (hops as number) < 1 ||
      typeof signal !== "object" || signal === null || Array.isArray(signal) || from === this.#id
    ) {
      return this.#malformed(via, "a setup message to carry without from, to, hops or signal");
    }
    const back = (reason: string) => {
      this.stats.refused++;
      this.#links.send(via, OVERLAY_SIGNAL_FAILED_MODULE, JSON.stringify({ ...message, reason }));
    };
    if (to === this.#id) {
      this.stats.received++;
      this.#waiting.delete(from);
      return this.#links.deliver(from, signal as Record<string, unknown>, via);
    }
    if ((hops as number) + 1 > MAX_HOPS) return back(`more than ${MAX_HOPS} hops`);
    const onward = JSON.stringify({ from, to, hops: (hops as number) + 1, signal });
    if (!this.#links.send(to, OVERLAY_SIGNAL_MODULE, onward)) {
      return back(`node ${U256.short(to)} is not a neighbour of ${U256.short(this.#id)}`);
    }
    this.stats.relayed++;
  }

  /** A setup message this node sent came back: the server carries it instead. */
  #returned(via: NodeID, message: Record<string, unknown>): void {
    const { from, to, signal, reason } = message;
    if (
      from !== this.#id || !U256.is(to) || typeof signal !== "object" || signal === null ||
      Array.isArray(signal)
    ) {
      return this.#malformed(via, "a returned setup message this node did not send");
    }
    this.stats.returned++;
    this.#waiting.delete(to);
    this.#links.fallback(
      to,
      signal as Record<string, unknown>,
      `node ${U256.short(via)} could not carry it: ${String(reason).slice(0, 200)}`,
    );
  }

  #malformed(from: NodeID, what: string): void {
    this.stats.refused++;
    this.#links.malformed(from, `node ${U256.short(from)} sent ${what}; it was dropped`);
  }

  /**
   * Takes one of `from`'s budget; false (counted, and said at most once a second per neighbour)
   * when it has none left: the message is dropped unread.
   */
  #takeToken(from: NodeID): boolean {
    let budget = this.#buckets.get(from);
    if (!budget) {
      budget = { bucket: new TokenBucket(NEIGHBOUR_RATE, NEIGHBOUR_BURST, this.#now), saidAt: 0 };
      this.#buckets.set(from, budget);
    }
    if (budget.bucket.take()) return true;
    this.stats.overBudget++;
    const now = this.#now();
    if (now - budget.saidAt >= 1_000) {
      budget.saidAt = now;
      this.#links.malformed(
        from,
        `node ${U256.short(from)} sent over ${NEIGHBOUR_RATE} overlay control messages a ` +
          "second: the ones over its budget are dropped unread",
      );
    }
    return false;
  }

  /**
   * Offers through the overlay that brought no word within {@link ANSWER_WAIT_MS} are made again
   * (through the server: their targets are avoided for {@link AVOID_MS}), and the neighbour that
   * carried them is not used as a relay for {@link AVOID_MS}: the offers waiting through it are
   * made again at once, so a neighbour that drops setups costs this node that wait once.
   */
  #sweep(): void {
    const now = this.#now();
    for (const [to, { sent, via }] of this.#waiting) {
      if (now - sent < ANSWER_WAIT_MS || (this.#blamed.get(via) ?? 0) > now) continue;
      log.debug(`no word from ${U256.short(to)} through ${U256.short(via)}: not a relay now`);
      remember(this.#blamed, via, now + AVOID_MS);
    }
    for (const [to, { via }] of this.#waiting) {
      if (!((this.#blamed.get(via) ?? 0) > now)) continue;
      this.#waiting.delete(to);
      remember(this.#avoid, to, now + AVOID_MS);
      this.#links.unanswered(to);
    }
    for (const map of [this.#avoid, this.#blamed]) {
      for (const [id, until] of map) if (until <= now) map.delete(id);
    }
  }
}

/** Sets `key` in `map`, dropping the oldest entry when it holds {@link MAX_TRACKED}. */
function remember<V>(map: Map<NodeID, V>, key: NodeID, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
}

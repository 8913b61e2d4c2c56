/**
 * The gossip protocol, without a broker. A new event's id is pushed to every neighbour; a
 * neighbour that lacks it asks for it (`want`) and gets it (`events`), verifies the author's
 * signature, keeps it and pushes the id on. Every `syncTicks` a node exchanges its whole id
 * list with one random neighbour (anti-entropy, not on every tick), and every new neighbour
 * gets the list once, so nodes that joined late or missed a push catch up.
 * @module
 */

import type { NodeConfig } from "../../core/config.ts";
import { type NodeID, U256 } from "../../core/ids.ts";
import { Logger } from "../../core/log.ts";
import { type Rng, sample, secureRandom } from "../../core/random.ts";
import type { DataStorage } from "../../core/storage.ts";
import { createEvent, type GossipEvent, parseEvent, verifyEvent } from "./event.ts";
import {
  GOSSIP_DEFAULTS,
  type GossipConfig,
  type GossipIn,
  type GossipOut,
  type GossipState,
  type GossipWire,
  WIRE_LIMITS,
} from "./messages.ts";
import { EventStore } from "./store.ts";
import { StoreFile } from "./store_file.ts";

const log = new Logger("gossip");

/** The most event ids asked for and not yet received, across all neighbours. */
export const MAX_WANTED = WIRE_LIMITS.ids;
/** The most of them one neighbour can make this node ask for. */
export const MAX_WANTED_PER_PEER = WIRE_LIMITS.ids / 10;

/** The state and decisions of one node's gossip. */
export class GossipLogic {
  readonly #signer: NodeConfig | undefined;
  readonly #config: GossipConfig;
  readonly #file: StoreFile | undefined;
  readonly #rng: Rng;
  #store: EventStore;
  #neighbours = new Set<NodeID>();
  /** Ids asked for, and the tick when, so one slow neighbour is not waited for forever. */
  readonly #wanted = new Map<U256, { tick: number; from: NodeID }>();
  /** How many of the wanted ids each neighbour made this node ask for. */
  readonly #wantedFrom = new Map<NodeID, number>();
  #tick = 0;
  #forged = 0;
  #malformed = 0;
  /**
   * Ids of genuine events the store would not keep (a category over its limits, superseded,
   * too old), oldest first: not asked for again.
   */
  readonly #declined = new Set<U256>();
  #undelivered = 0;
  #dirty = false;
  #published = "";

  /**
   * @param signer the node's config, to sign its own events; without one, `add` is refused.
   * @param storage where events are kept between runs.
   */
  constructor(
    signer: NodeConfig | undefined,
    config: Partial<GossipConfig> = {},
    storage?: DataStorage,
    rng: Rng = secureRandom,
  ) {
    this.#signer = signer;
    this.#store = new EventStore(undefined, undefined, { self: signer?.id });
    this.#config = { ...GOSSIP_DEFAULTS, ...config };
    this.#file = storage && new StoreFile(storage, this.#config.storageKey);
    this.#rng = rng;
  }

  /** The current state. */
  get state(): GossipState {
    const byCategory: Record<string, number> = {};
    for (const event of this.#store.events()) {
      byCategory[event.category] = (byCategory[event.category] ?? 0) + 1;
    }
    return {
      events: this.#store.size,
      byCategory,
      forged: this.#forged,
      malformed: this.#malformed,
      declined: this.#declined.size,
      undelivered: this.#undelivered,
    };
  }

  /** The events of a category, oldest first. */
  events(category?: string): GossipEvent[] {
    return this.#store.events(category);
  }

  /** Loads the stored events; a damaged store is set aside with a warning, never read wrong. */
  async load(): Promise<void> {
    if (!this.#file) return;
    const owner = { self: this.#signer?.id };
    try {
      const store = await this.#file.load((text) =>
        text === undefined
          ? new EventStore(undefined, undefined, owner)
          : EventStore.decode(text, undefined, undefined, owner)
      );
      if (store) this.#store = store;
    } catch (error) {
      // module data, not identity: the network has the events again
      const aside = await this.#file.setAside();
      log.warn(
        `the stored gossip events could not be read (${(error as Error).message}); ` +
          `set aside as ${aside}; starting without them`,
      );
    }
  }

  /** Takes one input and returns what it causes. */
  async handle(msg: GossipIn): Promise<GossipOut[]> {
    const out: GossipOut[] = [];
    switch (msg.type) {
      case "neighbours": {
        const now = new Set(msg.ids);
        for (const id of now) {
          if (!this.#neighbours.has(id)) this.#send(out, id, "sync", this.#store.ids());
        }
        for (const id of this.#neighbours) if (!now.has(id)) this.#unwantFrom(id);
        this.#neighbours = now;
        break;
      }
      case "message":
        await this.#receive(msg.from, msg.data, out);
        break;
      case "send-failed":
        // Whatever it carried is repaired by the full sync the neighbour gets when it is
        // one again: forgetting it here makes the next neighbours list count it as new.
        this.#undelivered++;
        this.#neighbours.delete(msg.to);
        this.#unwantFrom(msg.to);
        log.debug(`gossip to ${U256.short(msg.to)} was not delivered: ${msg.message}`);
        break;
      case "tick":
        await this.#onTick(out);
        break;
      case "add":
        await this.#add(msg.category, msg.payload, out);
        break;
      case "list":
        out.push({
          type: "events",
          category: msg.category,
          events: this.#store.events(msg.category),
        });
        break;
      case "flush":
        await this.#persist(out);
        break;
    }
    this.#publish(out);
    return out;
  }

  async #add(category: string, payload: string, out: GossipOut[]): Promise<void> {
    if (!this.#signer) {
      out.push({ type: "error", message: "this node has no key to sign events with" });
      return;
    }
    let event: GossipEvent;
    try {
      event = await createEvent(this.#signer, category, payload);
    } catch (error) {
      out.push({ type: "error", message: `the event was not made: ${(error as Error).message}` });
      return;
    }
    if (this.#keep(event, out)) return this.#pushOwn(event, out);
    const refusal = this.#store.refusal(event); // what the store says now, after declining it
    out.push({
      type: "error",
      message: `the event was not kept: ${
        refusal ?? "the store dropped it at once to stay within its size limit"
      }`,
    });
  }

  async #receive(from: NodeID, data: string | Uint8Array, out: GossipOut[]): Promise<void> {
    const wire = this.#parse(data);
    if (!wire) {
      this.#malformed++;
      log.debug(`unreadable gossip from ${U256.short(from)}`);
      return;
    }
    switch (wire.t) {
      case "ids":
      case "sync": {
        const theirs = new Set(wire.ids as U256[]);
        const wanted = this.#want(from, theirs);
        if (wanted.length > 0) this.#send(out, from, "want", wanted);
        if (wire.t === "sync") {
          const missing = this.#store.ids().filter((id) => !theirs.has(id));
          if (missing.length > 0) this.#send(out, from, "ids", missing);
        }
        return;
      }
      case "want": {
        const events = wire.ids.map((id) => this.#store.get(id as U256)).filter((e) =>
          e !== undefined
        );
        for (let i = 0; i < events.length; i += WIRE_LIMITS.events) {
          out.push({
            type: "send",
            to: from,
            data: JSON.stringify({ t: "events", events: events.slice(i, i + WIRE_LIMITS.events) }),
          });
        }
        return;
      }
      case "events": {
        const fresh: U256[] = [];
        for (const value of wire.events) {
          let event: GossipEvent;
          try {
            event = parseEvent(value);
          } catch {
            this.#malformed++;
            continue;
          }
          this.#unwant(event.id);
          if (this.#store.has(event.id)) continue;
          if (!(await verifyEvent(event))) {
            this.#forged++;
            log.debug(`dropped a forged event from ${U256.short(from)}`);
            continue;
          }
          if (this.#keep(event, out, from)) fresh.push(event.id);
        }
        if (fresh.length > 0) this.#push(fresh, from, out);
        return;
      }
    }
  }

  /**
   * The ids of `theirs` to ask `from` for: those this node lacks and has not asked for, as many
   * as the bounds allow (at most `MAX_WANTED` outstanding, `MAX_WANTED_PER_PEER` of them
   * because of one neighbour). The rest come with a later sync.
   */
  #want(from: NodeID, theirs: Set<U256>): U256[] {
    const room = Math.min(
      MAX_WANTED - this.#wanted.size,
      MAX_WANTED_PER_PEER - (this.#wantedFrom.get(from) ?? 0),
    );
    const wanted: U256[] = [];
    for (const id of theirs) {
      if (wanted.length >= room) break;
      if (this.#store.has(id) || this.#wanted.has(id) || this.#declined.has(id)) continue;
      this.#wanted.set(id, { tick: this.#tick, from });
      wanted.push(id);
    }
    if (wanted.length > 0) {
      this.#wantedFrom.set(from, (this.#wantedFrom.get(from) ?? 0) + wanted.length);
    }
    return wanted;
  }

  /**
   * Gives up what was asked of `neighbour` (it left, or a message to it was not delivered), so
   * the next neighbour to name those ids is asked instead of waiting out wantTimeoutTicks.
   */
  #unwantFrom(neighbour: NodeID): void {
    for (const [id, { from }] of this.#wanted) if (from === neighbour) this.#unwant(id);
  }

  #unwant(id: U256): void {
    const asked = this.#wanted.get(id);
    if (!asked) return;
    this.#wanted.delete(id);
    const left = (this.#wantedFrom.get(asked.from) ?? 1) - 1;
    if (left > 0) this.#wantedFrom.set(asked.from, left);
    else this.#wantedFrom.delete(asked.from);
  }

  async #onTick(out: GossipOut[]): Promise<void> {
    this.#tick++;
    for (const [id, { tick }] of this.#wanted) {
      if (this.#tick - tick >= this.#config.wantTimeoutTicks) this.#unwant(id);
    }
    if (this.#tick % this.#config.syncTicks === 0 && this.#neighbours.size > 0) {
      const [partner] = sample([...this.#neighbours], 1, this.#rng);
      this.#send(out, partner, "sync", this.#store.ids());
    }
    await this.#persist(out);
  }

  async #persist(out: GossipOut[]): Promise<void> {
    if (!this.#dirty || !this.#file) return;
    this.#dirty = false;
    try {
      await this.#file.save(this.#store);
    } catch (error) {
      this.#dirty = true;
      out.push({
        type: "error",
        message: `cannot store gossip events: ${(error as Error).message}`,
      });
    }
  }

  /** Stores `event`, delivered by the neighbour `from` (none: this node's own). */
  #keep(event: GossipEvent, out: GossipOut[], from?: NodeID): boolean {
    if (!this.#store.add(event, from)) {
      // an id names its content, which was verified: declining it by id cannot be abused
      this.#declined.add(event.id);
      if (this.#declined.size > MAX_WANTED) {
        this.#declined.delete(this.#declined.values().next().value!);
      }
      return false;
    }
    this.#dirty = true;
    out.push({ type: "new-event", event });
    return true;
  }

  /**
   * Sends this node's new event itself to every neighbour (half a round trip, where an id would
   * cost one and a half: a node's last word, such as leaving its rooms before it closes, reaches
   * its neighbours before its connections end); they pass it on by id.
   */
  #pushOwn(event: GossipEvent, out: GossipOut[]): void {
    const data = JSON.stringify({ t: "events", events: [event] });
    for (const neighbour of this.#neighbours) out.push({ type: "send", to: neighbour, data });
  }

  /** Tells every neighbour but `except` about new ids. */
  #push(ids: U256[], except: NodeID | undefined, out: GossipOut[]): void {
    for (const neighbour of this.#neighbours) {
      if (neighbour !== except) this.#send(out, neighbour, "ids", ids);
    }
  }

  #send(out: GossipOut[], to: NodeID, t: "ids" | "sync" | "want", ids: string[]): void {
    for (let i = 0; i < Math.max(1, ids.length); i += WIRE_LIMITS.ids) {
      out.push({
        type: "send",
        to,
        data: JSON.stringify({ t, ids: ids.slice(i, i + WIRE_LIMITS.ids) }),
      });
    }
  }

  #parse(data: string | Uint8Array): GossipWire | undefined {
    if (typeof data !== "string") return undefined;
    let wire: GossipWire;
    try {
      wire = JSON.parse(data);
    } catch {
      return undefined;
    }
    if (wire?.t === "events") {
      return Array.isArray(wire.events) && wire.events.length <= WIRE_LIMITS.events
        ? wire
        : undefined;
    }
    if (wire?.t !== "ids" && wire?.t !== "sync" && wire?.t !== "want") return undefined;
    const ok = Array.isArray(wire.ids) && wire.ids.length <= WIRE_LIMITS.ids &&
      wire.ids.every(U256.is);
    return ok ? wire : undefined;
  }

  #publish(out: GossipOut[]): void {
    const state = this.state;
    const signature = JSON.stringify(state);
    if (signature === this.#published) return;
    this.#published = signature;
    out.push({ type: "state", state });
  }
}

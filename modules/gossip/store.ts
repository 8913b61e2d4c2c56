/**
 * Where a node keeps gossip events: bounded per category, newest kept; in a `unique` category
 * only each author's newest event is kept (a node's current info, not its history). The whole
 * store is bounded too, as peers feed it: at most {@link STORE_LIMITS} categories and bytes;
 * over the bytes, the category holding the most loses its oldest event first, so whoever floods
 * one category cannot push the others (the node directory, say) out.
 * @module
 */

import type { U256 } from "../../core/ids.ts";
import { CATEGORIES, type GossipEvent, parseEvent } from "./event.ts";
import { NEIGHBOUR_LIST_MAX_CHARS } from "./neighbour_list.ts";
import { PRESENCE_MAX_CHARS } from "./room_events.ts";

/** How a category is kept. */
export interface CategoryRule {
  /** Keep only the newest event of each author. */
  unique: boolean;
  /** Keep at most this many events (the oldest go first). */
  max: number;
  /** Refuse events whose payload has more characters (default: the 16 KiB of any event). */
  maxPayload?: number;
}

/** The rules flnet uses; other categories get {@link OTHER_CATEGORIES}. */
export const CATEGORY_RULES: Record<string, CategoryRule> = {
  // a node's info is under 1 KiB (NODE_INFO_LIMITS): 10,000 nodes hold at most 20 MB
  [CATEGORIES.nodeInfo]: { unique: true, max: 10_000, maxPayload: 2048 },
  [CATEGORIES.chat]: { unique: false, max: 200 },
  // at most 128 ids of 67 characters: 10,000 nodes hold at most 90 MB, so the store's byte
  // bound sheds the oldest lists first in a network that large
  [CATEGORIES.neighbours]: { unique: true, max: 10_000, maxPayload: NEIGHBOUR_LIST_MAX_CHARS },
  // the newest 1,000 room messages of all rooms: each room's history is what is left of it
  [CATEGORIES.room]: { unique: false, max: 1000 },
  [CATEGORIES.rooms]: { unique: true, max: 10_000, maxPayload: PRESENCE_MAX_CHARS },
};

/** Bounds of a whole store. */
export interface StoreLimits {
  /** Most categories; an event of a further category is refused. */
  categories: number;
  /** Most bytes of events (payload and fixed fields, roughly); over it, shed as above. */
  bytes: number;
}

/** flnet's store bounds. */
export const STORE_LIMITS: StoreLimits = { categories: 32, bytes: 32 * 1024 * 1024 };

/** What an event costs in memory beyond its payload (id, author, signature, bookkeeping). */
const EVENT_OVERHEAD_BYTES = 400;

/** The rule of a category without its own. */
export const OTHER_CATEGORIES: CategoryRule = { unique: false, max: 100 };

const FORMAT = "flnet/gossip-events";
const VERSION = 1;

/** A bounded set of events. */
export class EventStore {
  readonly #events = new Map<U256, GossipEvent>();
  readonly #byCategory = new Map<string, Set<U256>>();
  /** For unique categories: `category + author` → the id of that author's kept event. */
  readonly #latest = new Map<string, U256>();
  readonly #rules: Record<string, CategoryRule>;
  readonly #limits: StoreLimits;
  /** Bytes held, in all and by category. */
  #bytes = 0;
  readonly #categoryBytes = new Map<string, number>();

  /** An empty store with `rules` and `limits` (flnet's by default). */
  constructor(
    rules: Record<string, CategoryRule> = CATEGORY_RULES,
    limits: StoreLimits = STORE_LIMITS,
  ) {
    this.#rules = rules;
    this.#limits = limits;
  }

  /** The bytes the events take, roughly (what {@link STORE_LIMITS} bounds). */
  get bytes(): number {
    return this.#bytes;
  }

  /** The number of categories with events. */
  get categories(): number {
    return this.#byCategory.size;
  }

  /** The number of events. */
  get size(): number {
    return this.#events.size;
  }

  /** True when the event `id` is kept. */
  has(id: U256): boolean {
    return this.#events.has(id);
  }

  /** The event `id`, if kept. */
  get(id: U256): GossipEvent | undefined {
    return this.#events.get(id);
  }

  /** Every id kept. */
  ids(): U256[] {
    return [...this.#events.keys()];
  }

  /** The events of a category (all when none is given), oldest first. */
  events(category?: string): GossipEvent[] {
    const ids = category === undefined ? this.#events.keys() : this.#byCategory.get(category) ?? [];
    return [...ids].map((id) => this.#events.get(id)!).sort(byAge);
  }

  /** Why {@link add} would not take `event` now, in words; undefined when it would. */
  refusal(event: GossipEvent): string | undefined {
    if (this.#events.has(event.id)) return "it is kept already";
    const rule = this.#rules[event.category] ?? OTHER_CATEGORIES;
    if (rule.maxPayload !== undefined && event.payload.length > rule.maxPayload) {
      return `its payload has ${event.payload.length} characters, over the ${rule.maxPayload} ` +
        `of category "${event.category}"`;
    }
    if (
      !this.#byCategory.has(event.category) && this.#byCategory.size >= this.#limits.categories
    ) return `the store holds ${this.#limits.categories} categories already`;
    if (rule.unique) {
      const previous = this.#events.get(this.#latest.get(`${event.category}\n${event.author}`)!);
      if (previous && byAge(previous, event) >= 0) {
        return `a newer "${event.category}" event of its author is kept`;
      }
    }
    return undefined;
  }

  /**
   * Adds a (verified) event; false when it is known, superseded, too old to keep, over its
   * category's payload size, or of a category beyond the store's limit.
   */
  add(event: GossipEvent): boolean {
    if (this.refusal(event) !== undefined) return false;
    const rule = this.#rules[event.category] ?? OTHER_CATEGORIES;
    const authorKey = `${event.category}\n${event.author}`;
    if (rule.unique) {
      const previous = this.#events.get(this.#latest.get(authorKey)!);
      if (previous) this.#delete(previous);
      this.#latest.set(authorKey, event.id);
    }
    this.#events.set(event.id, event);
    let ids = this.#byCategory.get(event.category);
    if (!ids) this.#byCategory.set(event.category, ids = new Set());
    ids.add(event.id);
    this.#count(event, 1);
    if (ids.size > rule.max) this.#delete(this.#oldest(ids));
    while (this.#bytes > this.#limits.bytes) {
      let largest = event.category;
      let most = 0;
      for (const [category, bytes] of this.#categoryBytes) {
        if (bytes > most) [largest, most] = [category, bytes];
      }
      this.#delete(this.#oldest(this.#byCategory.get(largest)!));
    }
    return this.#events.has(event.id);
  }

  /** The oldest of the events `ids`. */
  #oldest(ids: Set<U256>): GossipEvent {
    let oldest: GossipEvent | undefined;
    for (const id of ids) {
      const e = this.#events.get(id)!;
      if (!oldest || byAge(e, oldest) < 0) oldest = e;
    }
    return oldest!;
  }

  /** Counts `event`'s bytes in (`sign` 1) or out (-1). */
  #count(event: GossipEvent, sign: 1 | -1): void {
    const bytes = sign * (event.payload.length + event.category.length + EVENT_OVERHEAD_BYTES);
    this.#bytes += bytes;
    const left = (this.#categoryBytes.get(event.category) ?? 0) + bytes;
    if (left > 0) this.#categoryBytes.set(event.category, left);
    else this.#categoryBytes.delete(event.category);
  }

  #delete(event: GossipEvent): void {
    if (!this.#events.delete(event.id)) return;
    this.#count(event, -1);
    const ids = this.#byCategory.get(event.category);
    ids?.delete(event.id);
    if (ids?.size === 0) this.#byCategory.delete(event.category);
    const authorKey = `${event.category}\n${event.author}`;
    if (this.#latest.get(authorKey) === event.id) this.#latest.delete(authorKey);
  }

  /** The store as versioned JSON. */
  encode(): string {
    return JSON.stringify({ format: FORMAT, version: VERSION, events: this.events() });
  }

  /** Reads what {@link encode} wrote; throws an Error saying what is wrong. */
  static decode(
    text: string,
    rules?: Record<string, CategoryRule>,
    limits?: StoreLimits,
  ): EventStore {
    let data: { format?: unknown; version?: unknown; events?: unknown };
    try {
      data = JSON.parse(text);
    } catch {
      throw new Error("stored gossip events are not valid JSON");
    }
    if (data?.format !== FORMAT || data.version !== VERSION || !Array.isArray(data.events)) {
      throw new Error(`stored gossip events must be "${FORMAT}" version ${VERSION}`);
    }
    const store = new EventStore(rules, limits);
    for (const event of data.events) store.add(parseEvent(event));
    return store;
  }
}

function byAge(a: GossipEvent, b: GossipEvent): number {
  return a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Where a node keeps gossip events: bounded per category; in a `unique` category only each
 * author's newest event is kept (a node's current info, not its history). The whole store is
 * bounded too, as peers feed it: at most {@link STORE_LIMITS} categories of applications (flnet's
 * own, which have rules, never compete with them for a slot) and bytes. What a stranger sends
 * cannot push others' history out:
 * - an event dated more than {@link MAX_EVENT_SKEW_MS} ahead of this node's clock is refused (a
 *   date a century ahead would otherwise make it the newest of all, for a century);
 * - over a category's `max`, the author or the neighbour that delivered it (its source) holding
 *   the most of that category loses its oldest event, not the category's oldest of all: one
 *   identity that floods displaces its own, and so do many identities behind one neighbour;
 * - over the bytes, the category holding the most is shed the same way;
 * - the node's own events are taken last, only when nobody else's are left there.
 * @module
 */

import type { NodeID, U256 } from "../../core/ids.ts";
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

/**
 * How far ahead of this node's clock an event may be dated (10 minutes, as a setup message may
 * be; a clock further off is the author's to set right).
 */
export const MAX_EVENT_SKEW_MS = 10 * 60_000;

/** Who the store belongs to, and its clock. */
export interface StoreOwner {
  /** The node whose store it is: its own events go last. */
  self?: NodeID;
  /** Its clock, ms since 1970 (default `Date.now`). */
  now?: () => number;
}

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
  /** `category + author` → the ids of that author's events in the category. */
  readonly #byAuthor = new Map<string, Set<U256>>();
  /** `category + source` → the ids a neighbour delivered in the category, and each one's source. */
  readonly #bySource = new Map<string, Set<U256>>();
  readonly #sourceOf = new Map<U256, NodeID>();
  readonly #rules: Record<string, CategoryRule>;
  readonly #limits: StoreLimits;
  readonly #self: NodeID | undefined;
  readonly #now: () => number;
  /** Bytes held, in all and by category. */
  #bytes = 0;
  readonly #categoryBytes = new Map<string, number>();
  /** Categories held that have no rule of their own (applications'). */
  #others = 0;
  /** What changed since {@link takeChanges} was last called. */
  #added = new Map<U256, GossipEvent>();
  #removed = new Set<U256>();

  /** An empty store with `rules` and `limits` (flnet's by default), of `owner`. */
  constructor(
    rules: Record<string, CategoryRule> = CATEGORY_RULES,
    limits: StoreLimits = STORE_LIMITS,
    owner: StoreOwner = {},
  ) {
    this.#rules = rules;
    this.#limits = limits;
    this.#self = owner.self;
    this.#now = owner.now ?? Date.now;
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
    const ahead = event.created - this.#now();
    if (ahead > MAX_EVENT_SKEW_MS) {
      return `it is dated ${Math.round(ahead / 1000)} s ahead of this node's clock (at most ` +
        `${MAX_EVENT_SKEW_MS / 1000} s are taken)`;
    }
    const own = this.#ruled(event.category);
    const rule = this.#rule(event.category);
    if (rule.maxPayload !== undefined && event.payload.length > rule.maxPayload) {
      return `its payload has ${event.payload.length} characters, over the ${rule.maxPayload} ` +
        `of category "${event.category}"`;
    }
    if (!own && !this.#byCategory.has(event.category) && this.#others >= this.#limits.categories) {
      return `the store holds ${this.#limits.categories} categories of applications already`;
    }
    if (rule.unique) {
      const previous = this.#events.get(this.#latest.get(`${event.category}\n${event.author}`)!);
      if (previous && byAge(previous, event) >= 0) {
        return `a newer "${event.category}" event of its author is kept`;
      }
    }
    return undefined;
  }

  /**
   * Adds a (verified) event that the neighbour `source` delivered (none: this node made it, or
   * it was read from storage); false when it is known, superseded, too far ahead, over its
   * category's payload size, or of a category beyond the store's limit.
   */
  add(event: GossipEvent, source?: NodeID): boolean {
    if (this.refusal(event) !== undefined) return false;
    const rule = this.#rule(event.category);
    const authorKey = `${event.category}\n${event.author}`;
    if (rule.unique) {
      const previous = this.#events.get(this.#latest.get(authorKey)!);
      if (previous) this.#delete(previous);
      this.#latest.set(authorKey, event.id);
    }
    this.#events.set(event.id, event);
    this.#added.set(event.id, event);
    let ids = this.#byCategory.get(event.category);
    if (!ids) {
      this.#byCategory.set(event.category, ids = new Set());
      if (!this.#ruled(event.category)) this.#others++;
    }
    ids.add(event.id);
    let mine = this.#byAuthor.get(authorKey);
    if (!mine) this.#byAuthor.set(authorKey, mine = new Set());
    mine.add(event.id);
    if (source !== undefined) {
      const sourceKey = `${event.category}\n${source}`;
      let delivered = this.#bySource.get(sourceKey);
      if (!delivered) this.#bySource.set(sourceKey, delivered = new Set());
      delivered.add(event.id);
      this.#sourceOf.set(event.id, source);
    }
    this.#count(event, 1);
    if (ids.size > rule.max) this.#delete(this.#shed(event.category));
    while (this.#bytes > this.#limits.bytes) {
      let largest = event.category;
      let most = 0;
      for (const [category, bytes] of this.#categoryBytes) {
        if (bytes > most) [largest, most] = [category, bytes];
      }
      this.#delete(this.#shed(largest));
    }
    return this.#events.has(event.id);
  }

  /** True when `category` has a rule of its own (flnet's categories do). */
  #ruled(category: string): boolean {
    return Object.hasOwn(this.#rules, category);
  }

  /** How `category` is kept. */
  #rule(category: string): CategoryRule {
    return this.#ruled(category) ? this.#rules[category] : OTHER_CATEGORIES;
  }

  /**
   * The event of `category` to give up: the oldest of the author, or of the neighbour that
   * delivered it, holding the most events there (the node's own count as none: they go only
   * when nobody else's are left), ties going to the older event.
   */
  #shed(category: string): GossipEvent {
    let chosen: GossipEvent | undefined;
    let chosenWeight = -1;
    for (const id of this.#byCategory.get(category)!) {
      const event = this.#events.get(id)!;
      const source = this.#sourceOf.get(id);
      const weight = event.author === this.#self ? 0 : Math.max(
        this.#byAuthor.get(`${category}\n${event.author}`)!.size,
        source === undefined ? 0 : this.#bySource.get(`${category}\n${source}`)!.size,
      );
      if (weight > chosenWeight || (weight === chosenWeight && byAge(event, chosen!) < 0)) {
        chosen = event;
        chosenWeight = weight;
      }
    }
    return chosen!;
  }

  /** Counts `event`'s bytes in (`sign` 1) or out (-1). */
  #count(event: GossipEvent, sign: 1 | -1): void {
    const bytes = sign * (event.payload.length + event.category.length + EVENT_OVERHEAD_BYTES);
    this.#bytes += bytes;
    const left = (this.#categoryBytes.get(event.category) ?? 0) + bytes;
    if (left > 0) this.#categoryBytes.set(event.category, left);
    else this.#categoryBytes.delete(event.category);
  }

  /** Removes the event `id`, if held. */
  remove(id: U256): void {
    const event = this.#events.get(id);
    if (event) this.#delete(event);
  }

  /**
   * What was added and removed since the last call (an event added and removed in between is
   * in neither), for saving only what changed.
   */
  takeChanges(): { added: GossipEvent[]; removed: U256[] } {
    const changes = { added: [...this.#added.values()], removed: [...this.#removed] };
    this.#added = new Map();
    this.#removed = new Set();
    return changes;
  }

  #delete(event: GossipEvent): void {
    if (!this.#events.delete(event.id)) return;
    if (!this.#added.delete(event.id)) this.#removed.add(event.id);
    this.#count(event, -1);
    const ids = this.#byCategory.get(event.category);
    ids?.delete(event.id);
    if (ids?.size === 0) {
      this.#byCategory.delete(event.category);
      if (!this.#ruled(event.category)) this.#others--;
    }
    const authorKey = `${event.category}\n${event.author}`;
    if (this.#latest.get(authorKey) === event.id) this.#latest.delete(authorKey);
    const mine = this.#byAuthor.get(authorKey);
    mine?.delete(event.id);
    if (mine?.size === 0) this.#byAuthor.delete(authorKey);
    const source = this.#sourceOf.get(event.id);
    if (source === undefined) return;
    this.#sourceOf.delete(event.id);
    const sourceKey = `${event.category}\n${source}`;
    const delivered = this.#bySource.get(sourceKey);
    delivered?.delete(event.id);
    if (delivered?.size === 0) this.#bySource.delete(sourceKey);
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
    owner?: StoreOwner,
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
    const store = new EventStore(rules, limits, owner);
    for (const event of data.events) store.add(parseEvent(event));
    store.takeChanges();
    return store;
  }
}

function byAge(a: GossipEvent, b: GossipEvent): number {
  return a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Where a node keeps gossip events: bounded per category, newest kept; in a `unique` category
 * only each author's newest event is kept (a node's current info, not its history).
 * @module
 */

import type { U256 } from "../../core/ids.ts";
import { CATEGORIES, type GossipEvent, parseEvent } from "./event.ts";

/** How a category is kept. */
export interface CategoryRule {
  /** Keep only the newest event of each author. */
  unique: boolean;
  /** Keep at most this many events (the oldest go first). */
  max: number;
}

/** The rules flnet uses; other categories get {@link OTHER_CATEGORIES}. */
export const CATEGORY_RULES: Record<string, CategoryRule> = {
  [CATEGORIES.nodeInfo]: { unique: true, max: 10_000 },
  [CATEGORIES.chat]: { unique: false, max: 200 },
};

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

  /** An empty store with `rules` (flnet's by default). */
  constructor(rules: Record<string, CategoryRule> = CATEGORY_RULES) {
    this.#rules = rules;
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

  /** Adds a (verified) event; false when it is known, superseded or too old to keep. */
  add(event: GossipEvent): boolean {
    if (this.#events.has(event.id)) return false;
    const rule = this.#rules[event.category] ?? OTHER_CATEGORIES;
    const authorKey = `${event.category}\n${event.author}`;
    if (rule.unique) {
      const previous = this.#events.get(this.#latest.get(authorKey)!);
      if (previous && byAge(previous, event) >= 0) return false;
      if (previous) this.#delete(previous);
      this.#latest.set(authorKey, event.id);
    }
    this.#events.set(event.id, event);
    let ids = this.#byCategory.get(event.category);
    if (!ids) this.#byCategory.set(event.category, ids = new Set());
    ids.add(event.id);
    if (ids.size > rule.max) {
      let oldest = event;
      for (const id of ids) {
        const e = this.#events.get(id)!;
        if (byAge(e, oldest) < 0) oldest = e;
      }
      this.#delete(oldest);
    }
    return this.#events.has(event.id);
  }

  #delete(event: GossipEvent): void {
    this.#events.delete(event.id);
    this.#byCategory.get(event.category)?.delete(event.id);
    const authorKey = `${event.category}\n${event.author}`;
    if (this.#latest.get(authorKey) === event.id) this.#latest.delete(authorKey);
  }

  /** The store as versioned JSON. */
  encode(): string {
    return JSON.stringify({ format: FORMAT, version: VERSION, events: this.events() });
  }

  /** Reads what {@link encode} wrote; throws an Error saying what is wrong. */
  static decode(text: string, rules?: Record<string, CategoryRule>): EventStore {
    let data: { format?: unknown; version?: unknown; events?: unknown };
    try {
      data = JSON.parse(text);
    } catch {
      throw new Error("stored gossip events are not valid JSON");
    }
    if (data?.format !== FORMAT || data.version !== VERSION || !Array.isArray(data.events)) {
      throw new Error(`stored gossip events must be "${FORMAT}" version ${VERSION}`);
    }
    const store = new EventStore(rules);
    for (const event of data.events) store.add(parseEvent(event));
    return store;
  }
}

function byAge(a: GossipEvent, b: GossipEvent): number {
  return a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

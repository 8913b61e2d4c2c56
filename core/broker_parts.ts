/**
 * The pieces of a broker's bookkeeping that need no access to its internals: completions,
 * queue entries, loop trails and subscriptions (`core/broker.ts` uses them).
 * @module
 */

import type { BrokerErrorReport, Direction, Handler, Subscription, Tap } from "./broker_types.ts";
import type { Logger } from "./log.ts";

/** Counts the queued messages that belong to one emit and resolves when all are done. */
export class Completion {
  /** Messages of the emit not yet done. */
  pending = 1;
  /** Resolves when all are done. */
  readonly promise: Promise<void>;
  #resolve!: () => void;
  /** One pending message: the emit's own. */
  constructor() {
    this.promise = new Promise((resolve) => this.#resolve = resolve);
  }
  /** One message of the emit is done. */
  done(): void {
    if (--this.pending === 0) this.#resolve();
  }
}

/** The brokers a message was forwarded through, newest first, for loop detection. */
export interface Trail {
  /** The broker's id. */
  readonly id: number;
  /** The trail before it. */
  readonly previous: Trail | undefined;
}

/** A queued message. */
export interface Entry {
  /** Input or output. */
  readonly dir: Direction;
  /** The message. */
  readonly msg: unknown;
  /** Where it was forwarded from. */
  readonly trail: Trail | undefined;
  /** The emit it belongs to. */
  readonly completion: Completion | undefined;
}

/** A tap and whether it was removed. */
export interface TapSub {
  /** Removed: skipped from now on. */
  removed: boolean;
  /** The tap. */
  readonly fn: Tap<unknown>;
}

/** A handler and whether it was removed. */
export interface HandlerSub {
  /** Removed: skipped from now on. */
  removed: boolean;
  /** The handler. */
  readonly handler: Handler<unknown, unknown>;
}

/** An error listener and whether it was removed. */
export interface ErrorListenerSub {
  /** Removed: skipped from now on. */
  removed: boolean;
  /** The listener. */
  readonly fn: (report: BrokerErrorReport) => void;
}

/**
 * Gives a subsystem's failure to every listener, or to the log when there is none; a listener
 * that throws is logged too.
 */
export function deliverReport(
  listeners: readonly ErrorListenerSub[],
  report: BrokerErrorReport,
  log: Logger,
): void {
  const { broker, kind, direction, messages, error } = report;
  if (listeners.length === 0) {
    log.error(`"${broker}": a ${kind} failed on ${direction}put`, messages, error);
    return;
  }
  for (const listener of listeners) {
    if (listener.removed) continue;
    try {
      listener.fn(report);
    } catch (listenerError) {
      log.error(`"${broker}": an error listener threw`, listenerError, "while reporting", error);
    }
  }
}

/** True for a promise or any thenable. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

/** True when the broker `id` is on `trail`: the message came around a loop. */
export function onTrail(trail: Trail | undefined, id: number): boolean {
  for (let t = trail; t; t = t.previous) if (t.id === id) return true;
  return false;
}

/** One subscription that removes both `a` and `b`. */
export function both(a: Subscription, b: Subscription): Subscription {
  return {
    remove: () => {
      a.remove();
      b.remove();
    },
  };
}

/**
 * Subscriptions that may be removed while a loop runs over them: the list is copied on every
 * change (loops keep the array they started with) and a removed entry is marked, so a loop
 * skips it.
 */
export class SubscriptionList<T extends { removed: boolean }> {
  /** The current entries; skip those marked removed. */
  items: readonly T[] = [];

  /** Adds `sub`; removing it calls `onRemove` once. */
  add(sub: T, onRemove?: (sub: T) => void): Subscription {
    this.items = [...this.items, sub];
    return { remove: () => this.remove(sub, onRemove) };
  }

  /** Removes `sub` (once), then calls `onRemove`. */
  remove(sub: T, onRemove?: (sub: T) => void): void {
    if (sub.removed) return;
    sub.removed = true;
    this.items = this.items.filter((s) => s !== sub);
    onRemove?.(sub);
  }

  /** Removes every entry. */
  clear(onRemove?: (sub: T) => void): void {
    for (const sub of this.items) this.remove(sub, onRemove);
  }
}

/**
 * Which brokers are linked to which, counted on both sides so that a walk can follow links in
 * either direction (`settle()` waits for everything reachable).
 */
export class LinkGraph<T extends object> {
  readonly #edges = new WeakMap<T, Map<T, number>>();

  /** Adds `delta` links between `a` and `b`. */
  count(a: T, b: T, delta: number): void {
    for (const [from, to] of [[a, b], [b, a]]) {
      let edges = this.#edges.get(from);
      if (!edges) this.#edges.set(from, edges = new Map());
      const count = (edges.get(to) ?? 0) + delta;
      if (count > 0) edges.set(to, count);
      else edges.delete(to);
    }
  }

  /** The nodes linked to `a` directly. */
  neighbours(a: T): T[] {
    return [...(this.#edges.get(a)?.keys() ?? [])];
  }

  /** `start` and every node reachable from it. */
  component(start: T): T[] {
    const seen = new Set<T>([start]);
    const todo = [start];
    while (todo.length > 0) {
      for (const next of this.#edges.get(todo.pop()!)?.keys() ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          todo.push(next);
        }
      }
    }
    return [...seen];
  }
}

/**
 * The pieces of a broker's bookkeeping that need no access to its internals: completions,
 * queue entries, loop trails and subscriptions (`core/broker.ts` uses them).
 * @module
 */

import type { Direction, Handler, Subscription, Tap } from "./broker_types.ts";

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

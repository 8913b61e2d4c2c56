/**
 * The types a broker's users meet: directions, translators, taps, handlers, subscriptions and
 * error reports (`core/broker.ts` has the broker itself).
 * @module
 */

/** Which side of a broker a message is on: `"in"` (inputs) or `"out"` (outputs). */
export type Direction = "in" | "out";

/** Turns a message of one broker into a message of another; `undefined` drops it. */
export type Translator<A, B> = (msg: A) => B | undefined;

/** A callback that sees every message on one side of a broker. */
export type Tap<T> = (msg: T) => void | Promise<void>;

/** A module's logic: gets a batch of inputs, returns the outputs they cause. */
export interface Handler<In, Out> {
  /** Processes `batch` (one or more inputs, in order) and returns the outputs to emit. */
  messages(batch: In[]): Out[] | Promise<Out[]>;
}

/** Returned by everything that adds a subsystem; `remove()` takes it away again. */
export interface Subscription {
  /** Removes the subsystem. Messages already being delivered to it may still arrive. */
  remove(): void;
}

/** What a subsystem that failed was, and what it was processing. */
export interface BrokerErrorReport<In = unknown, Out = unknown> {
  /** The name of the broker the subsystem belongs to. */
  broker: string;
  /** The kind of subsystem that failed. */
  kind: "handler" | "tap" | "translator";
  /** Whether it was processing inputs or outputs. */
  direction: Direction;
  /** The messages it failed on: the whole batch for a handler, one message otherwise. */
  messages: readonly (In | Out)[];
  /** What it threw, or why its result was refused. */
  error: unknown;
}

/** Thrown when a message is emitted into a broker after {@link Broker.close}. */
export class BrokerClosedError extends Error {
  /** Names the closed broker.
   * @param broker the name of the closed broker. */
  constructor(readonly broker: string) {
    super(`broker "${broker}" is closed; create a new one instead of reusing it`);
    this.name = "BrokerClosedError";
  }
}

/**
 * Time for the modules, as a broker of ticks. Modules count ticks, never read the clock, so a
 * test drives them with a {@link SimulatedTimer} instead of waiting.
 *
 * @example
 * ```ts
 * import { SimulatedTimer } from "./timer.ts";
 * const timer = new SimulatedTimer();
 * timer.broker.tapOut(({ tick }) => console.log("tick", tick));
 * await timer.tick(3); // prints tick 1, 2, 3; everything linked to the timer has settled
 * ```
 * @module
 */

import { Broker } from "./broker.ts";
import { Logger } from "./log.ts";

/** One tick; `tick` counts from 1. A real timer ticks once a second. */
export interface Tick {
  /** The number of this tick since the timer started. */
  tick: number;
}

/** The broker a timer emits its ticks on; link modules to its outputs. */
export type TimerBroker = Broker<never, Tick>;

/** A source of ticks. */
export interface Timer {
  /** Emits a {@link Tick} output per tick. */
  readonly broker: TimerBroker;
  /** Stops ticking. */
  close(): void;
}

const log = new Logger("timer");

/**
 * Ticks every `intervalMs` (one second by default) from `setTimeout`, without drifting; warns
 * when a tick comes more than two intervals late (the machine is too busy). Keeps a program
 * alive until {@link close} is called.
 */
export class IntervalTimer implements Timer {
  /** Emits the ticks. */
  readonly broker: TimerBroker = new Broker("timer");
  readonly #intervalMs: number;
  #count = 0;
  #start = Date.now();
  #handle: ReturnType<typeof setTimeout> | undefined;

  /** Starts ticking at once. */
  constructor(intervalMs = 1000) {
    if (!(intervalMs > 0)) throw new RangeError("the timer interval must be a positive number");
    this.#intervalMs = intervalMs;
    this.#arm();
  }

  /** Stops ticking; the pending tick is cancelled. */
  close(): void {
    clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  #arm(): void {
    const due = this.#start + (this.#count + 1) * this.#intervalMs;
    this.#handle = setTimeout(() => this.#fire(due), Math.max(0, due - Date.now()));
  }

  #fire(due: number): void {
    const late = Date.now() - due;
    if (late > 2 * this.#intervalMs) {
      log.warn(`tick ${this.#count + 1} came ${late} ms late: the machine is too busy`);
      // Skip the missed ticks instead of firing a burst of them.
      this.#count += Math.floor(late / this.#intervalMs);
    }
    this.#count++;
    this.broker.enqueueOut({ tick: this.#count });
    this.#arm();
  }
}

/** A timer that ticks only when told: tests and simulations step it by hand. */
export class SimulatedTimer implements Timer {
  /** Emits the ticks. */
  readonly broker: TimerBroker = new Broker("simulated-timer");
  #count = 0;

  /** The number of ticks so far. */
  get count(): number {
    return this.#count;
  }

  /** Emits `n` ticks one after another, each settled before the next. */
  async tick(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      await this.broker.emitOut({ tick: ++this.#count });
      await this.broker.settle();
    }
  }

  /** Nothing to stop; present so both timers can be used alike. */
  close(): void {}
}

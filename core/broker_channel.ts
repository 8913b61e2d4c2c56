/**
 * The channel a broker's messages are read from with `for await`, `next()` or `recv()`
 * (`Broker.channelIn`/`channelOut` make one).
 *
 * @example
 * ```ts
 * import { BrokerChannel } from "./broker_channel.ts";
 * const channel = new BrokerChannel<string>();
 * channel.push("hello");
 * console.log(await channel.recv()); // "hello"
 * channel.close();
 * ```
 * @module
 */

import { Fifo } from "./fifo.ts";

/**
 * An unbounded queue of a broker's messages that is read with `for await`, {@link next} or
 * {@link recv}. Breaking out of a `for await` loop or calling {@link close} unsubscribes it.
 */
export class BrokerChannel<T> implements AsyncIterableIterator<T> {
  readonly #buffer = new Fifo<T>();
  readonly #waiters = new Fifo<(result: IteratorResult<T>) => void>();
  #closed = false;
  readonly #onClose: () => void;

  /** Creates an open, empty channel.
   * @param onClose called once when the channel closes (the broker removes its tap). */
  constructor(onClose: () => void = () => {}) {
    this.#onClose = onClose;
  }

  /** The number of messages waiting to be read. */
  get size(): number {
    return this.#buffer.length;
  }

  /** True once closed: no more messages arrive, but buffered ones can still be read. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Adds a message (the broker calls this); ignored after close. */
  push(msg: T): void {
    if (this.#closed) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter({ value: msg, done: false });
    else this.#buffer.push(msg);
  }

  /** The next message; `done` once the channel is closed and drained. */
  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.length > 0) {
      return Promise.resolve({ value: this.#buffer.shift()!, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The next message; rejects if the channel is closed and drained. */
  async recv(): Promise<T> {
    const result = await this.next();
    if (result.done) throw new Error("the channel is closed and has no more messages");
    return result.value;
  }

  /** Stops receiving; pending readers get `done`. Called by `for await` on `break`. */
  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stops receiving and unsubscribes from the broker. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
    for (const waiter of this.#waiters.drain()) waiter({ value: undefined, done: true });
  }

  /** Makes the channel usable in `for await`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

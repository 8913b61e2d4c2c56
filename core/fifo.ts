/**
 * A first-in, first-out queue with O(1) `push` and `shift` at any length (an array's `shift` can
 * cost O(n) per call, which made sending tens of thousands of queued small messages quadratic).
 *
 * @example
 * ```ts
 * import { Fifo } from "./fifo.ts";
 * const queue = new Fifo<string>();
 * queue.push("a");
 * queue.push("b");
 * console.log(queue.shift(), queue.length); // "a" 1
 * ```
 * @module
 */

/** A FIFO queue; see the module documentation. */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** The number of items queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds `item` at the end. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** The item `index` places from the front (0 = the first), without removing it. */
  at(index: number): T | undefined {
    return index >= 0 && index < this.length ? this.#items[this.#head + index] : undefined;
  }

  /** Removes and returns the first item. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined; // let it be collected
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const items = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return items;
  }
}

/**
 * A token bucket: a budget of `rate` a second with bursts of `burst`, for what a peer or a client
 * may make this node do. {@link TokenBucket.take} spends one token, or says there is none.
 *
 * @example
 * ```ts
 * import { TokenBucket } from "./token_bucket.ts";
 * const bucket = new TokenBucket(50, 200);
 * let taken = 0;
 * while (bucket.take()) taken++;
 * console.log(taken); // 200: the burst, then 50 more each second
 * ```
 * @module
 */

/** A budget that refills at `rate` a second up to `burst`; see the module documentation. */
export class TokenBucket {
  #tokens: number;
  #at: number;

  /** A full bucket; `now` is its clock (ms). */
  constructor(
    readonly rate: number,
    readonly burst: number,
    readonly now: () => number = Date.now,
  ) {
    this.#tokens = burst;
    this.#at = now();
  }

  /** Spends one token: true when there was one, false when the budget is spent. */
  take(): boolean {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + (now - this.#at) * this.rate / 1000);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}

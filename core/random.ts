/**
 * Sources of randomness. Product code uses {@link secureRandom}; simulations and tests pass a
 * {@link seededRandom} so that a run can be repeated exactly.
 * @module
 */

/** A source of uniformly distributed numbers in [0, 1). */
export type Rng = () => number;

/** Cryptographically strong randomness from `crypto.getRandomValues`. */
export function secureRandom(): number {
  const word = new Uint32Array(1);
  crypto.getRandomValues(word);
  return word[0] / 0x1_0000_0000;
}

/**
 * A small deterministic generator (mulberry32): the same seed gives the same sequence on every
 * runtime. Not for keys or anything secret.
 */
export function seededRandom(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/** Returns `count` distinct elements of `items` in random order (all of them if fewer). */
export function sample<T>(items: readonly T[], count: number, rng: Rng = secureRandom): T[] {
  const pool = items.slice();
  const n = Math.max(0, Math.min(pool.length, Math.trunc(count)));
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  pool.length = n;
  return pool;
}

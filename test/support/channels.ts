/**
 * Waiting for a broker output in tests.
 * @module
 */

import type { BrokerChannel } from "../../core/broker.ts";

/**
 * Reads `channel` until an output of `type` (matching `where`) comes; fails after `ms`
 * instead of hanging the test.
 */
export async function nextOf<T extends { type: string }, K extends T["type"]>(
  channel: BrokerChannel<T>,
  type: K,
  where: (out: Extract<T, { type: K }>) => boolean = () => true,
  ms = 10_000,
): Promise<Extract<T, { type: K }>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no "${type}" output within ${ms} ms`)), ms);
  });
  try {
    for (;;) {
      const out = await Promise.race([channel.recv(), timeout]);
      if (out.type === type && where(out as Extract<T, { type: K }>)) {
        return out as Extract<T, { type: K }>;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

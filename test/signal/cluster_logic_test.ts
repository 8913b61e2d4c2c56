/**
 * The cluster's bounds with a stand-in bus (its real behaviour over NATS is
 * test/signal/cluster_test.ts): lists waiting for other servers are capped.
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { U256 } from "../../core/ids.ts";
import type { NodeInfo } from "../../core/config.ts";
import { SignalCluster } from "../../signal/cluster.ts";
import type { ClusterBus } from "../../signal/cluster_options.ts";

const info = (name: string): NodeInfo => ({
  name,
  client: "c",
  pubkey: U256.random(),
  modules: [],
});

describe("a cluster's lists", () => {
  it("are answered from this server alone while maxPendingLists wait for others", async () => {
    const handlers = new Map<string, (data: string) => void>();
    const waiting: (() => void)[] = [];
    const bus: ClusterBus = {
      publish: () => {},
      subscribe: (subject, handler) => {
        handlers.set(subject, (data) => handler(data, () => {}));
        return { unsubscribe: () => handlers.delete(subject) };
      },
      // another server's sample never comes until released
      request: () => new Promise((resolve) => waiting.push(() => resolve('{"nodes":[]}'))),
      flush: () => Promise.resolve(),
      connected: true,
      server: "stand-in",
      close: () => Promise.resolve(),
    };
    const mine = [info("here-1"), info("here-2")];
    const cluster = new SignalCluster(bus, {
      deliver: () => "ok",
      replaced: () => {},
      sample: (count) => mine.slice(0, count),
      nodeCount: () => mine.length,
    }, { maxPendingLists: 1, heartbeatMs: 60_000 });
    try {
      handlers.get("flnet.flnet.servers")!(
        JSON.stringify({ server: "0123456789abcdef", nodes: 50 }),
      );
      const first = cluster.list(10);
      assert.equal(waiting.length, 1, "the first list asks the other server");
      const second = await cluster.list(10);
      assert.deepEqual(second, mine, "the second is answered from this server's nodes");
      assert.equal(waiting.length, 1, "and asks nobody");
      waiting[0]();
      // released, the first completes: this server's share, the other server's sample was empty
      assert.ok((await first).every((node) => mine.includes(node)));
    } finally {
      await cluster.close();
    }
  });
});

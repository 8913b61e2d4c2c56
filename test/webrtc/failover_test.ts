/**
 * A node given several signalling servers: it starts at one, moves to the next when that one
 * fails or goes away, and its open data channels never notice.
 * @module
 */

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NetworkError } from "../../net/api.ts";
import { NodeConfig } from "../../core/config.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { loopback, loopbackNode, until } from "../../harness/network.ts";
import { networkStart } from "../../node.ts";

/** Addresses where nothing listens (ports of servers started and stopped at once). */
async function deadUrls(count: number): Promise<string[]> {
  const urls = [];
  for (let i = 0; i < count; i++) {
    const server = await serveSignal({ port: 0 });
    urls.push(server.url);
    await server.close();
  }
  return urls;
}

describe("several signalling servers", { timeout: 60_000 }, () => {
  it("moves to the next server when its own goes away; data channels keep working", async () => {
    const [first, second] = [await serveSignal({ port: 0 }), await serveSignal({ port: 0 })];
    // both start at the first address (rng 0), so they meet on the first server
    const start = { signal: { websocket: { rng: () => 0, backoffInitialMs: 50 } } };
    const urls = [first.url, second.url];
    const a = await loopbackNode(urls, "node-datachannel", "a", start);
    const b = await loopbackNode(urls, "node-datachannel", "b", start);
    try {
      await a.send(b.id, "via the first");
      assert.equal((await b.recv()).data, "via the first");
      await first.close();
      await until(
        "both moved to the second server",
        () => second.server.stats().nodesOnline === 2,
        10_000,
      );
      await a.send(b.id, "still open");
      assert.equal((await b.recv()).data, "still open");
    } finally {
      await a.close();
      await b.close();
      await second.close();
    }
  });

  it("skips a server that is down at the start, and fails only when every one is", async () => {
    const [dead, alsoDead] = await deadUrls(2);
    const live = await serveSignal({ port: 0 });
    try {
      const start = { signal: { websocket: { rng: () => 0, backoffInitialMs: 50 } } };
      const node = await networkStart(
        await NodeConfig.create(),
        [dead, live.url],
        loopback("node-datachannel", start),
      );
      assert.equal(live.server.stats().nodesOnline, 1);
      await node.close();
      await assert.rejects(
        networkStart(
          await NodeConfig.create(),
          [dead, alsoDead],
          loopback("node-datachannel", start),
        ),
        (error: NetworkError) =>
          error.code === "signal-unreachable" && error.message.includes(`${dead} or ${alsoDead}`),
      );
    } finally {
      await live.close();
    }
  });
});

/**
 * Real nodes (node-datachannel) on a cluster of signalling servers (Deno and Node processes,
 * each on its own member of a 3-member NATS cluster): nodes on different servers connect and
 * talk; a server killed without notice, and one stopped with SIGTERM, lose no node for long.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import type { SignalProcess } from "../../harness/signal_process.ts";
import { serverStats, startClusteredServers } from "../../harness/signal_cluster.ts";
import { loopbackNode, until } from "../../harness/network.ts";
import { type NatsCluster, startNatsCluster } from "../../harness/nats_cluster.ts";
import type { Network } from "../../net/api.ts";

/** A node that starts on `servers[first]` and moves on through the others in order. */
function nodeOn(servers: SignalProcess[], first: number, name: string): Promise<Network> {
  const urls = servers.map((_, i) => servers[(first + i) % servers.length].url);
  return loopbackNode(urls, "node-datachannel", name, {
    signal: { websocket: { rng: () => 0, backoffInitialMs: 100 } },
  });
}

describe("real nodes on a cluster of signalling servers", { timeout: 90_000 }, () => {
  let nats: NatsCluster;
  let servers: SignalProcess[];

  before(async () => {
    nats = await startNatsCluster(3);
    servers = await startClusteredServers(nats, [
      { runtime: "deno" },
      { runtime: "node" },
      { runtime: "deno", args: ["--drain", "1"] },
    ]);
  });

  after(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    await nats.close();
  });

  it("connects nodes on different servers; a killed server's nodes are back within 10 s", async () => {
    const a = await nodeOn(servers, 0, "a");
    const b = await nodeOn(servers, 1, "b");
    const late: Network[] = [];
    try {
      assert.equal((await serverStats(servers[0])).nodesOnline, 1);
      assert.equal((await serverStats(servers[1])).nodesOnline, 1);
      // A finds B in its server's list, though B is on another server
      await until(
        "A lists B",
        async () => (await a.nodes()).some((info) => info.pubkey === b.id),
        3_000,
      );
      await a.send(b.id, "across servers");
      const first = await b.recv();
      assert.deepEqual([first.from, first.data], [a.id, "across servers"]);
      assert.ok(
        (await serverStats(servers[0])).cluster!.relaysOut.ok > 0,
        "the setup crossed NATS",
      );

      await servers[1].kill(); // B's server, without a word
      const killed = Date.now();
      // B moves on to the next address it was given: the third server
      await until("B is back, on the third server", async () => {
        return (await serverStats(servers[2])).nodesOnline === 1;
      }, 10_000);
      const back = Date.now() - killed;
      assert.ok(back < 10_000, `back after ${back} ms`);
      // the open data channel never noticed; a newcomer reaches B through the cluster
      await a.send(b.id, "still open");
      assert.equal((await b.recv()).data, "still open");
      const c = await nodeOn(servers, 0, "c");
      late.push(c);
      await c.send(b.id, "found you");
      const got = await b.recv();
      assert.deepEqual([got.from, got.data], [c.id, "found you"]);

      // a server told to stop drains: its nodes move to the one left, which can reach them
      assert.ok(await servers[2].stop(), "the third server shut down cleanly");
      await until(
        "every node is on the first server",
        async () => (await serverStats(servers[0])).nodesOnline === 3,
        10_000,
      );
      const d = await nodeOn(servers, 0, "d");
      late.push(d);
      await d.send(b.id, "after the drain");
      assert.equal((await b.recv()).data, "after the drain");
    } finally {
      for (const node of [a, b, ...late]) await node.close();
    }
  });
});

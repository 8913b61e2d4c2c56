/**
 * Signalling servers clustered over a real 3-member NATS cluster: servers on Deno and on Node,
 * each on its own NATS member, nodes spoken to with raw protocol frames.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { U256 } from "../../core/ids.ts";
import type { ServerMessage } from "../../net/signal_protocol.ts";
import type { SignalProcess } from "../../harness/signal_process.ts";
import { startClusteredServers } from "../../harness/signal_cluster.ts";
import { RawClient } from "../../harness/raw_client.ts";
import { until } from "../../harness/network.ts";
import { type NatsCluster, startNatsCluster } from "../../harness/nats_cluster.ts";

/** The next message that is not a list reply or pong (lists may be in flight). */
async function nextOf(client: RawClient, type: ServerMessage["type"]): Promise<ServerMessage> {
  for (;;) {
    const message = await client.next();
    if (message.type === type) return message;
  }
}

async function listed(client: RawClient): Promise<string[]> {
  const reply = await client.ask({ type: "list", rid: 1 });
  assert.equal(reply.type, "list", JSON.stringify(reply));
  return reply.type === "list" ? reply.nodes.map((n) => n.pubkey) : [];
}

describe("a cluster of signalling servers over NATS", { timeout: 60_000 }, () => {
  let nats: NatsCluster;
  let servers: SignalProcess[];

  before(async () => {
    nats = await startNatsCluster(3);
    // one server per NATS member; the second runs on Node
    const args = ["--max-list-len", "10"];
    servers = await startClusteredServers(nats, [
      { runtime: "deno", args },
      { runtime: "node", args },
      { runtime: "deno", args },
    ]);
  });

  after(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    await nats.close();
  });

  it("lists and relays across servers; a relay to nobody fails at once", async () => {
    const [configA, configB, configC] = await Promise.all([
      NodeConfig.create(),
      NodeConfig.create(),
      NodeConfig.create(),
    ]);
    const a = await RawClient.announced(servers[0].url, configA);
    const b = await RawClient.announced(servers[1].url, configB);
    const c = await RawClient.announced(servers[2].url, configC);
    try {
      // every node sees the others, wherever they connected (heartbeats carry the counts)
      await until("each lists the other two", async () => {
        for (
          const [client, mine, others] of [
            [a, configA.id, [configB.id, configC.id]],
            [b, configB.id, [configA.id, configC.id]],
            [c, configC.id, [configA.id, configB.id]],
          ] as const
        ) {
          const ids = await listed(client);
          if (ids.length !== 2) return false;
          assert.ok(!ids.includes(mine), "a node is never listed to itself");
          assert.deepEqual(ids.toSorted(), [...others].sort(), "the other two, wherever they are");
        }
        return true;
      }, 5_000);

      a.send({ type: "relay", to: configB.id, signal: { hello: "from a" } });
      const relayed = await nextOf(b, "relay");
      assert.deepEqual(relayed, { type: "relay", from: configA.id, signal: { hello: "from a" } });
      b.send({ type: "relay", to: configC.id, signal: { n: 1 } });
      b.send({ type: "relay", to: configC.id, signal: { n: 2 } });
      assert.deepEqual((await nextOf(c, "relay") as { signal: unknown }).signal, { n: 1 });
      assert.deepEqual((await nextOf(c, "relay") as { signal: unknown }).signal, { n: 2 });

      const nobody = U256.random();
      const sent = performance.now();
      a.send({ type: "relay", to: nobody, signal: {}, rid: 7 });
      const error = await nextOf(a, "error");
      const ms = performance.now() - sent;
      assert.deepEqual(
        { ...error, message: "" },
        { type: "error", code: "unknown-node", fatal: false, rid: 7, to: nobody, message: "" },
      );
      // a request timeout would take 2 s; "no responders" comes back at once
      assert.ok(ms < 1_000, `unknown-node after ${ms.toFixed(0)} ms`);

      const metrics = await (await fetch(`${servers[1].url.replace("ws:", "http:")}/metrics`))
        .text();
      assert.match(metrics, /^flnet_signal_cluster_peers 2$/m);
      assert.match(metrics, /^flnet_signal_nats_connected\{server="127\.0\.0\.1:\d+"\} 1$/m);
      assert.match(metrics, /^flnet_signal_cluster_relays_in_total\{outcome="ok"\} 1$/m);
      assert.match(metrics, /^flnet_signal_cluster_relays_out_total\{outcome="ok"\} 2$/m);

      await c.close();
      // a relay that reaches C's server before it saw the close goes into the closing socket
      await until("C's server let it go", async () => {
        a.send({ type: "relay", to: configC.id, signal: {}, rid: 8 });
        const reply = await a.next(300).catch(() => undefined);
        return reply?.type === "error" && reply.code === "unknown-node";
      }, 3_000);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("closes a node's old connection when it announces on another server", async () => {
    const config = await NodeConfig.create();
    const first = await RawClient.announced(servers[0].url, config);
    const second = await RawClient.announced(servers[1].url, config);
    const error = await nextOf(first, "error");
    assert.equal(error.type === "error" && error.code, "replaced");
    assert.equal((await first.closed).reason, "replaced");
    const other = await RawClient.announced(servers[2].url, await NodeConfig.create());
    other.send({ type: "relay", to: config.id, signal: { still: "here" } });
    assert.deepEqual((await nextOf(second, "relay") as { signal: unknown }).signal, {
      still: "here",
    });
    await other.close();
    await second.close();
  });

  it("relays again within 3 s after a server's NATS member died and came back", async () => {
    const [configA, configB] = await Promise.all([NodeConfig.create(), NodeConfig.create()]);
    const a = await RawClient.announced(servers[0].url, configA);
    const b = await RawClient.announced(servers[1].url, configB);
    try {
      await nats.members[0].kill();
      const killed = Date.now();
      // relays from A (whose server lost its NATS member) fail with an error until its client
      // moves to another member; none vanishes without a word
      let sent = 0;
      let delivered = 0;
      let failed = 0;
      const countErrors = async (waitMs: number) => {
        for (;;) {
          const reply = await a.next(waitMs).catch(() => undefined);
          if (!reply) return;
          if (reply.type !== "error") continue;
          assert.ok(["relay-failed", "unknown-node"].includes(reply.code), JSON.stringify(reply));
          failed++;
        }
      };
      while (delivered === 0 && Date.now() - killed < 5_000) {
        a.send({ type: "relay", to: configB.id, signal: { n: sent }, rid: sent });
        sent++;
        const got = await b.next(200).catch(() => undefined);
        if (got?.type === "relay") delivered++;
        await countErrors(0);
      }
      const resumed = Date.now() - killed;
      assert.equal(delivered, 1, "relaying resumed");
      assert.ok(resumed < 3_000, `relaying resumed after ${resumed} ms`);
      await countErrors(2_500); // relays caught in the switch time out after 2 s
      assert.equal(
        delivered + failed,
        sent,
        `${sent} sent: ${delivered} relayed, ${failed} errors`,
      );
      await nats.members[0].restart();
    } finally {
      await a.close();
      await b.close();
    }
  });
});

/**
 * A flood of TCP connections against a server whose process may open only 128 files: the
 * server refuses what it cannot hold, its accept loop comes back when descriptors free up, and
 * the node that was connected before keeps working.
 * @module
 */

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { RawClient } from "../../harness/raw_client.ts";
import { startSignalProcess } from "../../harness/signal_process.ts";
import { until } from "../../harness/network.ts";

describe("a server out of file descriptors", { timeout: 60_000 }, () => {
  it("survives a connection flood and serves again once it is over", async () => {
    const server = await startSignalProcess([], ["sh", "-c", 'ulimit -n 128 && exec "$0" "$@"']);
    const port = Number(new URL(server.url.replace(/^ws/, "http")).port);
    const flood: Deno.Conn[] = [];
    try {
      const before = await RawClient.announced(server.url, await NodeConfig.create());
      for (let i = 0; i < 300; i++) {
        try {
          flood.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        } catch {
          // refused: the listener gave up for now
        }
      }
      assert.ok(flood.length >= 60, `${flood.length} flood connections accepted`);
      for (const conn of flood.splice(0)) conn.close();
      // the server is alive and accepting again; the node from before still has its connection
      await until("the server accepts again", async () => {
        const health = await fetch(server.url.replace(/^ws/, "http") + "/health")
          .then((r) => r.json()).catch(() => undefined);
        return health?.status === "ok";
      }, 10_000);
      const after = await RawClient.announced(server.url, await NodeConfig.create());
      const list = await before.ask({ type: "list" });
      assert.equal(list.type, "list");
      assert.ok(list.type === "list" && list.nodes.length === 1, "the newcomer is listed");
      await after.close();
      await before.close();
    } finally {
      for (const conn of flood) conn.close();
      assert.ok(await server.stop(), "the server was alive and shut down cleanly");
    }
  });
});

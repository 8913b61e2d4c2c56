import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import type { NodeID } from "../../core/ids.ts";
import { IntervalTimer } from "../../core/timer.ts";
import type { Node } from "../../node/node.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { loopbackFullNode, until } from "../../harness/network.ts";
import { startPeer } from "../../harness/peer_process.ts";

describe("a Node process killed with SIGKILL", { timeout: 120_000 }, () => {
  it("is noticed by its neighbours and replaced", async () => {
    const server = await serveSignal({ port: 0 });
    const timer = new IntervalTimer(100);
    const nodes: Node[] = [];
    const peer = await startPeer("deno", [
      "--signal",
      server.url,
      "--engine",
      "wrtc",
      "--mode",
      "node",
    ]);
    const victim = peer.id as NodeID;
    try {
      for (let i = 0; i < 5; i++) {
        nodes.push(
          await loopbackFullNode(server.url, i % 2 === 0 ? "wrtc" : "node-datachannel", timer),
        );
      }
      await until(
        "someone connects to the process",
        () => nodes.some((n) => n.connectedNodes().includes(victim)),
        20_000,
      );
      peer.child.kill("SIGKILL");
      await until(
        "nobody is connected to the killed node",
        () => nodes.every((n) => !n.connectedNodes().includes(victim)),
        30_000,
      );
      for (const node of nodes) {
        await until(
          "each node is connected again",
          () => node.connectedNodes().length >= 1,
          10_000,
        );
      }
      const stale = nodes.filter((n) => n.connectedNodes().includes(victim));
      assert.deepEqual(stale, [], "the dead node stays gone once noticed");
      const stats = nodes.map((n) => n.snapshot().random?.connected.length ?? 0);
      assert.ok(stats.every((degree) => degree >= 1), `degrees after the kill: ${stats}`);
    } finally {
      peer.child.kill("SIGKILL");
      await peer.exited;
      timer.close();
      for (const node of nodes) await node.close();
      await server.close();
    }
  });
});

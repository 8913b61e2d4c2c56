import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import type { NodeID } from "../../core/ids.ts";
import { IntervalTimer } from "../../core/timer.ts";
import type { Node } from "../../node/node.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { loopbackFullNode, until } from "../../harness/network.ts";

function oneGraph(nodes: Node[]): boolean {
  const alive = new Set(nodes.map((n) => n.id));
  const peers = new Map(nodes.map((n) => [n.id, n.connectedNodes().filter((p) => alive.has(p))]));
  const seen = new Set<NodeID>([nodes[0].id]);
  const todo = [nodes[0].id];
  while (todo.length > 0) {
    for (const p of peers.get(todo.pop()!) ?? []) {
      if (!seen.has(p)) {
        seen.add(p);
        todo.push(p);
      }
    }
  }
  return seen.size === nodes.length;
}

describe("8 Nodes on real WebRTC and a real signalling server", { timeout: 120_000 }, () => {
  it("form one overlay, share a chat message and an app message, and replace a node that dies", async () => {
    const server = await serveSignal({ port: 0 });
    const timer = new IntervalTimer(100); // one tick every 100 ms keeps the test short
    const nodes: Node[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const engine = i % 2 === 0 ? "wrtc" : "node-datachannel";
        nodes.push(await loopbackFullNode(server.url, engine, timer, `node${i}`));
      }
      await until("one connected overlay", () => oneGraph(nodes), 20_000);

      await nodes[0].sendChat("hello, overlay");
      await until("the chat message reached every node", async () => {
        const histories = await Promise.all(nodes.map((n) => n.chatHistory()));
        return histories.every((h) => h.some((m) => m.text === "hello, overlay"));
      }, 10_000);

      // an application's own module, between a wrtc node and a node-datachannel one
      const votes: string[] = [];
      nodes[3].on("votes", (msg) => votes.push(`${msg.from === nodes[0].id} ${msg.data}`));
      await nodes[0].send(nodes[3].id, "aye", "votes");
      await until("the vote arrived", () => votes.length > 0, 10_000);
      assert.deepEqual(votes, ["true aye"]);

      const [victim] = nodes.splice(5, 1);
      const left: string[] = [];
      const watcher = nodes.find((node) => node.peers().includes(victim.id))!;
      watcher.onPeer((event) => {
        if (event.id === victim.id) left.push(event.type);
      });
      await victim.network.broker.emitIn({ type: "close" }); // dies without a word to its modules
      await until(
        "nobody is connected to the dead node any more",
        () => nodes.every((n) => !n.connectedNodes().includes(victim.id)),
        20_000,
      );
      await until("the others are one overlay again", () => oneGraph(nodes), 20_000);
      assert.deepEqual(left, ["disconnected"], "a neighbour of the dead node heard it leave");
      assert.ok(!watcher.peers().includes(victim.id));
      for (const node of nodes) assert.ok(node.connectedNodes().length >= 1);
    } finally {
      timer.close();
      for (const node of nodes) await node.close();
      await server.close();
    }
  });
});

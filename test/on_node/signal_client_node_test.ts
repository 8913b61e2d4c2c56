import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { NodeConfig } from "../../node.ts";
import { NodeWebSocket } from "../../adapters/node/websocket.ts";
import { startSignalClient } from "../../wire.ts";
import { nextOf } from "../support/channels.ts";
import { type SignalProcess, startSignalProcess } from "../../harness/signal_process.ts";

describe("flnet/node signal client against the server process", () => {
  let server: SignalProcess;
  before(async () => server = await startSignalProcess());
  after(async () => assert.ok(await server.stop(), "the server shuts down gracefully"));

  it("uses the runtime's WebSocket, or the ws package where there is none", () => {
    const global = (globalThis as { WebSocket?: unknown }).WebSocket;
    if (global) assert.equal(NodeWebSocket, global);
    else assert.equal(NodeWebSocket.name, "WebSocket");
  });

  it("announces, lists and relays", async () => {
    const [alice, bob] = await Promise.all([
      NodeConfig.create({ name: "alice" }),
      NodeConfig.create({ name: "bob" }),
    ]);
    const a = startSignalClient(alice, server.url, NodeWebSocket);
    const b = startSignalClient(bob, server.url, NodeWebSocket);
    const aOut = a.channelOut();
    const bOut = b.channelOut();
    try {
      assert.equal((await nextOf(aOut, "ready")).id, alice.id);
      await nextOf(bOut, "ready");
      await a.emitIn({ type: "list" });
      assert.deepEqual((await nextOf(aOut, "list")).nodes.map((n) => n.name), ["bob"]);
      await a.emitIn({ type: "relay", to: bob.id, signal: { kind: "offer", sdp: "v=0" } });
      const relay = await nextOf(bOut, "relay");
      assert.equal(relay.from, alice.id);
      assert.deepEqual(relay.signal, { kind: "offer", sdp: "v=0" });
    } finally {
      await a.emitIn({ type: "close" });
      await b.emitIn({ type: "close" });
      await nextOf(aOut, "closed");
      await nextOf(bOut, "closed");
    }
  });
});

import { describe, it } from "../support/timed.ts";
import { NOTHING_LISTENS } from "../../harness/signal_process.ts";
import assert from "node:assert/strict";
import type { BrokerChannel } from "../../core/broker.ts";
import { NodeConfig } from "../../core/config.ts";
import { U256 } from "../../core/ids.ts";
import { type SignalOut, startSignalClient } from "../../net/signal_client.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { nextOf } from "../support/channels.ts";

async function client(url: string, name: string) {
  const config = await NodeConfig.create({ name });
  const broker = startSignalClient(config, url, WebSocket, { websocket: { backoffInitialMs: 50 } });
  const outputs = broker.channelOut();
  return { config, broker, outputs };
}

describe("signal client against a real server", () => {
  it("announces, lists, relays and reports unknown targets", async () => {
    const running = await serveSignal({ port: 0 });
    const alice = await client(running.url, "alice");
    const bob = await client(running.url, "bob");
    try {
      const ready = await nextOf(alice.outputs, "ready");
      assert.equal(ready.id, alice.config.id);
      await nextOf(bob.outputs, "ready");
      await alice.broker.emitIn({ type: "list" });
      const list = await nextOf(alice.outputs, "list");
      assert.deepEqual(list.nodes.map((n) => n.name), ["bob"]);
      await alice.broker.emitIn({ type: "relay", to: bob.config.id, signal: { kind: "offer" } });
      const relay = await nextOf(bob.outputs, "relay");
      assert.deepEqual(relay, { type: "relay", from: alice.config.id, signal: { kind: "offer" } });
      const nobody = U256.random();
      await alice.broker.emitIn({ type: "relay", to: nobody, signal: {} });
      const error = await nextOf(alice.outputs, "error");
      assert.equal(error.code, "unknown-node");
      assert.equal(error.to, nobody);
    } finally {
      await alice.broker.emitIn({ type: "close" });
      await bob.broker.emitIn({ type: "close" });
      await running.close();
    }
  });

  it("re-announces after the server restarts on the same port and loses no request", async () => {
    let running = await serveSignal({ port: 0 });
    const port = running.port;
    const alice = await client(running.url, "alice");
    const bob = await client(running.url, "bob");
    try {
      await nextOf(alice.outputs, "ready");
      await nextOf(bob.outputs, "ready");
      await running.close();
      const down = await nextOf(alice.outputs, "disconnected");
      assert.ok(typeof down.reconnectInMs === "number", "it says when it reconnects");
      await alice.broker.emitIn({ type: "list" }); // sent while the server is down
      running = await serveSignal({ port });
      await nextOf(alice.outputs, "ready");
      await nextOf(bob.outputs, "ready");
      const list = await nextOf(alice.outputs, "list");
      assert.deepEqual(
        list.nodes.filter((n) => n.name !== "bob"),
        [],
        "nobody but bob (who may not have re-announced yet): not alice herself, not stale entries",
      );
      await alice.broker.emitIn({ type: "list" });
      assert.deepEqual((await nextOf(alice.outputs, "list")).nodes.map((n) => n.name), ["bob"]);
      assert.equal(running.server.stats().nodesOnline, 2);
    } finally {
      await alice.broker.emitIn({ type: "close" });
      await bob.broker.emitIn({ type: "close" });
      await running.close();
    }
  });

  it("stops for good when another connection takes over its id", async () => {
    const running = await serveSignal({ port: 0 });
    const config = await NodeConfig.create();
    const first = startSignalClient(config, running.url, WebSocket);
    const firstOut = first.channelOut();
    try {
      await nextOf(firstOut, "ready");
      const second = startSignalClient(config, running.url, WebSocket);
      const secondOut = second.channelOut();
      await nextOf(secondOut, "ready");
      const error = await nextOf(firstOut, "error");
      assert.equal(error.code, "replaced");
      await nextOf(firstOut, "closed");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stats = running.server.stats();
      assert.equal(stats.connections, 1, "the first did not come back to fight");
      assert.equal(stats.errorsByCode.replaced ?? 0, 1, "nobody was replaced again");
      await second.emitIn({ type: "close" });
    } finally {
      await running.close();
    }
  });

  it("keeps a quiet connection alive past the server's TTL", async () => {
    const running = await serveSignal({ port: 0, ttlMs: 300 });
    const alice = await client(running.url, "alice");
    try {
      await nextOf(alice.outputs, "ready");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(running.server.stats().nodesOnline, 1);
      assert.equal(running.server.stats().errorsByCode["ttl-expired"], undefined);
    } finally {
      await alice.broker.emitIn({ type: "close" });
      await running.close();
    }
  });

  it("reports requests it could not deliver", async () => {
    const broker = startSignalClient(await NodeConfig.create(), NOTHING_LISTENS, WebSocket, {
      websocket: { queueMaxAgeMs: 200, backoffInitialMs: 20 },
    });
    const outputs = broker.channelOut();
    const to = U256.random();
    await broker.emitIn({ type: "relay", to, signal: { n: 1 } });
    const failed = await nextOf(outputs, "send-failed");
    assert.deepEqual(failed.request, { type: "relay", to, signal: { n: 1 } });
    assert.match(failed.reason, /not connected for 200 ms/);
    await broker.emitIn({ type: "list" });
    await broker.emitIn({ type: "close" });
    const onClose = await nextOf(outputs, "send-failed");
    assert.deepEqual(onClose.request, { type: "list" });
    assert.match(onClose.reason, /closed before sending/);
    await nextOf(outputs, "closed");
  });

  it("refuses a server that speaks another protocol version, without reconnecting", async () => {
    let connections = 0;
    const fake = Deno.serve({ port: 0, onListen: () => {} }, (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request);
      connections++;
      socket.onopen = () =>
        socket.send(JSON.stringify({ type: "challenge", version: 99, challenge: U256.random() }));
      return response;
    });
    const broker = startSignalClient(
      await NodeConfig.create(),
      `ws://127.0.0.1:${fake.addr.port}`,
      WebSocket,
      { websocket: { backoffInitialMs: 10 } },
    );
    const outputs: BrokerChannel<SignalOut> = broker.channelOut();
    try {
      const error = await nextOf(outputs, "error");
      assert.equal(error.code, "version-mismatch");
      assert.equal(error.fatal, true);
      assert.match(
        error.message,
        /server speaks signalling protocol version 99, this client version 1/,
      );
      await nextOf(outputs, "closed");
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(connections, 1);
    } finally {
      await fake.shutdown();
    }
  });
});

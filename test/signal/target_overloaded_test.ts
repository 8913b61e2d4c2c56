/**
 * A node that stops reading its signalling messages (its process stopped with SIGSTOP, so its
 * socket fills): the server refuses relays to it with `target-overloaded` naming it, and a real
 * node's send to it fails at once with `setup-failed` saying so, instead of waiting out its
 * setup timeout.
 * @module
 */

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import type { NodeID } from "../../core/ids.ts";
import { type SignalOut, startSignalClient } from "../../net/signal_client.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { startPeer } from "../../harness/peer_process.ts";
import { loopbackNode, until } from "../../harness/network.ts";
import type { NetworkError } from "../../net/errors.ts";
import { nextOf } from "../support/channels.ts";

describe("a node that stops reading its signalling messages", { timeout: 90_000 }, () => {
  it("is refused with target-overloaded, naming it, and a send to it fails saying so", async () => {
    const server = await serveSignal({
      port: 0,
      maxBufferedBytes: 64 * 1024,
      ratePerSecond: 100_000,
      rateBurst: 100_000,
    });
    const peer = await startPeer("deno", [
      ...["--mode", "sink", "--signal", server.url, "--engine", "wrtc"],
    ]);
    const stalled = peer.id as NodeID;
    const flooder = startSignalClient(await NodeConfig.create(), server.url, WebSocket);
    const out = flooder.channelOut();
    try {
      await nextOf(out, "ready");
      peer.child.kill("SIGSTOP");
      // relays of 50 kB each until the server refuses them all: the stalled node's socket
      // buffers fill first (some MB on loopback), then the server's own queue for it passes
      // 64 KiB; once 100 relays in a row were refused (none relayed), the node is full for good
      const errors: Extract<SignalOut, { type: "error" }>[] = [];
      const reading = (async () => {
        for await (const message of out) {
          if (message.type === "error") errors.push(message);
          if (message.type === "closed") return;
        }
      })();
      const pad = "x".repeat(50_000);
      let sent = 0;
      let relayedBefore = -1;
      for (let round = 0; round < 400; round++) {
        const relayed = server.server.stats().messagesRelayed;
        if (relayed === relayedBefore) break;
        relayedBefore = relayed;
        for (let i = 0; i < 100; i++) {
          await flooder.emitIn({ type: "relay", to: stalled, signal: { pad, sent: sent++ } });
          if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await until("the server answered", () => errors.length > 0, 10_000);
      assert.equal(errors[0].code, "target-overloaded", JSON.stringify(errors[0]));
      assert.equal(errors[0].to, stalled);
      assert.equal(errors[0].fatal, false);
      assert.ok(errors.every((error) => error.code === "target-overloaded"));
      assert.equal(
        server.server.stats().messagesRelayed,
        relayedBefore,
        `the server stopped relaying (${sent} relays sent)`,
      );

      // a node's send: refused at once (its setup timeout is longer than this test)
      const a = await loopbackNode(server.url, "wrtc", "a", { setupTimeoutMs: 600_000 });
      try {
        await assert.rejects(a.send(stalled, "are you there?"), (e: NetworkError) => {
          assert.equal(e.code, "setup-failed");
          assert.match(e.message, /is not reading its signalling messages.*target-overloaded/);
          return true;
        });
      } finally {
        await a.close();
      }
      flooder.enqueueIn({ type: "close" });
      await reading;
    } finally {
      peer.child.kill("SIGKILL");
      out.close();
      await server.close();
    }
  });
});

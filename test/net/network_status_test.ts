import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { openWebNetwork } from "../../adapters/web/runtime.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { nextOf } from "../support/channels.ts";

/** An engine whose offers never come: a setup step that hangs (logic test; real engines elsewhere). */
class StuckPeerConnection {
  iceConnectionState = "new";
  signalingState = "stable";
  createDataChannel() {
    return { readyState: "connecting", close() {} };
  }
  createOffer() {
    return new Promise(() => {});
  }
  close() {}
}

describe("status rounds and closing", { timeout: 30_000 }, () => {
  it("answer and end even while a peer's setup step hangs", async () => {
    const server = await serveSignal({ port: 0 });
    const other = await NodeConfig.create();
    const network = await openWebNetwork(await NodeConfig.create(), server.url, {
      RTCPeerConnection: StuckPeerConnection as never,
    });
    const out = network.channelOut();
    try {
      network.enqueueIn({ type: "connect", to: other.id }); // its offer never ends
      network.enqueueIn({ type: "status" });
      const first = await nextOf(out, "connections");
      assert.deepEqual(first.connections.map((c) => c.id), [other.id]);
      assert.equal(first.connections[0].status.signalingState, undefined, "its state only");
      network.enqueueIn({ type: "status" });
      assert.equal((await nextOf(out, "connections")).connections.length, 1, "and again");
      await network.emitIn({ type: "close" });
      assert.equal((await nextOf(out, "closed")).type, "closed", "closing does not wait forever");
    } finally {
      out.close();
      await server.close();
    }
  });
});

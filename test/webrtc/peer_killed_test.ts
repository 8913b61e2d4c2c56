import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import type { NetworkError } from "../../net/api.ts";
import { type RunningSignalServer, serveSignal } from "../../adapters/deno/serve_signal.ts";
import { nextOf } from "../support/channels.ts";
import { ENGINES, loopbackNode, randomBytes } from "../../harness/network.ts";
import { startPeer } from "../../harness/peer_process.ts";

describe("a peer killed mid-transfer", { timeout: 60_000 }, () => {
  let server: RunningSignalServer;
  before(async () => server = await serveSignal({ port: 0 }));
  after(() => server.close());

  for (const engine of ENGINES) {
    it(`gives the sender errors and a disconnect, and nothing hangs (${engine})`, async () => {
      const sink = await startPeer("deno", [
        "--signal",
        server.url,
        "--engine",
        engine,
        "--mode",
        "sink",
      ]);
      const sender = await loopbackNode(server.url, engine, "sender", { disconnectGraceMs: 1000 });
      const outputs = sender.broker.channelOut();
      try {
        const payload = randomBytes(8 * 1024 * 1024);
        // far more than can leave before the kill, even on a busy machine (the channel buffers 1 MiB)
        const sends = Array.from({ length: 30 }, () => sender.send(sink.id, payload));
        const outcomes = Promise.allSettled(sends);
        assert.equal((await sink.next()).event, "message", "the first message arrived");
        sink.child.kill("SIGKILL");
        const killedAt = Date.now();
        const disconnected = await nextOf(
          outputs,
          "disconnected",
          (o) => o.id === sink.id,
          30_000,
        );
        const results = await outcomes;
        const waited = Date.now() - killedAt;
        const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
        assert.ok(failed.length >= 1, "at least the message in flight failed");
        for (const { reason } of failed) {
          assert.equal((reason as NetworkError).code, "peer-gone", String(reason));
        }
        assert.match(
          disconnected.reason,
          /nothing heard from the peer|data channel closed|ICE connection/,
        );
        assert.ok(waited < 20_000, `noticed after ${waited} ms`);
      } finally {
        sink.child.kill("SIGKILL");
        await sink.exited;
        await sender.close();
      }
    });
  }

  for (const engine of ENGINES) {
    it(`notices an idle peer killed with SIGKILL by its silence (${engine})`, async () => {
      const sink = await startPeer("deno", [
        ...["--signal", server.url, "--engine", engine, "--mode", "sink"],
      ]);
      // ICE alone would take 5 s and more (disconnectGraceMs): the heartbeat must come first
      const sender = await loopbackNode(server.url, engine, "sender", {
        disconnectGraceMs: 30_000,
      });
      const outputs = sender.broker.channelOut();
      try {
        await sender.send(sink.id, "hello");
        assert.equal((await sink.next()).event, "message");
        await new Promise((resolve) => setTimeout(resolve, 1000)); // idle, both alive
        sink.child.kill("SIGKILL");
        const killedAt = Date.now();
        const gone = await nextOf(outputs, "disconnected", (o) => o.id === sink.id, 20_000);
        const waited = Date.now() - killedAt;
        assert.match(gone.reason, /nothing heard from the peer for \d+ ms/, `after ${waited} ms`);
        await assert.rejects(
          sender.send(sink.id, "after"),
          (e: NetworkError) => /setup|no-route|peer-gone/.test(e.code),
        );
      } finally {
        sink.child.kill("SIGKILL");
        await sink.exited;
        outputs.close();
        await sender.close();
      }
    });
  }
});

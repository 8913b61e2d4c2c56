/**
 * The path between two nodes breaks while both keep their signalling server (network
 * namespaces, test/support/netns.ts; root only): each notices within the liveness timeout,
 * messages sent meanwhile wait, and are delivered once the path is back, or rejected with a
 * reason if it does not come back. Both engines, each node in its own process.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { ENGINES } from "../../harness/network.ts";
import { type PeerProcess, startPeer } from "../../harness/peer_process.ts";
import { type SignalProcess, startSignalProcess } from "../../harness/signal_process.ts";
import { createSplitLab, netnsUnavailable, type SplitLab } from "../support/netns.ts";

/** The next event of `peer` that `matches`, skipping others. */
async function nextEvent(
  peer: PeerProcess,
  matches: (event: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  for (;;) {
    const event = await peer.next();
    if (matches(event)) return event;
  }
}

const skip = netnsUnavailable();

describe("a path that breaks and comes back", { timeout: 90_000, skip }, () => {
  let lab: SplitLab;
  let server: SignalProcess;
  before(async () => {
    lab = createSplitLab();
    server = await startSignalProcess(
      ["--host", "0.0.0.0", "--port", "8765"],
      lab.inNamespace("s"),
    );
  });
  after(async () => {
    await server?.stop();
    lab?.destroy();
  });

  for (const engine of ENGINES) {
    it(`delivers what was sent while it was broken, or says why not (${engine})`, async () => {
      const start = (side: "a" | "b", mode: string, network: Record<string, unknown>) =>
        startPeer("deno", [
          ...["--signal", `ws://${lab.server[side]}:8765`, "--engine", engine],
          ...["--mode", mode, "--address", lab.direct[side]],
          ...["--network", JSON.stringify(network)],
        ], lab.inNamespace(side));
      const b = await start("b", "sink", {});
      // an offer whose checks find nothing is made again at half the setup timeout (7.5 s)
      const a = await start("a", "sender", { setupTimeoutMs: 15_000 });
      const send = (data: string) => a.send({ to: b.id, data });
      const arrived = (text: string) =>
        nextEvent(b, (e) => e.event === "message" && e.text === text);
      try {
        send("before");
        await arrived("before");

        // broken for a few seconds: a notices, the messages wait and arrive after the mend
        lab.cut();
        await nextEvent(a, (e) => e.event === "disconnected");
        for (let i = 0; i < 5; i++) send(`meanwhile ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        lab.mend();
        for (let i = 0; i < 5; i++) await arrived(`meanwhile ${i}`);

        // broken for good: the message is rejected with the reason
        lab.cut();
        await nextEvent(a, (e) => e.event === "disconnected");
        send("into the void");
        const failed = await nextEvent(a, (e) => e.data === "into the void");
        assert.equal(failed.event, "failed", JSON.stringify(failed));
        assert.match(String(failed.code), /setup-timeout|peer-gone/);
        assert.match(String(failed.message), /ICE|no connection/);
      } finally {
        lab.mend();
        for (const peer of [a, b]) {
          peer.child.kill("SIGKILL");
          await peer.exited;
        }
      }
    });
  }
});

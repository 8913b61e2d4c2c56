import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { type RunningSignalServer, serveSignal } from "../../adapters/deno/serve_signal.ts";
import type { WebRTCEngine } from "../../node.ts";
import { type PeerProcess, startPeer } from "../../harness/peer_process.ts";

type Side = ["deno" | "node", WebRTCEngine];

const PAIRS: [Side, Side][] = [
  [["node", "wrtc"], ["node", "wrtc"]],
  [["node", "node-datachannel"], ["node", "node-datachannel"]],
  [["deno", "wrtc"], ["deno", "wrtc"]],
  [["deno", "node-datachannel"], ["deno", "node-datachannel"]],
  [["node", "wrtc"], ["deno", "node-datachannel"]],
  [["deno", "wrtc"], ["node", "node-datachannel"]],
  [["node", "wrtc"], ["node", "node-datachannel"]],
];

describe("separate processes on Node and Deno, both engines, talk over loopback", {
  timeout: 120_000,
}, () => {
  let server: RunningSignalServer;
  before(async () => server = await serveSignal({ port: 0 }));
  after(() => server.close());

  for (const [[echoRuntime, echoEngine], [driveRuntime, driveEngine]] of PAIRS) {
    it(`${driveRuntime}/${driveEngine} -> ${echoRuntime}/${echoEngine}`, async () => {
      const common = ["--signal", server.url];
      let echo: PeerProcess | undefined;
      try {
        echo = await startPeer(echoRuntime, [...common, "--engine", echoEngine, "--mode", "echo"]);
        const drive = await startPeer(driveRuntime, [
          ...common,
          "--engine",
          driveEngine,
          "--mode",
          "drive",
          "--to",
          echo.id,
        ]);
        const result = await drive.next();
        assert.equal(result.event, "result");
        assert.deepEqual(result.problems, []);
        assert.equal(result.ok, true);
        const status = result.status as Record<string, string>;
        assert.equal(status.state, "open");
        assert.equal(status.localCandidateType, "host");
        assert.equal(await drive.exited, 0);
      } finally {
        echo?.child.kill("SIGKILL");
        await echo?.exited;
      }
    });
  }
});

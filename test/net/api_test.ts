import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { networkBrokerStart } from "../../mod.ts";
import { serveSignal } from "../../signal/serve.ts";

describe("networkStart without a WebRTC engine", () => {
  it("says how to get one when the runtime has no RTCPeerConnection", async () => {
    const global = globalThis as { RTCPeerConnection?: unknown };
    assert.equal(global.RTCPeerConnection, undefined, "Deno and Node have none of their own");
    await assert.rejects(
      networkBrokerStart(await NodeConfig.create(), "ws://127.0.0.1:1"),
      /no RTCPeerConnection in this runtime: on Node or Deno import flnet\/node/,
    );
  });

  it("fails with signal-unreachable when the server does not answer in time", async () => {
    const unused = await serveSignal({ port: 0 });
    await unused.close();
    const started = Date.now();
    await assert.rejects(
      networkBrokerStart(await NodeConfig.create(), unused.url, {
        RTCPeerConnection: class {} as never,
        readyTimeoutMs: 300,
      }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "signal-unreachable");
        assert.match(error.message, /did not welcome this node within 300 ms.*npm start/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 3000);
  });
});

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { openWebNetwork } from "../../adapters/web/runtime.ts";
import { NOTHING_LISTENS } from "../../harness/signal_process.ts";

describe("networkStart without a WebRTC engine", () => {
  it("says how to get one when the runtime has no RTCPeerConnection", async () => {
    const global = globalThis as { RTCPeerConnection?: unknown };
    assert.equal(global.RTCPeerConnection, undefined, "Deno and Node have none of their own");
    await assert.rejects(
      openWebNetwork(await NodeConfig.create(), "ws://127.0.0.1:1"),
      /no RTCPeerConnection in this runtime: on Node or Deno import flnet\/node/,
    );
  });

  it("fails at once with signal-unreachable when nothing listens at the address", async () => {
    await assert.rejects(
      openWebNetwork(await NodeConfig.create(), NOTHING_LISTENS, {
        RTCPeerConnection: class {} as never,
        readyTimeoutMs: 60_000, // a refused connection must not wait for this
      }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "signal-unreachable");
        assert.match(
          error.message,
          /could not join the signalling server at ws:\/\/.*: the connection failed before it was welcomed \(connection refused or unreachable\); is a flnet signalling server running at this address\?/,
        );
        return true;
      },
    );
  });

  it("fails with signal-unreachable when a server accepts but never welcomes", async () => {
    const silent = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
      const { response } = Deno.upgradeWebSocket(request);
      return response; // says nothing, ever
    });
    try {
      await assert.rejects(
        openWebNetwork(await NodeConfig.create(), `ws://127.0.0.1:${silent.addr.port}`, {
          RTCPeerConnection: class {} as never,
          readyTimeoutMs: 300,
        }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, "signal-unreachable");
          assert.match(error.message, /it did not welcome this node within 300 ms/);
          return true;
        },
      );
    } finally {
      await silent.shutdown();
    }
  });

  it("refuses an address that is not ws:// or wss://, and says what to write", async () => {
    const config = await NodeConfig.create();
    const cases: [string, RegExp][] = [
      [
        "http://localhost:8765/",
        /must start with ws:\/\/ or wss:\/\/; use ws:\/\/localhost:8765\//,
      ],
      ["https://example.org/signal", /use wss:\/\/example\.org\/signal/],
      ["localhost:8765", /write it as ws:\/\/host:port/],
    ];
    for (const [url, message] of cases) {
      await assert.rejects(
        openWebNetwork(config, url, { RTCPeerConnection: class {} as never }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, "bad-url");
          assert.match(error.message, message);
          return true;
        },
      );
    }
  });
});

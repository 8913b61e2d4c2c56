/**
 * Frames over the limit get a close code on both runtimes: `frame-too-large` (4003) when the
 * server reads them, 1009 (message too big) when Node's WebSocket layer refuses them by their
 * announced length before reading them.
 * @module
 */

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { startSignalProcess } from "../../harness/signal_process.ts";
import { RawClient } from "../../harness/raw_client.ts";

describe("frames over the limit", { timeout: 30_000 }, () => {
  for (
    const [runtime, bytes, code] of [
      ["deno", 2 << 20, 4003],
      ["node", 200_000, 4003],
      ["node", 2 << 20, 1009],
    ] as const
  ) {
    it(`closes with ${code} on ${runtime} for ${bytes} bytes`, async () => {
      const server = await startSignalProcess([], [], runtime);
      try {
        const client = await RawClient.open(server.url);
        client.send("x".repeat(bytes));
        if (code === 4003) {
          const error = await client.next();
          assert.equal(error.type === "error" && error.code, "frame-too-large");
        }
        assert.equal((await client.closed).code, code);
      } finally {
        await server.kill();
      }
    });
  }
});

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirectoryLockedError, nodeStart } from "../../node.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { startChatCommand } from "../support/chat_process.ts";
import { loopback } from "../../harness/network.ts";

describe("one process per node directory", { timeout: 60_000 }, () => {
  it("refuses a second process on a node's directory, names the first, and takes over once it dies", async () => {
    const server = await serveSignal({ port: 0 });
    const dir = await mkdtemp(join(tmpdir(), "flnet-lock-"));
    const first = await startChatCommand(server.url, dir);
    try {
      const network = loopback("wrtc");
      await assert.rejects(nodeStart(dir, server.url, { network }), (error: Error) => {
        assert.ok(error instanceof DirectoryLockedError, String(error));
        assert.equal(error.pid, first.child.pid);
        assert.match(error.message, /is in use by process \d+ .*stop that process/);
        return true;
      });
      first.child.kill("SIGKILL"); // leaves its lock file behind
      await first.exited;
      const node = await nodeStart(dir, server.url, { network });
      await node.close();
    } finally {
      await first.stop();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

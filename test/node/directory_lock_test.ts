import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirectoryLockedError, nodeStart } from "../../node.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { startChatCommand } from "../support/chat_process.ts";
import { loopback } from "../../harness/network.ts";
import { type LineProcess, startLineProcess } from "../../harness/line_process.ts";
import { hostname } from "node:os";
import { writeFile } from "node:fs/promises";

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

  it("has one holder among processes started at once, also when they take over a dead one's lock", async () => {
    const dir = await mkdtemp(join(tmpdir(), "flnet-lock-"));
    const taker = new URL("../support/lock_taker.ts", import.meta.url).pathname;
    try {
      for (let round = 0; round < 4; round++) {
        if (round > 0) {
          // a lock left by a process that is gone: every taker judges it dead at once
          const dead = { pid: 2 ** 22 + round, host: hostname(), nonce: `dead-${round}` };
          await writeFile(join(dir, ".lock"), JSON.stringify(dead));
        }
        const takers: LineProcess[] = Array.from(
          { length: 12 },
          () => startLineProcess(Deno.execPath(), ["run", "-A", taker, dir]),
        );
        try {
          const said = await Promise.all(takers.map((t) => t.waitFor(/^(held|locked|error)/)));
          assert.equal(said.filter((line) => line === "held").length, 1, `round ${round}: ${said}`);
          assert.ok(said.every((line) => line === "held" || line === "locked"), `${said}`);
        } finally {
          for (const t of takers) t.child.stdin!.end();
          await Promise.all(takers.map((t) => t.exited));
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

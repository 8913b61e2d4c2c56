import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { startChatCommand } from "../support/chat_process.ts";

describe("the flnet chat command and its signalling server", { timeout: 60_000 }, () => {
  it("says when it loses the server and when it is back, at the default log level", async () => {
    let server = await serveSignal({ port: 0 });
    const port = Number(new URL(server.url).port);
    const dir = await mkdtemp(join(tmpdir(), "flnet-cli-"));
    const cli = await startChatCommand(server.url, dir);
    try {
      await server.close();
      const lost = await cli.waitFor(/^\* lost the signalling server/);
      assert.match(lost, /^\* lost the signalling server \(.+\); reconnecting$/, "with the reason");
      server = await serveSignal({ port });
      const back = await cli.waitFor(/^\* back on/);
      assert.equal(back, "* back on the signalling server");
    } finally {
      await cli.stop();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

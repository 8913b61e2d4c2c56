import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseSignalArgs } from "../../signal/args.ts";
import { repoRoot } from "../../harness/signal_process.ts";

/** The signalling server's arguments in a `["npx", "deno", "run", "-A", "signal/main.ts", …]` list. */
function serverArgs(text: string, where: string): string[] {
  const list = text.match(/\[\s*("npx",\s*"deno",\s*"run",\s*"-A",\s*"signal\/main\.ts"[^\]]*)\]/)
    ?.[1];
  assert.ok(list, `${where} starts no signalling server`);
  return JSON.parse(`[${list.replace(/,\s*$/, "")}]`).slice(5);
}

// Docker cannot run here (no daemon, no registry); this keeps the deploy files in step with the
// server's command line.
describe("deploy/", () => {
  for (const file of ["Dockerfile", "docker-compose.yml"]) {
    it(`${file} starts the server with options it accepts, on all interfaces`, async () => {
      const args = serverArgs(await readFile(join(repoRoot(), "deploy", file), "utf8"), file);
      const options = parseSignalArgs(args);
      assert.equal(options.host, "0.0.0.0");
      assert.equal(options.port, 8765);
      assert.equal(options.staticDir, "dist/demo");
    });
  }
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

describe("timed describe/it (test support)", () => {
  it("fails a test that hangs once its suite's timeout passes", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/hang.ts", import.meta.url));
    const started = Date.now();
    const result = await promisify(execFile)(Deno.execPath(), ["test", "-A", fixture], {
      timeout: 60_000,
    }).then(() => ({ code: 0, output: "" }), (error) => ({
      code: error.code as number,
      output: `${error.stdout}${error.stderr}`,
    }));
    assert.notEqual(result.code, 0, "the hanging test must fail the run");
    assert.match(result.output, /hangs .*FAILED/);
    assert.ok(Date.now() - started < 30_000, "it failed instead of hanging");
  });
});

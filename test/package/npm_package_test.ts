/**
 * Builds the npm package (build_npm.ts) and proves it in a scratch Node project
 * (prove_package.ts): offline install, tsc against its .d.ts, the client_server example on Node
 * over WebRTC, the `flnet` command. Any failed step fails this test with the step's reason.
 * @module
 */

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNpm } from "../../build_npm.ts";
import { prove } from "./prove_package.ts";
import { lanNamespaceUnavailable } from "../support/lan_namespace.ts";

describe("the npm package", { timeout: 120_000 }, () => {
  it("packs as flnet and works when installed in a fresh Node project", async () => {
    const out = await mkdtemp(join(tmpdir(), "flnet-npm-"));
    try {
      const built = await buildNpm(out);
      await prove(built.tarball, built.steps);
      assert.match(built.tarball, /\/flnet-\d+\.\d+\.\d+\.tgz$/);
      assert.ok(built.files > 50, `${built.files} files`);
      assert.deepEqual(built.steps.map((s) => s.step), [
        "deno pack, then npm pack as flnet",
        "install the tarball offline in a scratch project",
        "type-check a TypeScript consumer with tsc, with and without DOM",
        "run the client_server example on Node over WebRTC",
        ...(lanNamespaceUnavailable() ? [] : ["run the READMEs' Node commands as written"]),
        "run the flnet command",
      ]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeStart } from "../../node.ts";
import { parseNodeSettings } from "../../core/node_settings.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { loopback } from "../../harness/network.ts";

describe("settings.json, apart from the identity", { timeout: 60_000 }, () => {
  it("is written on the first start, and a person's edits take effect at the next", async () => {
    const server = await serveSignal({ port: 0 });
    const dir = await mkdtemp(join(tmpdir(), "flnet-settings-"));
    const options = { network: loopback("wrtc"), newConfig: { name: "first" } };
    try {
      const first = await nodeStart(dir, server.url, options);
      const id = first.id;
      await first.close();
      const settingsFile = join(dir, "settings.json");
      const written = JSON.parse(await readFile(settingsFile, "utf8"));
      assert.equal(written.name, "first");
      assert.deepEqual(written.modules, ["random", "gossip", "ping", "stat"]);
      const identity = await readFile(join(dir, "nodeConfig.json"), "utf8");

      // renamed by hand, one module dropped
      await writeFile(settingsFile, JSON.stringify({ name: "renamed", modules: ["random"] }));
      const second = await nodeStart(dir, server.url, options);
      assert.equal(second.id, id, "the same identity");
      assert.equal(second.config.info.name, "renamed");
      assert.deepEqual(second.config.info.modules, ["random"]);
      assert.equal(second.gossip, undefined, "the module list is the one that runs");
      await second.close();
      assert.notEqual(await readFile(join(dir, "nodeConfig.json"), "utf8"), identity);

      // a broken file stops the start with words that name it, and harms nothing
      await writeFile(settingsFile, '{"name": ""}');
      await assert.rejects(
        nodeStart(dir, server.url, options),
        /settings\.json: "name" must be text of 1 to 64 characters; fix it, or delete the file/,
      );
      await rm(settingsFile);
      const third = await nodeStart(dir, server.url, options);
      assert.equal(third.id, id);
      assert.equal(third.config.info.name, "renamed", "the stored settings");
      await third.close();
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names what is wrong in a settings file", () => {
    const cases: [string, RegExp][] = [
      ["{", /f: not valid JSON/],
      ["[]", /not a JSON object/],
      ['{"modules": "random"}', /"modules" must be a list of module names/],
      ['{"secretKey": "00"}', /unknown setting "secretKey" \(there are "name" and "modules"\)/],
    ];
    for (const [text, pattern] of cases) assert.throws(() => parseNodeSettings(text, "f"), pattern);
    assert.deepEqual(parseNodeSettings('{"name": "ann"}', "f"), { name: "ann" });
  });
});

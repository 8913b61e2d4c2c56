import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Logger, logLevelFromVerbosity, setLogLevel } from "../../core/log.ts";
import { captureLogs } from "../support/log_capture.ts";

describe("log", () => {
  it("maps -v counts onto levels", () => {
    assert.deepEqual([0, 1, 2, 3, 7].map(logLevelFromVerbosity), [
      "warn",
      "info",
      "debug",
      "trace",
      "trace",
    ]);
  });

  it("prints only what passes the threshold, with the scope", async () => {
    const log = new Logger("scope");
    const lines = await captureLogs(() => {
      log.error("e");
      log.warn("w");
      log.info("i");
      log.debug("d");
      assert.equal(log.enabled("info"), true);
      assert.equal(log.enabled("debug"), false);
    }, "info");
    assert.deepEqual(lines.map((l) => `${l.level}:${l.scope}:${l.args[0]}`), [
      "error:scope:e",
      "warn:scope:w",
      "info:scope:i",
    ]);
  });

  it("is silent at level off and rejects unknown levels", async () => {
    const lines = await captureLogs(() => new Logger("x").error("nothing"), "off");
    assert.deepEqual(lines, []);
    assert.throws(() => setLogLevel("loud" as "info"), /unknown log level "loud"/);
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { walkArgs } from "../../core/args.ts";

describe("walkArgs", () => {
  it("takes help and verbosity itself and hands the rest over with their values", () => {
    const seen: [string, string][] = [];
    const common = walkArgs(["-v", "--port", "80", "-vv", "--help"], (option, value) => {
      seen.push([option, value()]);
      return true;
    });
    assert.deepEqual(common, { help: true, verbosity: 3 });
    assert.deepEqual(seen, [["--port", "80"]]);
  });

  it("names an unknown option and an option missing its value", () => {
    assert.throws(() => walkArgs(["--nope"], () => false), /unknown option "--nope"/);
    assert.throws(() => walkArgs(["--port"], (_, value) => !!value()), /--port needs a value/);
  });
});

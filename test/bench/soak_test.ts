import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { soak } from "../../bench/soak.ts";

describe("soak (smoke run of a few seconds)", { timeout: 60_000 }, () => {
  it("keeps a long-lived node among churning ones and samples its memory", async () => {
    const result = await soak(0.1, 3, 1);
    assert.ok(result.samples.length >= 2, `${result.samples.length} samples`);
    assert.ok(result.samples.every((s) => s.rssMB > 10), JSON.stringify(result.samples));
    assert.ok(result.samples.at(-1)!.churned >= 2, "nodes came and went");
    assert.ok(
      Number.isFinite(result.growth.firstHalf) && Number.isFinite(result.growth.secondHalf),
    );
  });
});

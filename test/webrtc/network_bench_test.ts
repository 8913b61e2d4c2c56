import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatNetworkTable, runNetworkBench } from "../../bench/network_bench.ts";

describe("network benchmark (smoke run with tiny sizes)", { timeout: 60_000 }, () => {
  it("measures both engines against their raw data channel and raw setup", async () => {
    const rows = await runNetworkBench({
      engines: ["wrtc", "node-datachannel"],
      megabytes: 1,
      rounds: 1,
    });
    assert.deepEqual(rows.map((r) => r.engine), ["wrtc", "node-datachannel"]);
    for (const row of rows) {
      for (
        const value of [row.flnetMBps, row.rawMBps, row.flnetFirstMessageMs, row.rawFirstMessageMs]
      ) {
        assert.ok(Number.isFinite(value) && value > 0, JSON.stringify(row));
      }
      assert.equal(row.throughputRatio, row.flnetMBps / row.rawMBps);
    }
    assert.match(formatNetworkTable(rows), /^engine\s+flnet MB\/s/);
  });
});

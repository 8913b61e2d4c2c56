import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { CONTENDERS, formatNetworkTable, runNetworkBench } from "../../bench/network_bench.ts";

describe("network benchmark (smoke run with tiny sizes)", { timeout: 90_000 }, () => {
  it("measures flnet, raw and simple-peer on both engines, 64 KiB and 1 KiB", async () => {
    const result = await runNetworkBench({
      engines: ["wrtc", "node-datachannel"],
      megabytes: 1,
      rounds: 1,
    });
    assert.deepEqual(
      result.throughput.map((r) => `${r.engine} ${r.messageBytes}`),
      ["wrtc 65536", "wrtc 1024", "node-datachannel 65536", "node-datachannel 1024"],
    );
    assert.deepEqual(result.latency.map((r) => r.engine), ["wrtc", "node-datachannel"]);
    for (
      const row of [
        ...result.throughput.map((r) => r.mbps),
        ...result.latency.map((r) => r.ms),
      ]
    ) {
      for (const contender of CONTENDERS) {
        assert.ok(Number.isFinite(row[contender]) && row[contender] > 0, JSON.stringify(row));
      }
    }
    assert.match(formatNetworkTable(result), /^MB\/s\s+flnet\s+raw\s+simple-peer/);
  });
});

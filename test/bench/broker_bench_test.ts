import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { formatTable, runBrokerBench } from "../../bench/broker_bench.ts";

describe("broker benchmark (smoke run with tiny sizes)", () => {
  it("measures every chain and reports ratios against plain calls", async () => {
    const rows = await runBrokerBench({ messages: 200, rounds: 1 });
    assert.deepEqual(rows.map((r) => r.name), [
      "plain function calls (baseline)",
      "EventTarget chain",
      "Broker chain, enqueue + settle",
      "Broker chain, await emit per message",
    ]);
    assert.equal(rows[0].ratioToCalls, 1);
    assert.ok(rows.every((r) => r.messagesPerSecond > 0 && Number.isFinite(r.ratioToCalls)));
    assert.match(formatTable(rows), /EventTarget chain\s+[\d,]+\s+[\d.e+-]+/);
  });
});

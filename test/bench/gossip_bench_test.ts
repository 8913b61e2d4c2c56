import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { formatGossipTable, measureGossip } from "../../bench/gossip_bench.ts";

describe("gossip benchmark (smoke run with a tiny network)", () => {
  it("reaches every node and reports rounds, messages and bytes", async () => {
    const row = await measureGossip(20);
    assert.equal(row.reached, 20);
    assert.ok(row.rounds > 0 && row.messagesPerNode > 0 && row.bytesPerNode > 0);
    assert.match(formatGossipTable([row]), /20\/20/);
  });
});

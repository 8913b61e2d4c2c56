import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { formatSignalTable, runSignalLoad } from "../../bench/signal_bench.ts";

describe("signalling server under load (server in its own process)", () => {
  it("holds 2,000 announced clients and relays every message between them", async () => {
    const result = await runSignalLoad({
      clients: 2000,
      relaysPerClient: 5,
      payloadBytes: 2048,
      connectConcurrency: 100,
    });
    assert.equal(result.clientsHeld, 2000);
    assert.equal(result.relaysDelivered, result.relaysSent);
    assert.equal(result.relaysSent, 10_000);
    assert.deepEqual(result.serverErrors, {});
    assert.match(formatSignalTable(result), /clients held \(announced\)\s+2000/);
  });
});

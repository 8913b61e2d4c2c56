import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAll } from "../../bench/run_all.ts";
import { comparisons } from "../../bench/benchmarks_page.ts";

describe("npm run bench (smoke run with tiny sizes)", { timeout: 180_000 }, () => {
  it("runs every benchmark and writes the results, the page and its charts", async () => {
    const out = await mkdtemp(join(tmpdir(), "flnet-bench-all-"));
    try {
      const results = await runAll({ quick: true, out });
      assert.deepEqual(results.signal.map((s) => s.server), ["flnet", "flnet-node", "peerjs"]);
      for (const s of results.signal) assert.equal(s.relaysDelivered, s.relaysSent);
      assert.deepEqual(results.gossipReal.map((g) => [g.mode, g.completed]), [
        ["overlay", true],
        ["server", true],
      ]);
      assert.ok(results.overlaySignal!.rows.every((r) => r.connected && r.setups > 0));
      assert.ok(results.overlaySignal!.latency.overlay.p50 > 0);
      const rows = comparisons(results);
      for (
        const against of [
          "PeerJS server",
          "raw RTCDataChannel",
          "simple-peer",
          "EventTarget chain",
          "fledger (published)",
          "flnet, every setup through the server",
          "peerjs",
        ]
      ) {
        assert.ok(rows.some((r) => r.against === against), `no comparison with ${against}`);
      }
      for (const r of rows) {
        // memory grown over a tiny run is noise around zero (a collection can make it negative,
        // seen in CI: -21.2 kB per connection with 50 clients); every other figure is positive
        const memory = /RSS|memory|heap/i.test(r.measure);
        const fine = (x: number) => memory ? Number.isFinite(x) : x > 0;
        assert.ok(fine(r.flnet) && fine(r.other), `${r.measure}: ${r.flnet} / ${r.other}`);
      }
      const saved = JSON.parse(await readFile(join(out, "results.json"), "utf8"));
      assert.equal(saved.quick, true);
      const page = await readFile(join(out, "benchmarks.md"), "utf8");
      assert.match(page, /QUICK RUN/);
      assert.match(page, /\| signalling, 50 clients, on Node: relays\/s\s+\|/);
      for (const chart of ["data_channel.svg", "signalling.svg"]) {
        assert.match(
          await readFile(join(out, "benchmarks", chart), "utf8"),
          /^<svg [^>]*>[\s\S]*<rect/,
        );
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

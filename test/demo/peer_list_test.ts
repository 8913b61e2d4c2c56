import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NodeID } from "../../core/ids.ts";
import {
  formatBytes,
  PeerCounters,
  renderPeerList,
  RTT_SAMPLES,
  sparkline,
} from "../../demo/peer_list.ts";

const id = (c: string) => c.repeat(64) as NodeID;

describe("the demo's peer list", () => {
  it("keeps the last round-trip times of each peer", () => {
    const counters = new PeerCounters();
    for (let ms = 1; ms <= RTT_SAMPLES + 5; ms++) counters.sampleRtt(id("a"), ms);
    const rtt = counters.rtt(id("a"));
    assert.equal(rtt.length, RTT_SAMPLES);
    assert.equal(rtt[0], 6, "the oldest samples went");
    assert.equal(rtt.at(-1), RTT_SAMPLES + 5);
    counters.sampleRtt(id("b"), 3);
    counters.keepOnly([id("b")]);
    assert.deepEqual(counters.rtt(id("a")), [], "a disconnected: forgotten");
    assert.deepEqual(counters.rtt(id("b")), [3]);
  });

  it("draws a sparkline from 0 to the largest value, a dot for one value, nothing for none", () => {
    assert.equal(sparkline([]), "");
    assert.match(sparkline([5]), /<circle cx="45.0" cy="1.0" r="1.5"\/>/);
    const svg = sparkline([0, 10, 5], 90, 20);
    assert.match(svg, /^<svg class="sparkline" width="90" height="20"/);
    assert.match(svg, /<polyline points="0.0,19.0 45.0,1.0 90.0,10.0"\/>/);
    assert.match(sparkline([0, 0]), /points="0.0,19.0 90.0,19.0"/, "all zero: a flat line");
  });

  it("renders one row per peer with its whole id to copy, escaped, and says when there is none", () => {
    assert.match(renderPeerList([]), /no connected peers yet/);
    const html = renderPeerList([{
      id: id("c"),
      name: "<cy>",
      path: "host",
      messages: { in: 3, out: 4 },
      bytes: { in: 1_500, out: 2_500_000 },
      rtt: [1.25, 2.5],
    }, {
      id: id("d"),
      name: "dee",
      messages: { in: 0, out: 0 },
      bytes: { in: 0, out: 0 },
      rtt: [],
    }]);
    assert.equal(html.match(/<tr class="peer"/g)?.length, 2);
    assert.ok(html.includes(`<code>${id("c")}</code>`));
    assert.ok(html.includes(`data-copy="${id("c")}"`));
    assert.ok(html.includes("&#60;cy&#62;") && !html.includes("<cy>"));
    assert.ok(html.includes("3 in · 4 out"));
    assert.ok(html.includes("1.5 kB in · 2.5 MB out"));
    assert.ok(html.includes("2.5 ms <svg"));
    assert.match(html, /<td class="path path-unknown">…<\/td>/);
  });

  it("writes bytes in B, kB and MB", () => {
    assert.equal(formatBytes(999), "999 B");
    assert.equal(formatBytes(1_000), "1.0 kB");
    assert.equal(formatBytes(1_234_567), "1.2 MB");
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  allOf,
  candidateFilters,
  filterSdp,
  parseCandidate,
  sdpCandidates,
} from "../../net/candidates.ts";

const host = "candidate:1 1 udp 2122063615 127.0.0.1 50000 typ host generation 0";
const lan = "candidate:2 1 udp 2122194687 192.0.2.2 50001 typ host";
const v6 = "candidate:3 1 udp 2122136831 ::1 50002 typ host";
const relay = "candidate:4 1 udp 41885439 127.0.0.1 50003 typ relay raddr 0.0.0.0 rport 0";

describe("ICE candidates", () => {
  it("parses candidate lines, with or without a=", () => {
    assert.deepEqual(parseCandidate(host), {
      address: "127.0.0.1",
      port: 50000,
      protocol: "udp",
      type: "host",
    });
    assert.equal(parseCandidate("a=" + relay)?.type, "relay");
    assert.equal(parseCandidate("candidate:1 1 udp 1 1.2.3.4 99999 typ host"), undefined);
    assert.equal(parseCandidate("garbage"), undefined);
  });

  it("filters by address and type", () => {
    const [h, l, v, r] = [host, lan, v6, relay].map((x) => parseCandidate(x)!);
    assert.deepEqual([h, l, v, r].map(candidateFilters.loopbackOnly), [true, false, false, true]);
    assert.deepEqual([h, l, v, r].map(candidateFilters.relayOnly), [false, false, false, true]);
    assert.deepEqual([h, l, v, r].map(candidateFilters.noIPv6), [true, true, false, true]);
    const both = allOf(candidateFilters.loopbackOnly, candidateFilters.relayOnly);
    assert.deepEqual([h, l, v, r].map(both), [false, false, false, true]);
  });

  it("removes refused candidate lines from an SDP and lists the rest", () => {
    const sdp = ["v=0", `a=${host}`, `a=${lan}`, `a=${v6}`, "a=end-of-candidates", ""].join("\r\n");
    const filtered = filterSdp(sdp, candidateFilters.loopbackOnly);
    assert.equal(filtered, ["v=0", `a=${host}`, "a=end-of-candidates", ""].join("\r\n"));
    assert.deepEqual(sdpCandidates(sdp).map((c) => c.address), ["127.0.0.1", "192.0.2.2", "::1"]);
  });
});

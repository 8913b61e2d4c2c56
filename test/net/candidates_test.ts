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

  it("takes every candidate type and port from 0 to 65535, and nothing else", () => {
    for (const type of ["host", "srflx", "prflx", "relay"]) {
      assert.equal(parseCandidate(`candidate:1 1 UDP 1 192.0.2.9 9 typ ${type}`)?.type, type);
    }
    assert.equal(parseCandidate("candidate:1 1 UDP 1 192.0.2.9 9 typ")?.type, undefined);
    assert.equal(parseCandidate("candidate:1 1 udp 1 192.0.2.9 9 typ other"), undefined);
    assert.equal(parseCandidate("candidate:1 1 udp 1 192.0.2.9 9 typ ")?.type, undefined);
    assert.equal(parseCandidate("candidate:1 1 TCP 1 192.0.2.9 9 typ host")?.protocol, "tcp");
    const port = (p: string) => parseCandidate(`candidate:1 1 udp 1 192.0.2.9 ${p} typ host`);
    assert.equal(port("0")?.port, 0);
    assert.equal(port("65535")?.port, 65535);
    assert.equal(port("65536"), undefined);
    assert.equal(port("-1"), undefined);
    assert.equal(port("1.5"), undefined);
    assert.equal(port("x"), undefined);
  });

  it("refuses a line without the candidate: prefix, the typ keyword or a field", () => {
    assert.equal(parseCandidate("cand:1 1 udp 1 192.0.2.9 9 typ host"), undefined);
    assert.equal(parseCandidate("candidate:1 1 udp 1 192.0.2.9 9 type host"), undefined);
    assert.equal(parseCandidate("candidate:1 udp 1 192.0.2.9 9 typ host"), undefined, "7 fields");
    assert.equal(parseCandidate("x=candidate:1 1 udp 1 192.0.2.9 9 typ host"), undefined);
    // spaces around and between the fields, and the a= prefix, are taken as they come
    assert.equal(
      parseCandidate("  a=candidate:1  1 udp\t1 192.0.2.9 9 typ  srflx raddr 0.0.0.0 rport 0 ")
        ?.address,
      "192.0.2.9",
    );
    assert.equal(parseCandidate("xa=candidate:1 1 udp 1 192.0.2.9 9 typ host"), undefined);
    // only a leading a= goes
    assert.equal(parseCandidate("candidate:1 1 udp 1 a=b 9 typ host")?.address, "a=b");
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
    // a candidate line that does not parse is removed, whatever the filter, and not listed
    const broken = ["v=0", "a=candidate:9 1 udp 1 192.0.2.3 70000 typ host", `a=${host}`].join(
      "\r\n",
    );
    assert.equal(filterSdp(broken, candidateFilters.all), ["v=0", `a=${host}`].join("\r\n"));
    assert.deepEqual(sdpCandidates(broken).map((c) => c.port), [50000]);
    // only a=candidate lines count: another attribute with the same words is left alone
    const other = [
      "a=x-candidate:1 1 udp 1 192.0.2.4 9 typ host",
      "candidate:5 1 udp 1 192.0.2.5 9 typ host",
      `a=${lan}`,
    ].join("\r\n");
    assert.deepEqual(sdpCandidates(other).map((c) => c.address), ["192.0.2.2"]);
    assert.equal(
      filterSdp(other, () => false),
      "a=x-candidate:1 1 udp 1 192.0.2.4 9 typ host\r\ncandidate:5 1 udp 1 192.0.2.5 9 typ host",
    );
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type SetupFacts, whyNoConnection } from "../../net/setup_diagnosis.ts";

const facts = (changes: Partial<SetupFacts>): SetupFacts => ({
  unanswered: false,
  localCandidates: 2,
  localRefused: 0,
  remoteCandidates: 3,
  remoteRefused: 0,
  relayWithoutTurn: false,
  iceConnectionState: "checking",
  ...changes,
});

describe("why a setup failed, in words", () => {
  it("names an offer never answered first", () => {
    assert.match(
      whyNoConnection(facts({ unanswered: true, localCandidates: 0 })),
      /^the peer never answered the offer/,
    );
  });

  it("names missing local candidates, with what the filter refused and whether TURN is missing", () => {
    assert.match(
      whyNoConnection(facts({ localCandidates: 0, localRefused: 2 })),
      /^this node offered no ICE candidates \(the candidate filter refused 2\); on a machine with loopback only/,
    );
    assert.match(
      whyNoConnection(facts({ localCandidates: 0, relayWithoutTurn: true })),
      /^this node offered no ICE candidates: iceTransportPolicy is "relay" but no TURN server/,
    );
  });

  it("names missing remote candidates, then DTLS after ICE, then no path", () => {
    assert.equal(
      whyNoConnection(facts({ remoteCandidates: 0, remoteRefused: 1 })),
      "the peer sent no ICE candidates this node may use (this node's filter refused 1)",
    );
    assert.match(
      whyNoConnection(facts({ iceConnectionState: "connected", connectionState: "failed" })),
      /DTLS or SCTP failed; connection state failed\)$/,
    );
    assert.match(
      whyNoConnection(facts({ iceConnectionState: "completed" })),
      /connection state unknown\)$/,
    );
    assert.match(
      whyNoConnection(facts({})),
      /^ICE found no working path between 2 local and 3 remote candidates \(ICE checking\)/,
    );
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseChatArgs } from "../../cli.ts";
import { candidateFilters } from "../../net/candidates.ts";

describe("the flnet command line", () => {
  it("reads ICE servers, relay, loopback and engine into network options", () => {
    const options = parseChatArgs([
      ...["--ice", "turn:t:3478", "--ice-user", "u", "--ice-pass", "p", "--relay", "--loopback"],
      ...["--engine", "node-datachannel", "--name", "ann", "-v"],
    ]);
    assert.equal(options.name, "ann");
    assert.equal(options.logLevel, "info");
    assert.deepEqual(options.network.iceServers, [
      { urls: "turn:t:3478", username: "u", credential: "p" },
    ]);
    assert.equal(options.network.iceTransportPolicy, "relay");
    assert.equal(options.network.candidateFilter, candidateFilters.loopbackOnly);
    assert.equal(options.network.bindAddress, "127.0.0.1", "node-datachannel binds to loopback");
    assert.deepEqual(options.signal, ["ws://localhost:8765"]);
    assert.deepEqual(parseChatArgs(["--signal", "ws://a:1, wss://b"]).signal, [
      "ws://a:1",
      "wss://b",
    ]);
  });

  it("says what is wrong with a bad command line", () => {
    assert.throws(() => parseChatArgs(["--relay"]), /--relay needs a TURN server/);
    assert.throws(() => parseChatArgs(["--engine", "x"]), /wrtc or node-datachannel, got "x"/);
    assert.throws(
      () => parseChatArgs(["--signal", "http://x"]),
      /ws:\/\/ or wss:\/\/ URLs, got "http:\/\/x"/,
    );
    assert.throws(
      () => parseChatArgs(["--signal", "ws://a:1,b:2"]),
      /ws:\/\/ or wss:\/\/ URLs, got "b:2"/,
    );
    assert.throws(() => parseChatArgs(["--what"]), /unknown option "--what"/);
  });
});

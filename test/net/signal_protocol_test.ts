import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NodeConfig, verifySignature } from "../../core/config.ts";
import { fromHex, toHex, U256 } from "../../core/ids.ts";
import {
  announcePayload,
  parseClientMessage,
  parseServerMessage,
  SignalProtocolError,
} from "../../net/signal_protocol.ts";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "../../harness/signal_process.ts";
import v1Fixture from "../core/fixtures/node_config_v1.json" with { type: "json" };

describe("signal protocol", () => {
  it("matches the test vector in docs/protocol.md", async () => {
    const protocolDoc = await readFile(join(repoRoot(), "docs", "protocol.md"), "utf8");
    const config = await NodeConfig.decode(JSON.stringify(v1Fixture));
    const challenge = U256.fromHex("0123456789abcdef".repeat(4));
    const payload = announcePayload(1, challenge);
    assert.equal(
      new TextDecoder().decode(payload),
      `flnet-signal-announce\nversion 1\n${challenge}`,
    );
    const signature =
      "8dbfbb936294d5c163db11519712b38bcadd65ee02037d3f38a0d0b778e5b3a67c33f9631ea065ff6183be9147a57b59e9d747f05621b09e72a37634cc31ba07";
    assert.equal(toHex(await config.sign(payload)), signature, "Ed25519 is deterministic");
    assert.ok(await verifySignature(config.id, payload, fromHex(signature)));
    assert.ok(protocolDoc.includes(signature), "docs/protocol.md shows this signature");
    assert.ok(protocolDoc.includes(config.id), "and this node id");
  });

  it("parses client messages into clean objects", () => {
    const to = U256.random();
    assert.deepEqual(
      parseClientMessage(JSON.stringify({ type: "relay", to, signal: { a: 1 }, x: 1 })),
      {
        type: "relay",
        to,
        signal: { a: 1 },
      },
    );
    assert.deepEqual(parseClientMessage('{"type":"list","rid":3}'), { type: "list", rid: 3 });
    assert.deepEqual(parseClientMessage('{"type":"stats","stats":{"a":1,"b":"x","c":true}}'), {
      type: "stats",
      stats: { a: 1, b: "x", c: true },
    });
  });

  it("refuses bad client messages with a code", () => {
    const cases: [string, string, RegExp][] = [
      ["nope", "bad-json", /not valid JSON/],
      ["null", "bad-json", /JSON object/],
      ['{"type":"fly"}', "unknown-type", /unknown message type "fly"/],
      ['{"type":"announce","version":"1"}', "bad-field", /announce\.version must be an integer/],
      ['{"type":"stats","stats":{"a":null}}', "bad-field", /value of "a"/],
      ['{"type":"stats","stats":{"a":"' + "x".repeat(129) + '"}}', "bad-field", /short string/],
    ];
    for (const [text, code, message] of cases) {
      assert.throws(() => parseClientMessage(text), (error: SignalProtocolError) => {
        assert.equal(error.code, code);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  it("checks what a client reads from the server", () => {
    assert.throws(
      () => parseServerMessage('{"type":"list","nodes":[{"name":""}]}'),
      /list\.nodes\[0\]/,
    );
    assert.throws(
      () => parseServerMessage('{"type":"challenge","version":1}'),
      /challenge of 64 hex/,
    );
    assert.throws(() => parseServerMessage('{"type":"news"}'), /unknown server message type/);
    assert.equal(parseServerMessage('{"type":"pong"}').type, "pong");
  });
});

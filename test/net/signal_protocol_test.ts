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

  it("takes each client field at its limits and refuses it one step beyond, naming it", async () => {
    const id = U256.random();
    const signature = "aB".repeat(64);
    const { info } = await NodeConfig.create({ name: "n" });
    const ok = (message: Record<string, unknown>) => parseClientMessage(JSON.stringify(message));
    const refused = (message: Record<string, unknown> | string, code: string, why: RegExp) =>
      assert.throws(
        () => parseClientMessage(typeof message === "string" ? message : JSON.stringify(message)),
        (error: SignalProtocolError) => {
          assert.equal(error.name, "SignalProtocolError");
          assert.equal(error.code, code, JSON.stringify(message));
          assert.match(error.message, why, JSON.stringify(message));
          return true;
        },
      );
    // frames: a JSON object
    for (const frame of ["[]", '"x"', "1", "true"]) refused(frame, "bad-json", /JSON object/);
    // rid: a non-negative safe integer, kept on the answer's message; a bad one is named
    assert.deepEqual(ok({ type: "ping", rid: 0 }), { type: "ping", rid: 0 });
    assert.deepEqual(ok({ type: "ping" }), { type: "ping" });
    const safe = Number.MAX_SAFE_INTEGER;
    assert.deepEqual(ok({ type: "list", rid: safe }), { type: "list", rid: safe });
    for (const rid of [-1, 1.5, "1", safe + 1, null]) {
      refused({ type: "ping", rid }, "bad-field", /^rid must be a non-negative integer$/);
    }
    // announce: version, info, signature (128 hex characters, either case, kept lower case)
    const announce = ok({ type: "announce", version: 1, info, signature, rid: 4 });
    assert.deepEqual(announce, {
      type: "announce",
      version: 1,
      info,
      signature: signature.toLowerCase(),
      rid: 4,
    });
    for (const version of [1.5, null, "1"]) {
      refused({ type: "announce", version, info, signature }, "bad-field", /version/);
    }
    for (const bad of ["ab".repeat(63), "ab".repeat(65), "g".repeat(128), 7]) {
      refused(
        { type: "announce", version: 1, info, signature: bad, rid: 2 },
        "bad-field",
        /^announce\.signature must be 128 hex characters$/,
      );
    }
    refused(
      { type: "announce", version: 1, info: { name: "x" }, signature },
      "bad-field",
      /^announce\.info/,
    );
    // relay: to a node id, an object signal
    refused({ type: "relay", to: "x", signal: {} }, "bad-field", /relay\.to must be a node id/);
    for (const signal of [null, [], "x", undefined]) {
      refused({ type: "relay", to: id, signal }, "bad-field", /^relay\.signal must be an object$/);
    }
    // stats: at most 32 keys of at most 32 characters, finite numbers, booleans, short strings
    const stats = (entries: [string, unknown][]) => ({
      type: "stats",
      stats: Object.fromEntries(entries),
    });
    const keys = (n: number) =>
      Array.from({ length: n }, (_, i) => [`k${i}`, i] as [string, number]);
    assert.equal(Object.keys((ok(stats(keys(32))) as { stats: object }).stats).length, 32);
    refused(stats(keys(33)), "bad-field", /^stats\.stats may have at most 32 keys$/);
    assert.ok(ok(stats([["k".repeat(32), 1]])));
    refused(stats([["k".repeat(33), 1]]), "bad-field", /key "k+" is too long/);
    assert.ok(ok(stats([["s", "x".repeat(128)], ["b", false], ["n", -0.5]])));
    for (const value of [null, {}, [], "x".repeat(129)]) {
      refused(stats([["v", value]]), "bad-field", /value of "v" must be a finite number/);
    }
    for (const value of [[], "x", null]) {
      refused({ type: "stats", stats: value }, "bad-field", /^stats\.stats must be an object$/);
    }
    // an unknown type says which types the server knows, and keeps the rid
    assert.throws(() => parseClientMessage('{"type":"fly","rid":9}'), (e: SignalProtocolError) => {
      assert.equal(e.rid, 9);
      assert.equal(
        e.message,
        'unknown message type "fly"; this server knows announce, list, relay, stats and ping',
      );
      return true;
    });
  });

  it("checks each field a client reads from the server, and nothing more", () => {
    const id = U256.random();
    const ok = (message: Record<string, unknown>) =>
      assert.deepEqual(parseServerMessage(JSON.stringify(message)), message);
    const refused = (message: Record<string, unknown>, why: RegExp) =>
      assert.throws(() => parseServerMessage(JSON.stringify(message)), (e: SignalProtocolError) => {
        assert.equal(e.code, "bad-field", JSON.stringify(message));
        assert.match(e.message, why, JSON.stringify(message));
        return true;
      });
    ok({ type: "challenge", version: 1, challenge: id });
    refused({ type: "challenge", version: 1.5, challenge: id }, /^server challenge message: /);
    refused({ type: "challenge", version: 1, challenge: "x" }, /challenge of 64 hex/);
    ok({ type: "welcome", id, config: {} });
    refused({ type: "welcome", id: "x", config: {} }, /^server welcome message: needs an id/);
    refused({ type: "welcome", id, config: [] }, /needs an id and a config/);
    refused({ type: "welcome", id, config: null }, /needs an id and a config/);
    // ICE servers: at most 8, each with 1 to 8 stun:/turn:/turns: urls, credentials of 512
    const server = (urls: unknown, extra: Record<string, unknown> = {}) => ({ urls, ...extra });
    const good = [
      server("stun:a"),
      server(["turn:a", "turns:b"], { username: "u", credential: "c".repeat(512) }),
      server(Array.from({ length: 8 }, () => "turn:x")),
    ];
    ok({ type: "welcome", id, config: {}, iceServers: good });
    ok({ type: "ice", iceServers: Array.from({ length: 8 }, () => server("stun:a")) });
    ok({ type: "ice", iceServers: [] });
    const badServers: unknown[] = [
      Array.from({ length: 9 }, () => server("stun:a")),
      [server("http://a")],
      [server([])],
      [server(Array.from({ length: 9 }, () => "stun:a"))],
      [server([1])],
      [server(7)],
      [server("xstun:a")],
      [server("stun:a", { username: 1 })],
      [server(["stun:a", "http://b"])],
      [server(["http://b", "stun:a"])],
      [server("stun:a", { credential: 5 })],
      [server("stun:a", { credential: "c".repeat(513) })],
      [server("stun:a", { username: "u".repeat(513) })],
      [null],
      ["stun:a"],
      [[server("stun:a")]],
      "stun:a",
      { urls: "stun:a" },
    ];
    for (const iceServers of badServers) {
      refused({ type: "ice", iceServers }, /^server ice message: iceServers must be at most 8/);
      refused({ type: "welcome", id, config: {}, iceServers }, /iceServers must be at most 8/);
    }
    refused({ type: "ice" }, /iceServers must be/);
    ok({ type: "relay", from: id, signal: {} });
    refused({ type: "relay", from: "x", signal: {} }, /^server relay message: needs from/);
    refused({ type: "relay", from: id, signal: [] }, /needs from and signal/);
    refused({ type: "relay", from: id }, /needs from and signal/);
    ok({ type: "error", code: "x", message: "y" });
    refused({ type: "error", code: 1, message: "y" }, /^server error message: needs a code/);
    refused({ type: "error", code: "x" }, /needs a code and a message/);
    refused({ type: "list" }, /^server list message: needs a list of nodes$/);
    assert.deepEqual(parseServerMessage('{"type":"list","nodes":[]}'), { type: "list", nodes: [] });
    assert.throws(() => parseServerMessage('{"type":"news"}'), (e: SignalProtocolError) => {
      assert.equal(e.code, "unknown-type");
      assert.equal(e.message, 'unknown server message type "news"');
      return true;
    });
    // a long or missing type is quoted in 40 characters at most
    const long = JSON.stringify({ type: "n".repeat(100) });
    assert.throws(
      () => parseServerMessage(long),
      (e: Error) => e.message === `unknown server message type "${"n".repeat(39)}`,
    );
    assert.throws(
      () => parseServerMessage("{}"),
      (e: Error) => e.message === "unknown server message type undefined",
    );
    assert.throws(
      () => parseClientMessage(long),
      (e: Error) =>
        e.message ===
          `unknown message type "${"n".repeat(39)}; this server knows announce, list, relay, ` +
            "stats and ping",
    );
    assert.throws(
      () => parseClientMessage("{}"),
      (e: Error) => e.message.startsWith("unknown message type undefined;"),
    );
  });
});

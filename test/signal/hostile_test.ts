import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { type NodeID, U256 } from "../../core/ids.ts";
import { startSignalClient } from "../../net/signal_client.ts";
import type { SignalErrorCode } from "../../net/signal_protocol.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { RawClient } from "../../harness/raw_client.ts";
import { seededRandom } from "../../core/random.ts";

const FATAL_ROUNDS = 100;
const NON_FATAL_CONNECTIONS = 4;
const NON_FATAL_BATCHES = 9;
const BATCH = 250;
const FLOODS = 2;
const FLOOD_FRAMES = 6000;

/** The hostile frames' randomness, seeded: a failure is the same on every run. */
const rng = seededRandom(19);

function randomText(length: number): string {
  return Array.from({ length }, () => String.fromCharCode(32 + Math.floor(rng() * 95))).join("");
}

function randomBytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(rng() * 256));
}

describe("hostile clients", () => {
  it("never crash the server, forge nothing, get the right codes, and cost honest nodes nothing", async () => {
    const running = await serveSignal({ port: 0, ratePerSecond: 5000, rateBurst: 5000 });
    const url = running.url;
    const [alice, bob] = await Promise.all([NodeConfig.create(), NodeConfig.create()]);
    const a = startSignalClient(alice, url, WebSocket);
    const b = startSignalClient(bob, url, WebSocket);
    const aOut = a.channelOut();
    const bOut = b.channelOut();
    const sent = { frames: 0 };
    const codes = new Map<string, number>();
    const count = (code: string) => codes.set(code, (codes.get(code) ?? 0) + 1);

    // Honest traffic: alice relays numbered messages to bob, bob echoes them back.
    const bobGot: number[] = [];
    const aliceGot: number[] = [];
    const spoofsAtBob: NodeID[] = [];
    const honestErrors: string[] = [];
    const bobAnnounced = Promise.withResolvers<void>();
    const aliceAnnounced = Promise.withResolvers<void>();
    const ready = Promise.all([bobAnnounced.promise, aliceAnnounced.promise]);
    const bobLoop = (async () => {
      for await (const out of bOut) {
        if (out.type === "ready") bobAnnounced.resolve();
        else if (out.type === "relay" && out.from === alice.id) {
          bobGot.push(out.signal.seq as number);
          await b.emitIn({ type: "relay", to: alice.id, signal: { seq: out.signal.seq } });
        } else if (out.type === "relay") spoofsAtBob.push(out.from);
        else if (out.type === "error") honestErrors.push(`bob: ${out.code}`);
        else if (out.type === "closed") break;
      }
    })();
    const aliceLoop = (async () => {
      for await (const out of aOut) {
        if (out.type === "ready") aliceAnnounced.resolve();
        else if (out.type === "relay" && out.from === bob.id) {
          aliceGot.push(out.signal.seq as number);
        } else if (out.type === "error") honestErrors.push(`alice: ${out.code}`);
        else if (out.type === "closed") break;
      }
    })();
    let hostileDone = false;
    let honestSent = 0;
    const honest = (async () => {
      await ready; // both announced
      while (!hostileDone) {
        await a.emitIn({ type: "relay", to: bob.id, signal: { seq: honestSent++ } });
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();

    // Frames that end the connection: one fresh connection per frame.
    const fatal: [string, SignalErrorCode, (c: RawClient) => Promise<unknown>][] = [
      ["random text", "bad-json", () => Promise.resolve(randomText(200))],
      ["truncated JSON", "bad-json", () => Promise.resolve('{"type":"announce","info":{"na')],
      ["deeply nested", "bad-json", () => Promise.resolve("[".repeat(20000) + "]".repeat(20000))],
      [
        "random bytes",
        "binary-frame",
        () => Promise.resolve(randomBytes(64)),
      ],
      [
        "oversize",
        "frame-too-large",
        () => Promise.resolve({ type: "ping", pad: "x".repeat(70_000) }),
      ],
      ["list first", "not-announced", () => Promise.resolve({ type: "list" })],
      [
        "relay first",
        "not-announced",
        () => Promise.resolve({ type: "relay", to: bob.id, signal: { seq: -1 } }),
      ],
      ["impersonate alice", "bad-signature", async (c) => ({
        ...(await c.announceFor(await NodeConfig.create())),
        info: alice.info,
      })],
      [
        "replayed signature",
        "bad-signature",
        async (c) => await c.announceFor(await NodeConfig.create(), U256.random()),
      ],
      ["other version", "version-mismatch", async (c) => ({
        ...(await c.announceFor(await NodeConfig.create())),
        version: 2,
      })],
    ];
    const fatalRun = (async () => {
      for (let round = 0; round < FATAL_ROUNDS; round++) {
        await Promise.all(fatal.map(async ([kind, code, frame]) => {
          const client = await RawClient.open(url);
          client.send(await frame(client));
          sent.frames++;
          const reply = await client.next();
          assert.equal(reply.type === "error" && reply.code, code, kind);
          count(code);
          await client.closed;
        }));
      }
    })();

    // Frames that are refused but keep the connection: many per announced connection.
    const nested = { type: JSON.parse("[".repeat(500) + "]".repeat(500)) };
    const nonFatal: [SignalErrorCode | "relayed", () => Promise<unknown> | unknown][] = [
      ["unknown-type", () => ({ type: "steal", target: alice.id })],
      ["unknown-type", () => nested],
      ["bad-field", () => ({ type: "relay", to: alice.id.toUpperCase(), signal: {} })],
      ["bad-field", () => ({ type: "relay", to: bob.id, signal: [1, 2] })],
      ["bad-field", () => ({ type: "ping", rid: "one" })],
      ["bad-field", () => ({ type: "stats", stats: { ["k".repeat(40)]: 1 } })],
      ["unknown-node", () => ({ type: "relay", to: U256.random(), signal: {} })],
      [
        "already-announced",
        () => ({ type: "announce", version: 1, info: alice.info, signature: "ab".repeat(64) }),
      ],
      ["relayed", () => ({ type: "relay", to: bob.id, from: alice.id, signal: { seq: -2 } })],
    ];
    const attackerIds: NodeID[] = [];
    const nonFatalRun = Promise.all(
      Array.from({ length: NON_FATAL_CONNECTIONS }, async () => {
        const attacker = await NodeConfig.create();
        attackerIds.push(attacker.id);
        const client = await RawClient.announced(url, attacker);
        for (let batch = 0; batch < NON_FATAL_BATCHES; batch++) {
          const expected: string[] = [];
          for (let i = 0; i < BATCH; i++) {
            const [code, frame] = nonFatal[(batch * BATCH + i) % nonFatal.length];
            client.send(await frame());
            sent.frames++;
            if (code === "relayed") count(code);
            else expected.push(code);
          }
          for (const code of expected) {
            const reply = await client.next();
            assert.equal(reply.type === "error" && reply.code, code);
            count(code);
          }
          await new Promise((resolve) => setTimeout(resolve, 60)); // stay under the rate limit
        }
        client.socket.close();
      }),
    );

    // Floods: pings as fast as the socket takes them.
    const floodRun = Promise.all(Array.from({ length: FLOODS }, async () => {
      const client = await RawClient.announced(url, await NodeConfig.create());
      for (let i = 0; i < FLOOD_FRAMES; i++) client.send({ type: "ping" });
      sent.frames += FLOOD_FRAMES;
      let reply;
      while ((reply = await client.next()).type === "pong") { /* within the burst */ }
      assert.equal(reply.type === "error" && reply.code, "rate-limited");
      count("rate-limited");
      await client.closed;
    }));

    try {
      await Promise.all([fatalRun, nonFatalRun, floodRun]);
      hostileDone = true;
      await honest;
      const deadline = Date.now() + 5000;
      while (aliceGot.length < honestSent && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      assert.ok(sent.frames >= 10_000, `sent ${sent.frames} hostile frames`);
      for (const [, code] of fatal) assert.ok((codes.get(code) ?? 0) >= FATAL_ROUNDS, code);
      const perKind = (NON_FATAL_CONNECTIONS * NON_FATAL_BATCHES * BATCH) / nonFatal.length;
      assert.equal(codes.get("unknown-node"), perKind);
      assert.equal(codes.get("already-announced"), perKind);
      assert.equal(codes.get("rate-limited"), FLOODS);

      // No forgery: spoofed relays reached bob with the attacker's id, never alice's.
      assert.equal(spoofsAtBob.length, codes.get("relayed"));
      assert.ok(spoofsAtBob.every((id) => attackerIds.includes(id)));
      assert.ok(!bobGot.includes(-1) && !bobGot.includes(-2), "no hostile relay claimed alice");
      const online = running.server.nodes().map((n) => n.info.pubkey);
      assert.ok(online.includes(alice.id) && online.includes(bob.id));

      // The honest pair lost nothing and was never disturbed.
      assert.ok(honestSent > 100, `alice sent ${honestSent} relays during the attack`);
      assert.deepEqual(bobGot, Array.from({ length: honestSent }, (_, i) => i));
      assert.deepEqual(aliceGot, bobGot);
      assert.deepEqual(honestErrors, []);

      // The server still works.
      const health = await fetch(url.replace("ws:", "http:") + "/health");
      assert.equal((await health.json()).status, "ok");
    } finally {
      hostileDone = true;
      await a.emitIn({ type: "close" });
      await b.emitIn({ type: "close" });
      await Promise.all([aliceLoop, bobLoop]);
      await running.close();
    }
  });
});

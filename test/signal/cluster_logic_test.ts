/**
 * The cluster's bounds with a stand-in bus (its real behaviour over NATS is
 * test/signal/cluster_test.ts): lists waiting for other servers are capped.
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { U256 } from "../../core/ids.ts";
import type { NodeInfo } from "../../core/config.ts";
import {
  datedChallenge,
  MAX_CLAIMED_NODES,
  MAX_RELAY_CHARS,
  MOVED_WINDOW_MS,
  SERVER_CLOCK_SKEW_MS,
  SignalCluster,
} from "../../signal/cluster.ts";
import { NodeConfig } from "../../core/config.ts";
import { type NodeID, toHex } from "../../core/ids.ts";
import { announcePayload, SIGNAL_PROTOCOL_VERSION } from "../../net/signal_protocol.ts";
import type { ClusterBus } from "../../signal/cluster_options.ts";

const info = (name: string): NodeInfo => ({
  name,
  client: "c",
  pubkey: U256.random(),
  modules: [],
});

describe("a cluster's lists", () => {
  it("are answered from this server alone while maxPendingLists wait for others", async () => {
    const handlers = new Map<string, (data: string) => void>();
    const waiting: (() => void)[] = [];
    const bus: ClusterBus = {
      publish: () => {},
      subscribe: (subject, handler) => {
        handlers.set(subject, (data) => handler(data, () => {}));
        return { unsubscribe: () => handlers.delete(subject) };
      },
      // another server's sample never comes until released
      request: () => new Promise((resolve) => waiting.push(() => resolve('{"nodes":[]}'))),
      flush: () => Promise.resolve(),
      connected: true,
      server: "stand-in",
      close: () => Promise.resolve(),
    };
    const mine = [info("here-1"), info("here-2")];
    const cluster = new SignalCluster(bus, {
      deliver: () => "ok",
      replaced: () => {},
      sample: (count) => mine.slice(0, count),
      nodeCount: () => mine.length,
      announcedAt: () => undefined,
    }, { maxPendingLists: 1, heartbeatMs: 60_000 });
    try {
      handlers.get("flnet.flnet.servers")!(
        JSON.stringify({ server: "0123456789abcdef", nodes: 50 }),
      );
      const first = cluster.list(10);
      assert.equal(waiting.length, 1, "the first list asks the other server");
      const second = await cluster.list(10);
      assert.deepEqual(second, mine, "the second is answered from this server's nodes");
      assert.equal(waiting.length, 1, "and asks nobody");
      waiting[0]();
      // released, the first completes: this server's share, the other server's sample was empty
      assert.ok((await first).every((node) => mine.includes(node)));
    } finally {
      await cluster.close();
    }
  });
});

/** A cluster on a stand-in bus whose subscriptions the test calls; what reached its host. */
function standIn(local: NodeInfo[], here: Map<string, number>, now = () => Date.now()) {
  const handlers = new Map<string, (data: string, respond: (reply: string) => void) => void>();
  const samples = new Map<string, NodeInfo[]>();
  const bus: ClusterBus = {
    publish: () => {},
    subscribe: (subject, handler) => {
      handlers.set(subject, handler);
      return { unsubscribe: () => handlers.delete(subject) };
    },
    request: (subject) => Promise.resolve(JSON.stringify({ nodes: samples.get(subject) ?? [] })),
    flush: () => Promise.resolve(),
    connected: true,
    server: "stand-in",
    close: () => Promise.resolve(),
  };
  const seen = { delivered: [] as string[], replaced: [] as string[] };
  const cluster = new SignalCluster(bus, {
    deliver: (_, frame) => (seen.delivered.push(frame), "ok"),
    replaced: (id) => seen.replaced.push(id),
    sample: (count) => local.slice(0, count),
    nodeCount: () => local.length,
    announcedAt: (id) => here.get(id),
  }, { heartbeatMs: 60_000, now });
  /** Sends `data` on `subject` as the bus would; resolves with the reply, if any. */
  const hear = (subject: string, data: string) =>
    new Promise<string | undefined>((resolve) => {
      handlers.get(subject)!(data, resolve);
      setTimeout(() => resolve(undefined), 50);
    });
  return { cluster, seen, hear, samples };
}

describe("what a cluster takes from the bus", () => {
  it("believes a node moved only with its fresh signed announce elsewhere (simulated clock)", async () => {
    const node = await NodeConfig.create();
    const clock = { now: 1_800_000_000_000 };
    const announced = clock.now - 5_000;
    const here = new Map([[node.id as string, announced]]);
    const { cluster, seen, hear } = standIn([], here, () => clock.now);
    const proof = async (at: number) => {
      const challenge = datedChallenge(at);
      const payload = announcePayload(SIGNAL_PROTOCOL_VERSION, challenge);
      return { challenge, signature: toHex(await node.sign(payload)) };
    };
    try {
      await cluster.claim(node.id, await proof(clock.now)); // this server is its home now
      const subject = `flnet.flnet.node.${node.id}`;
      const moved = (p: { challenge: string; signature: string }, server = "0123456789abcdef") =>
        hear(subject, `moved\n${server}\n${p.challenge}\n${p.signature}`);
      const believed = async (p: { challenge: string; signature: string }) => {
        const before = seen.replaced.length;
        await moved(p);
        return seen.replaced.length > before;
      };
      assert.equal(await believed({ challenge: "", signature: "" }), false, "no proof");
      const forged = await proof(clock.now);
      const flipped = (forged.signature[0] === "0" ? "1" : "0") + forged.signature.slice(1);
      assert.equal(await believed({ ...forged, signature: flipped }), false, "a forged one");
      assert.equal(await believed({ ...forged, signature: `${forged.signature}0` }), false);
      // its own "moved" (this server's id) is not one
      await moved(forged, cluster.serverId);
      assert.deepEqual(seen.replaced, []);
      // a minute old at most: exactly that is too old (a millisecond less is fresh, below)
      here.set(node.id, clock.now - 10 * MOVED_WINDOW_MS);
      assert.equal(await believed(await proof(clock.now - MOVED_WINDOW_MS)), false, "a minute");
      here.set(node.id, announced);
      // 30 s ahead at most (servers' clocks): exactly that is too far
      assert.equal(await believed(await proof(clock.now + SERVER_CLOCK_SKEW_MS)), false);
      // not older than its announce here, by more than the skew: exactly that is too old
      assert.equal(await believed(await proof(announced - SERVER_CLOCK_SKEW_MS)), false);
      assert.equal(cluster.stats().badMessages, 6);
      assert.equal(await believed(await proof(announced - SERVER_CLOCK_SKEW_MS + 1)), true);
      assert.deepEqual(seen.replaced, [node.id], "the signed, fresh one");
      // one a millisecond inside the other bounds is believed as well (announced here long ago)
      for (const at of [clock.now - MOVED_WINDOW_MS + 1, clock.now + SERVER_CLOCK_SKEW_MS - 1]) {
        here.set(node.id, clock.now - 10 * MOVED_WINDOW_MS);
        await cluster.claim(node.id, await proof(clock.now));
        assert.equal(await believed(await proof(at)), true, `dated ${at - clock.now} ms off`);
      }
      // a node that is not here: nothing to do
      await cluster.claim(node.id, await proof(clock.now));
      here.delete(node.id);
      assert.equal(await believed(await proof(clock.now)), false);
    } finally {
      await cluster.close();
    }
  });

  it("forwards only relay frames of three fields, of at most MAX_RELAY_CHARS", async () => {
    const to = U256.random();
    const here = new Map([[to as string, Date.now()]]);
    const { cluster, seen, hear } = standIn([], here);
    try {
      await cluster.claim(to, { challenge: datedChallenge(), signature: "" });
      const subject = `flnet.flnet.node.${to}`;
      const from = U256.random();
      const ice = JSON.stringify({ type: "ice", iceServers: [{ urls: "turn:evil.example" }] });
      assert.equal(await hear(subject, `relay\n${ice}`), "relay-failed");
      assert.equal(await hear(subject, "relay\n{"), "relay-failed");
      for (const frame of ["3", "null", '"relay"', "[1,2,3]"]) {
        assert.equal(await hear(subject, `relay\n${frame}`), "relay-failed", frame);
      }
      for (
        const three of [
          { type: "ice", from, signal: {} },
          { type: "relay", from: "not an id", signal: {} },
          { type: "relay", from, signal: "text" },
          { type: "relay", from, signal: null },
        ]
      ) {
        assert.equal(await hear(subject, `relay\n${JSON.stringify(three)}`), "relay-failed");
      }
      assert.equal(await hear(subject, "neither\nof them"), "relay-failed");
      const extra = { type: "relay", from, signal: { a: 1 }, iceServers: ["x"] };
      assert.equal(await hear(subject, `relay\n${JSON.stringify(extra)}`), "relay-failed");
      // a second "type" would be the one the node reads
      const twice = `{"type":"relay","from":"${from}","signal":{},"type":"ice"}`;
      assert.equal(await hear(subject, `relay\n${twice}`), "relay-failed");
      const frame = JSON.stringify({ type: "relay", from, signal: { a: 1 } });
      assert.equal(await hear(subject, `relay\n${frame}`), "ok");
      assert.deepEqual(seen.delivered, [frame]);
      const sized = (chars: number) => {
        const frame = { type: "relay", from, signal: { p: "" } };
        const pad = chars - JSON.stringify(frame).length;
        return JSON.stringify({ ...frame, signal: { p: "x".repeat(pad) } });
      };
      assert.equal(sized(MAX_RELAY_CHARS).length, MAX_RELAY_CHARS);
      assert.equal(await hear(subject, `relay\n${sized(MAX_RELAY_CHARS)}`), "ok");
      assert.equal(await hear(subject, `relay\n${sized(MAX_RELAY_CHARS + 1)}`), "relay-failed");
      assert.equal(seen.delivered.length, 2);
    } finally {
      await cluster.close();
    }
  });

  it("keeps this server's fair share of a list, whatever another claims to hold", async () => {
    const local = Array.from({ length: 20 }, (_, i) => info(`here-${i}`));
    const { cluster, hear, samples } = standIn(local, new Map());
    const liar = "0123456789abcdef";
    samples.set(`flnet.flnet.server.${liar}.sample`, Array.from({ length: 50 }, () => info("x")));
    try {
      await hear("flnet.flnet.servers", JSON.stringify({ server: liar, nodes: MAX_CLAIMED_NODES }));
      assert.equal(cluster.stats().peers, 1, "a claim of exactly the bound is believed");
      const listed = await cluster.list(10);
      assert.equal(listed.length, 10);
      assert.equal(listed.filter((n) => local.includes(n)).length, 5, "half of 10 are its own");
      assert.equal(new Set(listed.map((n) => n.pubkey)).size, 10, "no node twice");
      const without = await cluster.list(10, local[0].pubkey as NodeID);
      assert.ok(!without.some((n) => n.pubkey === local[0].pubkey), "never the one asking");
      const other = "fedcba9876543210";
      await hear(
        "flnet.flnet.servers",
        JSON.stringify({ server: other, nodes: MAX_CLAIMED_NODES + 1 }),
      );
      assert.equal(cluster.stats().peers, 1, "one beyond is not");
      assert.ok(cluster.stats().badMessages >= 1);
    } finally {
      await cluster.close();
    }
  });
});

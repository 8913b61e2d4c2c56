/**
 * The overlay's setup-message logic with stand-in links (its real behaviour, setups carried
 * between real nodes, is test/webrtc/overlay_signal_test.ts): what it carries, what it returns
 * and why, its bounds.
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { U256 } from "../../core/ids.ts";
import type { NodeID } from "../../core/ids.ts";
import {
  ANSWER_WAIT_MS,
  AVOID_MS,
  MAX_NEIGHBOUR_LIST,
  NEAR_DEBOUNCE_MS,
  NEIGHBOUR_BURST,
  NEIGHBOUR_RATE,
  OverlaySignals,
} from "../../net/overlay_signals.ts";
import {
  NEIGHBOURS_MODULE,
  OVERLAY_SIGNAL_FAILED_MODULE,
  OVERLAY_SIGNAL_MODULE,
} from "../../net/control.ts";

/** An overlay node with stand-in links: what it sent, delivered and sent otherwise. */
function node(neighbours: NodeID[], clock: { now: number } = { now: 1_000_000 }) {
  const id = U256.random();
  const sent: { to: NodeID; module: string; data: Record<string, unknown> }[] = [];
  const delivered: { from: NodeID; signal: Record<string, unknown> }[] = [];
  const fallbacks: { to: NodeID; reason: string }[] = [];
  const reachable: NodeID[][] = [];
  const malformed: { from: NodeID; reason: string }[] = [];
  const unanswered: NodeID[] = [];
  const overlay = new OverlaySignals(
    id,
    {
      neighbours: () => neighbours,
      send: (to, module, data) => {
        if (!neighbours.includes(to)) return false;
        sent.push({ to, module, data: JSON.parse(data) });
        return true;
      },
      deliver: (from, signal) => delivered.push({ from, signal }),
      fallback: (to, _signal, reason) => fallbacks.push({ to, reason }),
      reachable: (ids) => reachable.push(ids),
      malformed: (from, reason) => malformed.push({ from, reason }),
      unanswered: (to) => unanswered.push(to),
    },
    () => 0,
    () => clock.now,
  );
  return { id, overlay, sent, delivered, fallbacks, reachable, malformed, unanswered };
}

const list = (version: number, ids: string[]) => JSON.stringify({ version, ids });

describe("overlay signals", () => {
  it("routes through the neighbour whose list holds the target, and only then", () => {
    const [via, target] = [U256.random(), U256.random()];
    const me = node([via]);
    try {
      assert.equal(me.overlay.route(target, { kind: "offer" }), false, "no list yet");
      me.overlay.receive(via, NEIGHBOURS_MODULE, list(1, [target, me.id, via]));
      assert.deepEqual(me.reachable, [[target]], "reachable through the neighbour: not itself");
      assert.equal(me.overlay.route(target, { kind: "offer" }), true);
      assert.deepEqual(me.sent.at(-1), {
        to: via,
        module: OVERLAY_SIGNAL_MODULE,
        data: { from: me.id, to: target, hops: 1, signal: { kind: "offer" } },
      });
      // an older list does not replace a newer one; a newer one does
      me.overlay.receive(via, NEIGHBOURS_MODULE, list(0, []));
      assert.equal(me.overlay.route(target, { kind: "answer" }), true);
      me.overlay.receive(via, NEIGHBOURS_MODULE, list(2, []));
      assert.equal(me.overlay.route(target, { kind: "answer" }), false);
      assert.equal(me.overlay.stats.sent, 2);
    } finally {
      me.overlay.close();
    }
  });

  it("carries to its neighbour, delivers its own, and returns what it cannot carry", () => {
    const [from, elsewhere] = [U256.random(), U256.random()];
    const target = U256.random();
    const relay = node([from, target]);
    try {
      const message = { from, to: target, hops: 1, signal: { kind: "offer" } };
      relay.overlay.receive(from, OVERLAY_SIGNAL_MODULE, JSON.stringify(message));
      assert.deepEqual(relay.sent.at(-1), {
        to: target,
        module: OVERLAY_SIGNAL_MODULE,
        data: { ...message, hops: 2 },
      });
      relay.overlay.receive(
        from,
        OVERLAY_SIGNAL_MODULE,
        JSON.stringify({ ...message, to: elsewhere }),
      );
      assert.equal(relay.sent.at(-1)!.module, OVERLAY_SIGNAL_FAILED_MODULE);
      assert.match(String(relay.sent.at(-1)!.data.reason), /is not a neighbour/);
      relay.overlay.receive(from, OVERLAY_SIGNAL_MODULE, JSON.stringify({ ...message, hops: 2 }));
      assert.match(String(relay.sent.at(-1)!.data.reason), /more than 2 hops/);
      relay.overlay.receive(
        from,
        OVERLAY_SIGNAL_MODULE,
        JSON.stringify({ ...message, to: relay.id }),
      );
      assert.deepEqual(relay.delivered, [{ from, signal: { kind: "offer" } }]);
      assert.deepEqual(relay.overlay.stats, {
        sent: 0,
        relayed: 1,
        received: 1,
        returned: 0,
        refused: 2,
        overBudget: 0,
      });
    } finally {
      relay.overlay.close();
    }
  });

  it("keys the budget by the neighbour, whatever its messages say they are or whom they name", () => {
    const [attacker, honest, target] = [U256.random(), U256.random(), U256.random()];
    const victim = node([attacker, honest, target]);
    try {
      // every kind, addressed to the victim itself or to others, with any from it likes
      const kinds = (i: number): [string, string] => {
        const from = U256.random();
        switch (i % 4) {
          case 0:
            return [
              OVERLAY_SIGNAL_MODULE,
              JSON.stringify({ from, to: victim.id, hops: 1, signal: {} }),
            ];
          case 1:
            return [
              OVERLAY_SIGNAL_MODULE,
              JSON.stringify({ from, to: target, hops: 1, signal: {} }),
            ];
          case 2:
            return [NEIGHBOURS_MODULE, list(i, [U256.random()])];
          default:
            return [OVERLAY_SIGNAL_FAILED_MODULE, JSON.stringify({ from, to: target, signal: {} })];
        }
      };
      // the figures docs/wire.md and docs/architecture.md give
      assert.deepEqual([NEIGHBOUR_RATE, NEIGHBOUR_BURST], [50, 200]);
      assert.deepEqual([ANSWER_WAIT_MS, AVOID_MS], [4_000, 5 * 60_000]);
      for (let i = 0; i < 3 * NEIGHBOUR_BURST; i++) victim.overlay.receive(attacker, ...kinds(i));
      // each message read counts somewhere: delivered, carried on, refused, or a list taken
      const { received, relayed, refused, returned } = victim.overlay.stats;
      const read = received + relayed + refused + returned + victim.reachable.length;
      assert.ok(read <= NEIGHBOUR_BURST, `read ${read} of the attacker's`);
      assert.equal(victim.overlay.stats.overBudget, 2 * NEIGHBOUR_BURST);
      // the honest neighbour's budget is its own
      const mine = JSON.stringify({ from: honest, to: victim.id, hops: 1, signal: { ok: 1 } });
      const before = victim.delivered.length;
      for (let i = 0; i < 10; i++) victim.overlay.receive(honest, OVERLAY_SIGNAL_MODULE, mine);
      assert.equal(victim.delivered.length - before, 10);
    } finally {
      victim.overlay.close();
    }
  });

  it("sends a returned message through the server, and reports returns of others", () => {
    const [via, target] = [U256.random(), U256.random()];
    const me = node([via]);
    try {
      const back = { from: me.id, to: target, hops: 1, signal: { kind: "offer" }, reason: "gone" };
      me.overlay.receive(via, OVERLAY_SIGNAL_FAILED_MODULE, JSON.stringify(back));
      assert.equal(me.fallbacks.length, 1);
      assert.match(me.fallbacks[0].reason, /could not carry it: gone/);
      me.overlay.receive(
        via,
        OVERLAY_SIGNAL_FAILED_MODULE,
        JSON.stringify({ ...back, from: U256.random() }),
      );
      assert.equal(me.fallbacks.length, 1, "a return for another node is not ours to resend");
      assert.deepEqual(me.malformed.map((m) => m.from), [via]);
      assert.match(me.malformed[0].reason, /a returned setup message this node did not send/);
    } finally {
      me.overlay.close();
    }
  });

  it("bounds what a neighbour can make it do", () => {
    const [from, target] = [U256.random(), U256.random()];
    const clock = { now: 1_000_000 };
    const relay = node([from, target], clock);
    try {
      const message = JSON.stringify({ from, to: target, hops: 1, signal: {} });
      for (let i = 0; i < NEIGHBOUR_BURST; i++) {
        relay.overlay.receive(from, OVERLAY_SIGNAL_MODULE, message);
      }
      assert.equal(relay.overlay.stats.relayed, NEIGHBOUR_BURST, "exactly the burst");
      const sent = relay.sent.length;
      relay.overlay.receive(from, OVERLAY_SIGNAL_MODULE, message);
      assert.equal(relay.overlay.stats.relayed, NEIGHBOUR_BURST, "one beyond: dropped");
      assert.equal(relay.sent.length, sent, "and nothing sent back for it");
      assert.equal(relay.overlay.stats.overBudget, 1);
      assert.match(relay.malformed.at(-1)!.reason, /over 50 overlay control messages a second/);
      relay.malformed.length = 0;
      // a second later the bucket holds exactly NEIGHBOUR_RATE again: that many, not one more
      clock.now += 1_000;
      for (let i = 0; i < NEIGHBOUR_RATE + 1; i++) {
        relay.overlay.receive(from, OVERLAY_SIGNAL_MODULE, message);
      }
      assert.equal(relay.overlay.stats.relayed, NEIGHBOUR_BURST + NEIGHBOUR_RATE);
      assert.equal(relay.overlay.stats.overBudget, 2);
      assert.equal(relay.malformed.length, 1, "said again: a second passed");
      relay.malformed.length = 0;
      clock.now += 1_000;
      const refused = relay.overlay.stats.refused;
      for (
        const bad of [
          "not json",
          "x".repeat(100 * 1024),
          JSON.stringify({ from: "me", to: target, hops: 1, signal: {} }),
          JSON.stringify({ from, to: target, hops: 1, signal: [] }),
          list(1, Array.from({ length: MAX_NEIGHBOUR_LIST + 1 }, () => U256.random())),
          list(1, ["not an id"]),
        ]
      ) {
        const module = bad.startsWith('{"version"') ? NEIGHBOURS_MODULE : OVERLAY_SIGNAL_MODULE;
        relay.overlay.receive(from, module, bad);
      }
      assert.equal(relay.overlay.stats.refused, refused + 6);
      // each reported, naming the neighbour and what was wrong
      assert.equal(relay.malformed.length, 6);
      assert.ok(relay.malformed.every((m) => m.from === from));
      assert.deepEqual(relay.malformed.map((m) => m.reason.replace(/^node \w+ sent /, "")), [
        "a sig message that is not JSON; it was dropped",
        "a sig message that is not text of at most 80 KiB; it was dropped",
        "a setup message to carry without from, to, hops or signal; it was dropped",
        "a setup message to carry without from, to, hops or signal; it was dropped",
        "a neighbour list that is not a version and at most 128 node ids; it was dropped",
        "a neighbour list that is not a version and at most 128 node ids; it was dropped",
      ]);
    } finally {
      relay.overlay.close();
    }
  });

  it("tells its neighbours its own list, once per burst of changes", async () => {
    const neighbours = [U256.random(), U256.random()];
    const me = node(neighbours);
    try {
      me.overlay.neighboursChanged();
      me.overlay.neighboursChanged();
      await new Promise((resolve) => setTimeout(resolve, NEAR_DEBOUNCE_MS + 100));
      const lists = me.sent.filter((s) => s.module === NEIGHBOURS_MODULE);
      assert.deepEqual(lists.map((s) => s.to), neighbours);
      assert.deepEqual(lists[0].data, { version: 1, ids: neighbours });
    } finally {
      me.overlay.close();
    }
  });

  it("makes an offer that brought no word again, and blames the neighbour once for all", async () => {
    const [hole, honest, a, b, c, d, e] = Array.from({ length: 7 }, () => U256.random());
    const clock = { now: 1_000_000 };
    const me = node([hole, honest], clock);
    const sweep = () => new Promise((resolve) => setTimeout(resolve, 1_100)); // once a second
    try {
      me.overlay.receive(hole, NEIGHBOURS_MODULE, list(1, [a, b, d, e]));
      me.overlay.receive(honest, NEIGHBOURS_MODULE, list(1, [c, e]));
      for (const to of [a, b, c]) assert.equal(me.overlay.route(to, { kind: "offer" }), true);
      me.overlay.heardFrom(c); // answered through the honest one
      clock.now += 2_000;
      assert.equal(me.overlay.route(d, { kind: "offer" }), true, "d, later, through the hole");
      clock.now += ANSWER_WAIT_MS - 2_001;
      await sweep();
      assert.deepEqual(me.unanswered, [], "1 ms short of the wait: nothing yet");
      clock.now += 1;
      await sweep();
      // a and b waited the whole time: made again; d waited 2 s only, but through the blamed one
      assert.deepEqual(me.unanswered.toSorted(), [a, b, d].toSorted());
      // the hole carries nothing of this node for a while: e goes through the honest one, a
      // through the server
      const before = me.sent.length;
      assert.equal(me.overlay.route(e, { kind: "offer" }), true);
      assert.equal(me.sent.at(-1)!.to, honest);
      assert.equal(me.overlay.route(a, { kind: "offer" }), false, "a: through the server");
      assert.equal(me.sent.length, before + 1);
      me.overlay.heardFrom(e);
      // after AVOID_MS the hole is a relay again
      clock.now += AVOID_MS;
      await sweep();
      assert.equal(me.overlay.route(b, { kind: "offer" }), true);
      assert.equal(me.sent.at(-1)!.to, hole);
    } finally {
      me.overlay.close();
    }
  });
});

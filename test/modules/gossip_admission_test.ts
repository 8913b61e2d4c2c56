/**
 * What the event store takes from strangers: nothing dated ahead of the clock past the skew,
 * each author's flood displacing its own events only, the node's own events last, and flnet's
 * categories never competing with applications' for a slot (issue: an open network one stranger
 * cannot break).
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { U256 } from "../../core/ids.ts";
import { CATEGORIES, createEvent } from "../../modules/gossip/event.ts";
import {
  CATEGORY_RULES,
  EventStore,
  MAX_EVENT_SKEW_MS,
  OTHER_CATEGORIES,
  STORE_LIMITS,
} from "../../modules/gossip/store.ts";

const NOW = 1_800_000_000_000;
const clock = { now: () => NOW };
const [me, honest, spammer] = await Promise.all(
  ["me", "honest", "spammer"].map((name) => NodeConfig.create({ name })),
);

describe("the event store's admission", () => {
  it("takes an event dated exactly the skew ahead of its clock, and refuses one a millisecond more", async () => {
    const store = new EventStore(CATEGORY_RULES, STORE_LIMITS, clock);
    const edge = await createEvent(spammer, "chat", "edge", NOW + MAX_EVENT_SKEW_MS);
    const beyond = await createEvent(spammer, "chat", "beyond", NOW + MAX_EVENT_SKEW_MS + 1);
    assert.equal(store.add(edge), true);
    assert.equal(store.add(beyond), false);
    assert.equal(
      store.refusal(beyond),
      "it is dated 600 s ahead of this node's clock (at most 600 s are taken)",
    );
    const century = await createEvent(spammer, "rooms", "[]", NOW + 100 * 365 * 86_400_000);
    assert.match(store.refusal(century)!, /^it is dated 3153600000 s ahead/);
    // the clock moves on: what was too far ahead is taken once it is not
    let now = NOW;
    const moving = new EventStore(CATEGORY_RULES, STORE_LIMITS, { now: () => now });
    assert.equal(moving.add(beyond), false);
    now += 1;
    assert.equal(moving.add(beyond), true);
    // a stored form is read by the same rule
    const text = store.encode();
    const early = EventStore.decode(text, CATEGORY_RULES, STORE_LIMITS, { now: () => NOW - 1 });
    assert.deepEqual(early.events(), [], "read by a clock 1 ms behind, it is 1 ms too far ahead");
    assert.equal(EventStore.decode(text, CATEGORY_RULES, STORE_LIMITS, clock).size, 1);
  });

  it("makes an author who floods a category displace its own events, not others'", async () => {
    const store = new EventStore({ chat: { unique: false, max: 10 } }, STORE_LIMITS, clock);
    const kept = [];
    for (let t = 1; t <= 3; t++) {
      kept.push(await createEvent(honest, "chat", `h${t}`, NOW - 100 + t));
    }
    for (let t = 1; t <= 3; t++) kept.push(await createEvent(me, "chat", `m${t}`, NOW - 90 + t));
    for (const event of kept) assert.equal(store.add(event), true);
    // exactly at max: the spammer's first four fit beside the six
    for (let t = 1; t <= 4; t++) {
      assert.equal(store.add(await createEvent(spammer, "chat", `s${t}`, NOW + t)), true);
    }
    assert.equal(store.size, 10);
    // one beyond: the author holding the most (the spammer) loses its oldest
    store.add(await createEvent(spammer, "chat", "s5", NOW + 5));
    assert.deepEqual(
      store.events("chat").map((e) => e.payload),
      ["h1", "h2", "h3", "m1", "m2", "m3", "s2", "s3", "s4", "s5"],
    );
    // a flood of a hundred more, newer than all: the honest history stays
    for (let t = 6; t <= 105; t++) store.add(await createEvent(spammer, "chat", `s${t}`, NOW + t));
    const left = store.events("chat").map((e) => e.payload);
    assert.deepEqual(left.slice(0, 6), ["h1", "h2", "h3", "m1", "m2", "m3"]);
    assert.deepEqual(left.slice(6), ["s102", "s103", "s104", "s105"]);
  });

  it("makes many identities behind one neighbour displace their own events, not others'", async () => {
    const store = new EventStore({ chat: { unique: false, max: 10 } }, STORE_LIMITS, clock);
    const [near, far, attacker] = Array.from({ length: 3 }, () => U256.random());
    const honestOnes = [];
    for (let t = 1; t <= 3; t++) {
      const event = await createEvent(honest, "chat", `h${t}`, NOW - 100 + t);
      honestOnes.push(event);
      assert.equal(store.add(event, t % 2 ? near : far), true);
    }
    // 40 fresh identities, one event each, all delivered by one neighbour, all newer
    const sybils = await Promise.all(
      Array.from({ length: 40 }, () => NodeConfig.create({ name: "sybil" })),
    );
    for (const [i, sybil] of sybils.entries()) {
      store.add(await createEvent(sybil, "chat", `s${i}`, NOW + i), attacker);
    }
    const left = store.events("chat");
    assert.equal(left.length, 10);
    for (const event of honestOnes) assert.ok(store.has(event.id), `${event.payload} kept`);
    assert.deepEqual(
      left.slice(3).map((e) => e.payload),
      sybils.slice(-7).map((_, i) => `s${33 + i}`),
    );
    // without the source, each identity holds one: then the honest author (3) would go first
    const blind = new EventStore({ chat: { unique: false, max: 10 } }, STORE_LIMITS, clock);
    for (const event of honestOnes) blind.add(event);
    for (const [i, sybil] of sybils.slice(0, 8).entries()) {
      blind.add(await createEvent(sybil, "chat", `s${i}`, NOW + i));
    }
    assert.equal(blind.has(honestOnes[0].id), false, "a shared source is what tells them apart");
  });

  it("takes the node's own events last, when nobody else's are left", async () => {
    const rules = { chat: { unique: false, max: 4 } };
    const store = new EventStore(rules, STORE_LIMITS, { ...clock, self: me.id });
    for (let t = 1; t <= 3; t++) store.add(await createEvent(me, "chat", `m${t}`, NOW - 10 + t));
    // another author with one event, then a second: the one holding more is the other
    store.add(await createEvent(honest, "chat", "h1", NOW));
    store.add(await createEvent(honest, "chat", "h2", NOW + 1));
    assert.deepEqual(store.events("chat").map((e) => e.payload), ["m1", "m2", "m3", "h2"]);
    // only its own: the oldest of them goes
    const alone = new EventStore(rules, STORE_LIMITS, { ...clock, self: me.id });
    for (let t = 1; t <= 5; t++) alone.add(await createEvent(me, "chat", `m${t}`, NOW + t));
    assert.deepEqual(alone.events("chat").map((e) => e.payload), ["m2", "m3", "m4", "m5"]);
  });

  it("sheds bytes from the largest category's largest author", async () => {
    const store = new EventStore({}, { categories: 4, bytes: 4_000 }, clock);
    const small = await createEvent(honest, "big", "h".repeat(300), NOW - 1);
    store.add(small);
    for (let t = 1; t <= 10; t++) {
      store.add(await createEvent(spammer, "big", "s".repeat(300), NOW + t));
      assert.ok(store.bytes <= 4_000, `${store.bytes}`);
    }
    assert.ok(store.has(small.id), "the honest event in the flooded category stays");
  });

  it("keeps flnet's categories out of the applications' slots, exactly as many of those", async () => {
    const store = new EventStore(CATEGORY_RULES, STORE_LIMITS, clock);
    for (let i = 0; i < STORE_LIMITS.categories; i++) {
      assert.equal(store.add(await createEvent(spammer, `app-${i}`, "x", NOW)), true, `${i}`);
    }
    const next = await createEvent(spammer, "app-more", "x", NOW);
    assert.equal(store.refusal(next), "the store holds 32 categories of applications already");
    for (const category of Object.values(CATEGORIES)) {
      const payload = category === CATEGORIES.nodeInfo ? "{}" : "[]";
      const event = await createEvent(honest, category, payload, NOW);
      assert.equal(store.refusal(event), undefined, category);
    }
  });

  it("gives a category named like an object's own property the rule of any other", async () => {
    const store = new EventStore(CATEGORY_RULES, STORE_LIMITS, clock);
    for (let t = 1; t <= OTHER_CATEGORIES.max + 5; t++) {
      store.add(await createEvent(spammer, "constructor", `${t}`, NOW + t));
    }
    assert.equal(store.events("constructor").length, OTHER_CATEGORIES.max);
  });
});

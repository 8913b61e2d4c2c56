import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { captureLogs } from "../support/log_capture.ts";
import { NodeConfig } from "../../core/config.ts";
import { type NodeID, U256 } from "../../core/ids.ts";
import { MemoryStorage } from "../../core/storage.ts";
import {
  CATEGORIES,
  createEvent,
  eventId,
  parseEvent,
  verifyEvent,
} from "../../modules/gossip/event.ts";
import { SMALL_ORDER_POINTS } from "../../core/ed25519.ts";
import { GossipLogic, MAX_WANTED, MAX_WANTED_PER_PEER } from "../../modules/gossip/logic.ts";
import { GOSSIP_DEFAULTS, type GossipOut } from "../../modules/gossip/messages.ts";
import { CATEGORY_RULES, EventStore } from "../../modules/gossip/store.ts";

const author = await NodeConfig.create({ name: "author" });
const other = await NodeConfig.create({ name: "other" });

describe("gossip events", () => {
  it("verify only with the right content, id and signature", async () => {
    const event = await createEvent(author, "chat", "hi", 1000);
    assert.equal(await verifyEvent(event), true);
    assert.equal(await verifyEvent({ ...event, payload: "changed" }), false);
    assert.equal(await verifyEvent({ ...event, author: other.id }), false);
    const stranger = await createEvent(other, "chat", "hi", 1000);
    assert.equal(await verifyEvent({ ...event, signature: stranger.signature }), false);
    assert.throws(() => parseEvent({ ...event, created: "now" }), /created must be an integer/);
    assert.throws(() => parseEvent({ ...event, signature: "00" }), /128 hex characters/);
  });

  it("takes each event field at its limit and refuses it one step beyond, saying which", async () => {
    const event = await createEvent(author, "chat", "hi", 1000);
    assert.deepEqual(parseEvent({ ...event, extra: 1 }), event, "a clean copy, nothing more");
    const refused = (value: unknown, why: RegExp) =>
      assert.throws(() => parseEvent(value), (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, why);
        return true;
      });
    for (const value of [null, "event", 7]) refused(value, /^an event must be an object$/);
    refused({ ...event, id: "x" }, /^event id and author must be ids$/);
    refused({ ...event, author: "x" }, /^event id and author must be ids$/);
    assert.equal(parseEvent({ ...event, category: "c".repeat(32) }).category, "c".repeat(32));
    for (const category of ["", "c".repeat(33), 5, undefined]) {
      refused({ ...event, category }, /^event category must be 1 to 32 characters$/);
    }
    assert.equal(parseEvent({ ...event, payload: "" }).payload, "");
    assert.equal(parseEvent({ ...event, payload: "p".repeat(16_384) }).payload.length, 16_384);
    for (const payload of ["p".repeat(16_385), 5, null]) {
      refused({ ...event, payload }, /^event payload must be a string of at most 16384$/);
    }
    for (const signature of ["0".repeat(127), "0".repeat(129), "A".repeat(128), 5]) {
      refused({ ...event, signature }, /^event signature must be 128 hex characters$/);
    }
    refused({ ...event, signature: "x" + "0".repeat(128) }, /128 hex characters/);
    refused({ ...event, signature: "0".repeat(128) + "x" }, /128 hex characters/);
  });

  it("names an event by SHA-256 of its tagged JSON form, as docs/modules.md says", async () => {
    const content = { category: "chat", author: author.id, created: 1000, payload: "hi" };
    const json = JSON.stringify(["flnet-gossip-event", "chat", author.id, 1000, "hi"]);
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(json)),
    );
    assert.equal(
      await eventId(content),
      [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
    );
  });

  it("keeps each verdict apart: another author's event with this one's signature fails", async () => {
    const mine = await createEvent(author, "chat", "mine", 3000);
    const theirs = await createEvent(other, "chat", "theirs", 3000);
    assert.equal(await verifyEvent(mine), true);
    assert.equal(await verifyEvent(theirs), true);
    assert.equal(await verifyEvent({ ...theirs, signature: mine.signature }), false);
    assert.equal(await verifyEvent({ ...mine, signature: theirs.signature }), false);
  });

  it("says why an event of this node's own was not kept, instead of dropping it quietly", async () => {
    const node = new GossipLogic(author);
    const tooLong = "x".repeat(CATEGORY_RULES[CATEGORIES.nodeInfo].maxPayload! + 1);
    const outs = await node.handle({
      type: "add",
      category: CATEGORIES.nodeInfo,
      payload: tooLong,
    });
    const errors = outs.filter((o) => o.type === "error");
    assert.deepEqual(errors, [{
      type: "error",
      message: `the event was not kept: its payload has ${tooLong.length} characters, over the ` +
        `2048 of category "${CATEGORIES.nodeInfo}"`,
    }]);
    // what every other node would refuse is refused here, with the limits
    const big = await node.handle({ type: "add", category: "chat", payload: "x".repeat(16_385) });
    const [bigError] = big.flatMap((o) => o.type === "error" ? [o.message] : []);
    assert.match(
      bigError ?? "",
      /^the event was not made: event payload must be a string of at most 16384$/,
    );
    const fine = await node.handle({ type: "add", category: "chat", payload: "x".repeat(16_384) });
    assert.deepEqual(fine.filter((o) => o.type === "error"), []);
  });

  it("is not poisoned by a tampered copy with the real id and signature seen first", async () => {
    const genuine = await createEvent(author, "chat", "the real text", 2000);
    const tampered = { ...genuine, payload: "a forgery" };
    assert.equal(await verifyEvent(tampered), false);
    assert.equal(await verifyEvent(genuine), true, "the genuine event still verifies");
    const node = new GossipLogic(undefined);
    const from = U256.random();
    await node.handle({
      type: "message",
      from,
      data: JSON.stringify({ t: "events", events: [tampered] }),
    });
    const out = await node.handle({
      type: "message",
      from,
      data: JSON.stringify({ t: "events", events: [genuine] }),
    });
    assert.ok(out.some((o) => o.type === "new-event" && o.event.payload === "the real text"));
    assert.equal(node.state.forged, 1);
  });

  it("refuses events 'signed' under a small-order key", async () => {
    const content = {
      category: "chat",
      author: SMALL_ORDER_POINTS[0] as U256,
      created: 3000,
      payload: "hi",
    };
    const forged = { ...content, id: await eventId(content), signature: "01" + "00".repeat(63) };
    assert.equal(await verifyEvent(forged), false);
  });
});

describe("event store", () => {
  it("keeps only each author's newest event in a unique category", async () => {
    const store = new EventStore({ info: { unique: true, max: 10 } });
    const old = await createEvent(author, "info", "v1", 1);
    const newer = await createEvent(author, "info", "v2", 2);
    assert.equal(store.add(newer), true);
    assert.equal(store.add(old), false, "an older one does not replace the newer");
    const newest = await createEvent(author, "info", "v3", 3);
    assert.equal(store.add(newest), true);
    assert.deepEqual(store.events("info").map((e) => e.payload), ["v3"]);
    assert.equal(store.add(await createEvent(other, "info", "x", 1)), true);
    assert.equal(store.size, 2);
  });

  it("keeps at most max events per category, dropping the oldest", async () => {
    const store = new EventStore({ chat: { unique: false, max: 3 } });
    for (let t = 1; t <= 5; t++) store.add(await createEvent(author, "chat", `m${t}`, t));
    assert.deepEqual(store.events("chat").map((e) => e.payload), ["m3", "m4", "m5"]);
    assert.equal(store.add(await createEvent(author, "chat", "ancient", 0)), false);
    assert.equal(store.events("other").length, 0);
  });

  it("refuses categories beyond its limit, and node info over its payload size", async () => {
    const store = new EventStore(CATEGORY_RULES, { categories: 3, bytes: 1 << 20 });
    for (const category of ["a", "b", "c"]) {
      assert.equal(store.add(await createEvent(author, category, "x", 1)), true);
    }
    assert.equal(store.add(await createEvent(author, "d", "x", 1)), false, "a fourth category");
    assert.equal(store.add(await createEvent(author, "a", "y", 2)), true, "known ones still take");
    const info = new EventStore();
    const big = await createEvent(author, CATEGORIES.nodeInfo, "x".repeat(2049), 1);
    assert.equal(info.add(big), false);
    assert.equal(info.add(await createEvent(author, CATEGORIES.nodeInfo, "{}", 1)), true);
  });

  it("keeps its bytes bounded by shedding the largest category's oldest events", async () => {
    const store = new EventStore(CATEGORY_RULES, { categories: 32, bytes: 64 * 1024 });
    const infos = [];
    for (let i = 0; i < 10; i++) {
      const config = await NodeConfig.create();
      infos.push(await createEvent(config, CATEGORIES.nodeInfo, `{"n":${i}}`, 1));
    }
    for (const event of infos) store.add(event);
    const before = store.bytes;
    // a flood of 8 KiB events in one category, far over the 64 KiB
    for (let t = 1; t <= 40; t++) {
      store.add(await createEvent(author, "flood", "f".repeat(8 * 1024), t));
      assert.ok(store.bytes <= 64 * 1024, `${store.bytes} bytes after ${t} events`);
    }
    assert.deepEqual(
      store.events(CATEGORIES.nodeInfo),
      infos.toSorted((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1)),
      "the node directory was not pushed out",
    );
    const flood = store.events("flood");
    assert.ok(flood.length >= 5 && flood.at(-1)!.created === 40, "the newest of the flood kept");
    assert.ok(store.bytes > before);
  });

  it("round-trips through its versioned format and refuses damaged data", async () => {
    const store = new EventStore();
    store.add(await createEvent(author, "chat", "keep me", 5));
    const again = EventStore.decode(store.encode());
    assert.deepEqual(again.events(), store.events());
    assert.throws(() => EventStore.decode("{"), /not valid JSON/);
    assert.throws(
      () => EventStore.decode('{"format":"flnet/gossip-events","version":9}'),
      /version 1/,
    );
  });
});

describe("event store, at its edges", () => {
  it("answers what it holds: size, categories, bytes, ids, has, get, events by age", async () => {
    const store = new EventStore();
    assert.deepEqual([store.size, store.categories, store.bytes, store.ids()], [0, 0, 0, []]);
    const [a, b, c] = [
      await createEvent(author, "chat", "b", 2),
      await createEvent(author, "chat", "a", 1),
      await createEvent(other, "room", "c", 1),
    ];
    for (const event of [a, b, c]) assert.equal(store.add(event), true);
    assert.equal(store.add(a), false, "a second time");
    assert.equal(store.refusal(a), "it is kept already");
    assert.deepEqual([store.size, store.categories], [3, 2]);
    assert.deepEqual(store.ids().toSorted(), [a.id, b.id, c.id].toSorted());
    assert.ok(store.has(a.id) && !store.has(U256.random()));
    assert.equal(store.get(c.id), c);
    assert.deepEqual(store.events("chat"), [b, a], "oldest first");
    // same time: by id
    const [x, y] = [await createEvent(author, "t", "x", 7), await createEvent(other, "t", "y", 7)];
    store.add(y);
    store.add(x);
    assert.deepEqual(store.events("t").map((e) => e.id), [x.id, y.id].toSorted());
    assert.equal(store.events().length, 5);
    // each event counts its payload, its category and a fixed overhead
    const one = new EventStore();
    one.add(await createEvent(author, "chat", "12345", 1));
    const two = new EventStore();
    two.add(await createEvent(author, "chat", "1234567890", 1));
    assert.equal(two.bytes - one.bytes, 5);
  });

  it("says why it refuses, for each rule, and gives a category back once its last event goes", async () => {
    const store = new EventStore({
      u: { unique: true, max: 10, maxPayload: 4 },
      c: { unique: false, max: 1 },
    }, { categories: 1, bytes: 1 << 20 });
    const long = await createEvent(author, "u", "12345", 1);
    assert.equal(store.refusal(long), 'its payload has 5 characters, over the 4 of category "u"');
    assert.equal(
      store.refusal(await createEvent(author, "u", "1234", 1)),
      undefined,
      "at the limit",
    );
    store.add(await createEvent(author, "u", "new", 5));
    assert.equal(
      store.refusal(await createEvent(author, "u", "old", 4)),
      'a newer "u" event of its author is kept',
    );
    assert.equal(store.refusal(await createEvent(other, "u", "old", 4)), undefined, "other author");
    const first = await createEvent(author, "c", "1", 1);
    store.add(first);
    // categories with a rule (flnet's) take no slot of the applications': exactly one is left
    assert.equal(store.add(await createEvent(author, "app", "x", 1)), true, "at the limit");
    assert.equal(
      store.refusal(await createEvent(author, "z", "x", 1)),
      "the store holds 1 categories of applications already",
    );
    assert.equal(store.refusal(await createEvent(author, "app", "y", 2)), undefined, "a known one");
    // c keeps at most one event: the newer pushes the first out, and the category stays
    store.add(await createEvent(author, "c", "2", 2));
    assert.equal(store.has(first.id), false);
    assert.equal(store.categories, 3);
    // a unique category's event replaced by its author's newer one leaves no trace of the old
    const u1 = await createEvent(other, "u", "one", 10);
    const u2 = await createEvent(other, "u", "two", 11);
    store.add(u1);
    const bytes = store.bytes;
    store.add(u2);
    assert.equal(store.has(u1.id), false);
    assert.equal(store.bytes, bytes, "same size, the old one's bytes are gone");
  });

  it("sheds the largest category first, and a category emptied by it is free again", async () => {
    const store = new EventStore({}, { categories: 2, bytes: 3_000 });
    const small = await createEvent(author, "small", "s".repeat(100), 1);
    store.add(small);
    for (let t = 1; t <= 5; t++) store.add(await createEvent(author, "big", "b".repeat(800), t));
    assert.ok(store.bytes <= 3_000, `${store.bytes}`);
    assert.ok(store.has(small.id), "the small category was not touched");
    assert.equal(store.events("big").at(-1)?.created, 5, "the newest of the big kept");
    // one event alone over the limit: dropped at once, and its category does not linger
    const alone = new EventStore({}, { categories: 1, bytes: 500 });
    assert.equal(alone.add(await createEvent(author, "huge", "h".repeat(600), 1)), false);
    assert.deepEqual([alone.size, alone.categories, alone.bytes], [0, 0, 0]);
    assert.equal(alone.add(await createEvent(author, "next", "n", 1)), true, "room again");
  });

  it("refuses a stored form of another format, version or shape", () => {
    for (
      const text of [
        '{"format":"other","version":1,"events":[]}',
        '{"format":"flnet/gossip-events","version":2,"events":[]}',
        '{"format":"flnet/gossip-events","version":1,"events":{}}',
        '{"format":"flnet/gossip-events","version":1}',
        "null",
      ]
    ) {
      assert.throws(
        () => EventStore.decode(text),
        /^Error: stored gossip events must be "flnet\/gossip-events" version 1$/,
        text,
      );
    }
    assert.equal(
      EventStore.decode('{"format":"flnet/gossip-events","version":1,"events":[]}').size,
      0,
    );
  });
});

describe("gossip logic", () => {
  it("persists its events on the next tick and loads them back", async () => {
    const storage = new MemoryStorage();
    const first = new GossipLogic(author, {}, storage);
    await first.handle({ type: "add", category: "chat", payload: "remember" });
    assert.equal(await storage.get("gossip"), undefined, "written on the tick, not per event");
    await first.handle({ type: "tick", tick: 1 });
    const second = new GossipLogic(author, {}, storage);
    await second.load();
    assert.deepEqual(second.events("chat").map((e) => e.payload), ["remember"]);
  });

  it("sets damaged stored events aside with a warning and starts without them", async () => {
    const storage = new MemoryStorage();
    await storage.set("gossip", "garbage");
    const fresh = new GossipLogic(author, {}, storage);
    const lines = await captureLogs(() => fresh.load(), "warn");
    assert.deepEqual(fresh.events(), []);
    assert.equal(await storage.get("gossip"), undefined);
    assert.equal(await storage.get("gossip.damaged"), "garbage", "kept for a person to look at");
    assert.equal(lines.length, 1);
    assert.match(
      String(lines[0].args[0]),
      /stored gossip events could not be read \(stored gossip events are not valid JSON\); set aside as key "gossip.damaged"; starting without them/,
    );
  });

  it("pushes its own event whole, relays others' by id, answers want with events", async () => {
    const a = new GossipLogic(author);
    const b = new GossipLogic(undefined);
    const c = new GossipLogic(undefined);
    const peer = U256.random();
    const [bId, cId] = [U256.random(), U256.random()];
    await a.handle({ type: "neighbours", ids: [bId] });
    await b.handle({ type: "neighbours", ids: [author.id, cId] });
    const added = await a.handle({ type: "add", category: "chat", payload: "x" });
    const push = added.find((o) => o.type === "send")!;
    assert.equal(push.type === "send" && JSON.parse(push.data).t, "events", "its own: whole");
    const atB = await b.handle({
      type: "message",
      from: author.id,
      data: push.type === "send" ? push.data : "",
    });
    assert.ok(atB.some((o) => o.type === "new-event" && o.event.payload === "x"));
    const relayed = atB.find((o) => o.type === "send" && o.to === cId)!;
    assert.equal(relayed.type === "send" && JSON.parse(relayed.data).t, "ids", "others': by id");
    const want = (await c.handle({
      type: "message",
      from: bId,
      data: relayed.type === "send" ? relayed.data : "",
    })).find((o) => o.type === "send")!;
    const events = (await b.handle({
      type: "message",
      from: cId,
      data: want.type === "send" ? want.data : "",
    })).find((o) => o.type === "send")!;
    const received = await c.handle({
      type: "message",
      from: bId,
      data: events.type === "send" ? events.data : "",
    });
    assert.ok(received.some((o) => o.type === "new-event" && o.event.payload === "x"));
    await b.handle({ type: "message", from: peer, data: "not json" });
    await b.handle({ type: "message", from: peer, data: new Uint8Array([1]) });
    assert.equal(b.state.malformed, 2);
    assert.deepEqual(await b.handle({ type: "add", category: "chat", payload: "y" }), [{
      type: "error",
      message: "this node has no key to sign events with",
    }]);
  });

  it("does not ask again for a genuine event its store declined", async () => {
    const logic = new GossipLogic(undefined);
    const from = U256.random();
    const big = await createEvent(author, CATEGORIES.nodeInfo, "x".repeat(4096), 1);
    const idsOf = async (wire: object) =>
      (await logic.handle({ type: "message", from, data: JSON.stringify(wire) }))
        .flatMap((o) => o.type === "send" ? [JSON.parse(o.data)] : []);
    assert.deepEqual(await idsOf({ t: "ids", ids: [big.id] }), [{ t: "want", ids: [big.id] }]);
    await idsOf({ t: "events", events: [big] });
    assert.equal(logic.state.declined, 1, "over the node-info payload size: not kept");
    assert.deepEqual(await idsOf({ t: "ids", ids: [big.id] }), [], "not asked for again");
  });

  it("bounds the ids it waits for, per neighbour and in all", async () => {
    const logic = new GossipLogic(undefined);
    const asked = new Map<string, number>();
    for (let p = 0; p < 20; p++) {
      const from = U256.random();
      const ids = Array.from({ length: 5_000 }, () => U256.random());
      const out = await logic.handle({
        type: "message",
        from,
        data: JSON.stringify({ t: "ids", ids }),
      });
      const want = out.find((o) => o.type === "send" && JSON.parse(o.data).t === "want");
      asked.set(from, want?.type === "send" ? JSON.parse(want.data).ids.length : 0);
    }
    const counts = [...asked.values()];
    assert.ok(counts.every((n) => n <= MAX_WANTED_PER_PEER), `per neighbour: ${counts}`);
    assert.equal(counts.reduce((a, b) => a + b), MAX_WANTED, "in all");
    assert.deepEqual([MAX_WANTED, MAX_WANTED_PER_PEER], [20_000, 2_000], "as docs/modules.md says");
    for (let tick = 1; tick <= GOSSIP_DEFAULTS.wantTimeoutTicks; tick++) {
      await logic.handle({ type: "tick", tick });
    }
    const again = await logic.handle({
      type: "message",
      from: U256.random(),
      data: JSON.stringify({ t: "ids", ids: [U256.random()] }),
    });
    assert.ok(
      again.some((o) => o.type === "send" && JSON.parse(o.data).t === "want"),
      "room again once the old wants timed out",
    );
  });

  it("asks another neighbour at once for what one that failed or left was asked for", async () => {
    const logic = new GossipLogic(undefined);
    const [first, second, third] = [U256.random(), U256.random(), U256.random()];
    await logic.handle({ type: "neighbours", ids: [first, second, third] });
    const id = U256.random();
    const wants = async (from: NodeID) =>
      (await logic.handle({ type: "message", from, data: JSON.stringify({ t: "ids", ids: [id] }) }))
        .filter((o) => o.type === "send" && JSON.parse(o.data).t === "want").length;
    assert.equal(await wants(first), 1, "asked of the first");
    assert.equal(await wants(second), 0, "asked already: not again");
    // the want to the first was not delivered: the second's next word gets the ask
    await logic.handle({ type: "send-failed", to: first, code: "not-connected", message: "gone" });
    assert.equal(await wants(second), 1);
    // the second leaves the neighbours: the third is asked, with no timeout waited
    await logic.handle({ type: "neighbours", ids: [third] });
    assert.equal(await wants(third), 1);
  });

  it("runs anti-entropy with one neighbour every syncTicks, not on every tick", async () => {
    const logic = new GossipLogic(undefined, { syncTicks: 3 });
    await logic.handle({ type: "neighbours", ids: [U256.random(), U256.random()] });
    const syncs: number[] = [];
    for (let tick = 1; tick <= 9; tick++) {
      const out = await logic.handle({ type: "tick", tick });
      const count = out.filter((o) => o.type === "send" && JSON.parse(o.data).t === "sync").length;
      if (count > 0) syncs.push(tick * 10 + count);
    }
    assert.deepEqual(syncs, [31, 61, 91], "one sync at ticks 3, 6 and 9");
  });

  describe("its wire exchanges, one message at a time", () => {
    const sends = (outs: GossipOut[]) =>
      outs.flatMap((o) => o.type === "send" ? [{ to: o.to, wire: JSON.parse(o.data) }] : []);
    const stateOf = (outs: GossipOut[]) =>
      outs.flatMap((o) => o.type === "state" ? [o.state] : []).at(-1);

    it("syncs with a new neighbour once, answers a sync with what each side lacks", async () => {
      const node = new GossipLogic(author, { syncTicks: 1_000 });
      await node.handle({ type: "add", category: "chat", payload: "mine" });
      const peer = U256.random();
      const first = sends(await node.handle({ type: "neighbours", ids: [peer] }));
      assert.equal(first.length, 1);
      assert.equal(first[0].to, peer);
      assert.equal(first[0].wire.t, "sync");
      assert.equal(first[0].wire.ids.length, 1);
      assert.deepEqual(sends(await node.handle({ type: "neighbours", ids: [peer] })), [], "once");
      // the peer's sync: it has one id this node lacks, and lacks this node's one
      const theirs = U256.random();
      const answer = sends(
        await node.handle({
          type: "message",
          from: peer,
          data: JSON.stringify({ t: "sync", ids: [theirs] }),
        }),
      );
      assert.deepEqual(answer.map((s) => [s.wire.t, s.wire.ids]), [
        ["want", [theirs]],
        ["ids", first[0].wire.ids],
      ]);
      // an ids message is not answered with this node's own ids
      const ids = sends(
        await node.handle({
          type: "message",
          from: peer,
          data: JSON.stringify({ t: "ids", ids: [...first[0].wire.ids] }),
        }),
      );
      assert.deepEqual(ids, [], "it has them all, and ids asks nothing back");
      // a want is answered with the events this node has, none it lacks
      const events = sends(
        await node.handle({
          type: "message",
          from: peer,
          data: JSON.stringify({ t: "want", ids: [...first[0].wire.ids, U256.random()] }),
        }),
      );
      assert.equal(events.length, 1);
      assert.equal(events[0].wire.t, "events");
      assert.deepEqual(events[0].wire.events.map((e: { payload: string }) => e.payload), ["mine"]);
    });

    it("counts unreadable messages, and takes none of their ids", async () => {
      const node = new GossipLogic(author);
      const peer = U256.random();
      await node.handle({ type: "neighbours", ids: [peer] });
      const bad = [
        "not json",
        '{"t":"nope","ids":[]}',
        '{"t":"ids","ids":"x"}',
        '{"t":"ids","ids":["x"]}',
        `{"t":"want","ids":${JSON.stringify(Array(20_001).fill(U256.random()))}}`,
        '{"t":"events","events":{}}',
        `{"t":"events","events":${JSON.stringify(Array(1_001).fill({}))}}`,
        "null",
      ];
      for (const data of bad) {
        const outs = await node.handle({ type: "message", from: peer, data });
        assert.deepEqual(sends(outs), [], data.slice(0, 40));
      }
      await node.handle({ type: "message", from: peer, data: new Uint8Array([123, 125]) });
      assert.equal(node.state.malformed, bad.length + 1);
      // an events message with one bad event among good ones: the bad one counted, the rest kept
      const good = await createEvent(other, "chat", "good", 1);
      const outs = await node.handle({
        type: "message",
        from: peer,
        data: JSON.stringify({ t: "events", events: [{ id: "x" }, good] }),
      });
      assert.deepEqual(outs.filter((o) => o.type === "new-event").length, 1);
      assert.equal(stateOf(outs)?.malformed, bad.length + 2);
    });

    it("spreads a new event to every neighbour but the one it came from", async () => {
      const node = new GossipLogic(author);
      const [from, other1, other2] = [U256.random(), U256.random(), U256.random()];
      await node.handle({ type: "neighbours", ids: [from, other1, other2] });
      const event = await createEvent(other, "chat", "news", 1);
      await node.handle({
        type: "message",
        from,
        data: JSON.stringify({ t: "ids", ids: [event.id] }),
      });
      const outs = await node.handle({
        type: "message",
        from,
        data: JSON.stringify({ t: "events", events: [event] }),
      });
      const told = sends(outs);
      assert.deepEqual(told.map((s) => s.to).toSorted(), [other1, other2].toSorted());
      assert.ok(told.every((s) => s.wire.t === "ids" && s.wire.ids[0] === event.id));
      // the same events again: nothing new, nothing said
      const again = await node.handle({
        type: "message",
        from,
        data: JSON.stringify({ t: "events", events: [event] }),
      });
      assert.deepEqual(sends(again), []);
      assert.deepEqual(again.filter((o) => o.type === "new-event"), []);
    });

    it("counts what was not delivered and syncs that neighbour again when it is one again", async () => {
      const node = new GossipLogic(author);
      const peer = U256.random();
      await node.handle({ type: "neighbours", ids: [peer] });
      await node.handle({ type: "send-failed", to: peer, code: "peer-gone", message: "gone" });
      assert.equal(node.state.undelivered, 1);
      const again = sends(await node.handle({ type: "neighbours", ids: [peer] }));
      assert.deepEqual(again.map((s) => s.wire.t), ["sync"]);
    });

    it("answers list with the events of a category, oldest first", async () => {
      const node = new GossipLogic(author);
      await node.handle({ type: "add", category: "chat", payload: "one" });
      await node.handle({ type: "add", category: "other", payload: "two" });
      const outs = await node.handle({ type: "list", category: "chat" });
      const listed = outs.find((o) => o.type === "events");
      assert.ok(listed?.type === "events");
      assert.equal(listed.category, "chat");
      assert.deepEqual(listed.events.map((e) => e.payload), ["one"]);
      const all = (await node.handle({ type: "list" })).find((o) => o.type === "events");
      assert.equal(all?.type === "events" && all.events.length, 2);
    });
  });
});

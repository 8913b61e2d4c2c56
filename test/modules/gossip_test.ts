import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { captureLogs } from "../support/log_capture.ts";
import { NodeConfig } from "../../core/config.ts";
import { U256 } from "../../core/ids.ts";
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
import { GOSSIP_DEFAULTS } from "../../modules/gossip/messages.ts";
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
      /^the event was not made: an event carries at most 16384 characters in a category of 1 to 32 \(this one: 16385 in "chat"\)$/,
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

  it("answers ids with want, want with events, and counts what it cannot read", async () => {
    const a = new GossipLogic(author);
    const b = new GossipLogic(undefined);
    const peer = U256.random();
    await a.handle({ type: "neighbours", ids: [peer] });
    const added = await a.handle({ type: "add", category: "chat", payload: "x" });
    const push = added.find((o) => o.type === "send")!;
    assert.equal(push.type === "send" && JSON.parse(push.data).t, "ids");
    const want = (await b.handle({
      type: "message",
      from: author.id,
      data: push.type === "send" ? push.data : "",
    }))
      .find((o) => o.type === "send")!;
    const events =
      (await a.handle({ type: "message", from: peer, data: want.type === "send" ? want.data : "" }))
        .find((o) => o.type === "send")!;
    const received = await b.handle({
      type: "message",
      from: author.id,
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
});

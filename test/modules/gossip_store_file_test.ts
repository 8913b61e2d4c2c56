import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFile } from "node:fs/promises";
import { NodeConfig } from "../../core/config.ts";
import { type DataStorage, MemoryStorage, StorageError } from "../../core/storage.ts";
import { FileStorage } from "../../adapters/node/file_storage.ts";
import { createEvent, type GossipEvent } from "../../modules/gossip/event.ts";
import { CATEGORY_RULES, EventStore } from "../../modules/gossip/store.ts";
import { COMPACT_BYTES, StoreFile } from "../../modules/gossip/store_file.ts";
import { GossipLogic } from "../../modules/gossip/logic.ts";
import { captureLogs } from "../support/log_capture.ts";

const author = await NodeConfig.create({ name: "author" });
const open = (text?: string) => text === undefined ? new EventStore() : EventStore.decode(text);

/** A storage that counts the characters written to it, values and journal lines. */
function counting<S extends DataStorage>(storage: S): S & { written: number; snapshots: number } {
  const counted = storage as S & { written: number; snapshots: number };
  counted.written = 0;
  counted.snapshots = 0;
  const set = storage.set.bind(storage);
  counted.set = (
    key,
    value,
  ) => (counted.written += value.length, counted.snapshots++, set(key, value));
  const append = (storage as unknown as MemoryStorage).appendLine?.bind(storage);
  if (append) {
    (counted as unknown as MemoryStorage).appendLine = (key, line) => (
      counted.written += line.length, append(key, line)
    );
  }
  return counted;
}

/** `count` chat events of about `size` characters each, created at times from `from` on. */
function chats(count: number, size: number, from = 1): Promise<GossipEvent[]> {
  return Promise.all(
    Array.from(
      { length: count },
      (_, i) => createEvent(author, "chat", `${i}:`.padEnd(size, "x"), from + i),
    ),
  );
}

describe("the gossip store's file", () => {
  it("writes about an event's size for each new event into a full store", async () => {
    const rules = { ...CATEGORY_RULES, chat: { unique: false, max: 2_000 } };
    const store = new EventStore(rules, { categories: 32, bytes: 1024 * 1024 });
    for (const event of await chats(2_000, 100)) store.add(event); // full: 2,000 of 2,000
    const journalled = counting(new MemoryStorage());
    const whole = counting(bare(new MemoryStorage()));
    const withJournal = new StoreFile(journalled, "gossip");
    const without = new StoreFile(whole, "gossip");
    await withJournal.save(store);
    await without.save(store);
    const [j0, w0] = [journalled.written, whole.written];
    const fresh = await chats(1_000, 100, 10_000);
    const eventChars = JSON.stringify(fresh[0]).length;
    for (const event of fresh) {
      assert.ok(store.add(event));
      await withJournal.save(store);
      await without.save(store);
    }
    const perEvent = (journalled.written - j0) / fresh.length;
    const perEventWhole = (whole.written - w0) / fresh.length;
    assert.ok(perEvent <= 3 * eventChars, `${perEvent} per event of ${eventChars}`);
    assert.ok(perEventWhole >= 1_000 * eventChars, "without a journal: the whole store each time");
    const back = await new StoreFile(journalled, "gossip").load((text) =>
      text === undefined ? new EventStore(rules) : EventStore.decode(text, rules)
    );
    assert.deepEqual(back!.ids().toSorted(), store.ids().toSorted());
  });

  it("folds the journal into a snapshot at exactly its bound, not one character before", async () => {
    for (const [extra, folds] of [[0, true], [1, false]] as const) {
      const storage = counting(new MemoryStorage());
      const [a, b] = await chats(2, 300);
      const store = new EventStore();
      const first = JSON.stringify({ added: [a], removed: [] }).length;
      const file = new StoreFile(storage, "gossip", first + extra);
      await file.save(store); // the snapshot of an empty store, shorter than a line
      store.add(a);
      await file.save(store); // a journal line of `first` characters
      assert.equal(storage.snapshots, 1);
      store.add(b);
      await file.save(store);
      assert.equal(storage.snapshots, folds ? 2 : 1, `bound ${first + extra}`);
      assert.deepEqual(
        await storage.readLines("gossip.journal"),
        folds ? [] : [
          JSON.stringify({ added: [a], removed: [] }),
          JSON.stringify({ added: [b], removed: [] }),
        ],
      );
      const back = await new StoreFile(storage, "gossip").load(open);
      assert.deepEqual(back!.ids().toSorted(), [a.id, b.id].toSorted());
    }
    assert.equal(COMPACT_BYTES, 256 * 1024);
  });

  it("loads what was added and removed in order, in files, and survives a torn last line", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const storage = new FileStorage(dir);
      const rules = { ...CATEGORY_RULES, chat: { unique: false, max: 3 } };
      const make = (text?: string) =>
        text === undefined ? new EventStore(rules) : EventStore.decode(text, rules);
      const store = make();
      const file = new StoreFile(storage, "gossip");
      const events = await chats(6, 50);
      await file.save(store);
      for (const event of events) {
        store.add(event); // from the fourth on, the oldest goes
        await file.save(store);
      }
      const kept = events.slice(3).map((e) => e.id).toSorted();
      assert.deepEqual(store.ids().toSorted(), kept);
      assert.equal((await storage.readLines("gossip.journal")).length, 6);
      assert.deepEqual((await new StoreFile(storage, "gossip").load(make))!.ids().toSorted(), kept);
      // a crash tore the last line: it is left out, the rest holds
      await appendFile(storage.journalPathOf("gossip.journal"), '0123456789abcdef {"added":[');
      assert.equal((await storage.readLines("gossip.journal")).length, 6);
      assert.deepEqual((await new StoreFile(storage, "gossip").load(make))!.ids().toSorted(), kept);
      await assert.rejects(storage.appendLine("gossip.journal", "a\nb"), /not hold a line break/);
      // a damaged line with whole ones after it is damage, not a tear
      await appendFile(storage.journalPathOf("gossip.journal"), "\n");
      await storage.appendLine("gossip.journal", '{"added":[],"removed":[]}');
      await assert.rejects(
        storage.readLines("gossip.journal"),
        (e: Error) => e instanceof StorageError && /damaged at line 7/.test(e.message),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  it("writes the whole store after a save that failed (its changes are in no journal)", async () => {
    const storage = counting(new MemoryStorage());
    const store = new EventStore();
    const file = new StoreFile(storage, "gossip");
    await file.save(store);
    const append = storage.appendLine.bind(storage);
    storage.appendLine = () => Promise.reject(new Error("disk full"));
    const [a, b] = await chats(2, 40);
    store.add(a);
    await assert.rejects(file.save(store), /disk full/);
    storage.appendLine = append;
    store.add(b);
    await file.save(store);
    assert.equal(storage.snapshots, 2, "a snapshot, with a and b");
    const back = await new StoreFile(storage, "gossip").load(open);
    assert.deepEqual(back!.ids().toSorted(), [a.id, b.id].toSorted());
  });

  it("sets a damaged journal aside with its snapshot, and the node starts without them", async () => {
    const storage = new MemoryStorage();
    const first = new GossipLogic(author, {}, storage);
    await first.handle({ type: "add", category: "chat", payload: "one" });
    await first.handle({ type: "tick", tick: 1 });
    await first.handle({ type: "add", category: "chat", payload: "two" });
    await first.handle({ type: "tick", tick: 2 });
    assert.equal((await storage.readLines("gossip.journal")).length, 1, "the second as a line");
    const again = new GossipLogic(author, {}, storage);
    await again.load();
    assert.deepEqual(again.events("chat").map((e) => e.payload), ["one", "two"]);
    await storage.appendLine("gossip.journal", "not json");
    const broken = new GossipLogic(author, {}, storage);
    const lines = await captureLogs(() => broken.load(), "warn");
    assert.deepEqual(broken.events(), []);
    assert.match(String(lines[0].args[0]), /line 2 of the gossip journal is not JSON/);
    assert.deepEqual(await storage.readLines("gossip.journal"), []);
    assert.ok(await storage.get("gossip.damaged"), "the snapshot kept for a person to look at");
  });

  it("loads nothing from an empty storage, and a journal without a snapshot", async () => {
    const storage = new MemoryStorage();
    assert.equal(await new StoreFile(storage, "gossip").load(open), undefined);
    const [a] = await chats(1, 30);
    await storage.appendLine("gossip.journal", JSON.stringify({ added: [a], removed: [] }));
    const back = await new StoreFile(storage, "gossip").load(open);
    assert.deepEqual(back!.ids(), [a.id], "a crash before the first snapshot loses nothing");
  });

  it("says which journal line lacks its lists", async () => {
    const storage = new MemoryStorage();
    await storage.set("gossip", new EventStore().encode());
    await storage.appendLine("gossip.journal", '{"added":[],"removed":[]}');
    await storage.appendLine("gossip.journal", '{"added":[]}');
    await assert.rejects(
      new StoreFile(storage, "gossip").load(open),
      /line 2 of the gossip journal has no "added" and "removed" lists/,
    );
    await storage.clearLines("gossip.journal");
    await storage.appendLine("gossip.journal", '{"removed":[]}');
    await assert.rejects(new StoreFile(storage, "gossip").load(open), /line 1 .* no "added"/);
  });

  it("writes nothing when nothing changed, and counts a loaded journal toward the fold", async () => {
    const storage = counting(new MemoryStorage());
    const store = new EventStore();
    const [a, b, c] = await chats(3, 300);
    const line = JSON.stringify({ added: [a], removed: [] }).length;
    const first = new StoreFile(storage, "gossip", line);
    await first.save(store); // the snapshot of an empty store
    const written = storage.written;
    await first.save(store);
    assert.equal(storage.written, written, "no change, nothing written");
    store.add(a);
    await first.save(store); // one line of exactly the fold's size
    // a new run loads that line: its size counts, so its next save folds
    const again = new StoreFile(storage, "gossip", line);
    const loaded = (await again.load(open))!;
    loaded.add(b);
    await again.save(loaded);
    assert.equal(storage.snapshots, 2, "folded: the loaded journal was as large as the bound");
    assert.deepEqual(await storage.readLines("gossip.journal"), []);
    loaded.add(c);
    await again.save(loaded);
    assert.equal(storage.snapshots, 2, "a fresh journal goes on by lines");
  });

  it("folds when the journal is exactly as large as the snapshot, not one character less", async () => {
    for (const [less, folds] of [[0, true], [1, false]] as const) {
      const storage = counting(new MemoryStorage());
      const store = new EventStore();
      const [a] = await chats(1, 400);
      store.add(a);
      const file = new StoreFile(storage, "gossip", 1);
      await file.save(store); // the snapshot: a
      const snapshot = store.encode().length;
      // an event whose journal line is as long as the snapshot, or one character shorter
      const line = async (payload: string) => {
        const event = await createEvent(author, "chat", payload, 100);
        return { event, chars: JSON.stringify({ added: [event], removed: [] }).length };
      };
      const short = await line("p");
      const { event: b, chars } = await line("p".padEnd(1 + snapshot - short.chars - less, "x"));
      assert.equal(chars, snapshot - less);
      store.add(b);
      await file.save(store); // one line
      const [c] = await chats(1, 20, 200);
      store.add(c);
      await file.save(store);
      assert.equal(
        storage.snapshots,
        folds ? 2 : 1,
        less ? "one less: a line" : "as large: folded",
      );
    }
  });
});

/** `storage`'s key/value methods alone: a storage that keeps no journals. */
function bare(storage: MemoryStorage): DataStorage {
  return {
    get: (key) => storage.get(key),
    set: (key, value) => storage.set(key, value),
    remove: (key) => storage.remove(key),
    keys: () => storage.keys(),
    setAside: (key) => storage.setAside(key),
  };
}

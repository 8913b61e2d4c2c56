import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryStorage, StorageError } from "../../core/storage.ts";

describe("MemoryStorage", () => {
  it("gets, sets, replaces, lists and removes values", async () => {
    const storage = new MemoryStorage();
    assert.equal(await storage.get("a"), undefined);
    await storage.set("a", "1");
    await storage.set("b", "2");
    await storage.set("a", "3");
    assert.equal(await storage.get("a"), "3");
    assert.deepEqual(await storage.keys(), ["a", "b"]);
    await storage.remove("a");
    await storage.remove("missing");
    assert.deepEqual(await storage.keys(), ["b"]);
  });

  it("refuses empty and oversized keys", () => {
    const storage = new MemoryStorage();
    assert.throws(() => storage.get(""), StorageError);
    assert.throws(() => storage.set("k".repeat(201), "v"), /1 to 200 characters/);
  });
});

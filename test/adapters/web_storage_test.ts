import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WebStorage } from "../../adapters/browser/web_storage.ts";
import { StorageError } from "../../core/storage.ts";

const webStorage = (globalThis as { sessionStorage?: Storage }).sessionStorage;
const skip = webStorage ? false : "this runtime has no Web Storage (the browser tests cover it)";

describe("WebStorage", { skip }, () => {
  it("keeps keys inside its namespace", async () => {
    webStorage!.clear();
    webStorage!.setItem("page-own-key", "untouched");
    const a = new WebStorage(webStorage!, "app-a");
    const b = new WebStorage(webStorage!, "app-b");
    await a.set("nodeConfig", "A");
    await b.set("nodeConfig", "B");
    assert.equal(await a.get("nodeConfig"), "A");
    assert.equal(await b.get("nodeConfig"), "B");
    assert.deepEqual(await a.keys(), ["nodeConfig"]);
    await a.remove("nodeConfig");
    assert.equal(await a.get("nodeConfig"), undefined);
    assert.equal(await b.get("nodeConfig"), "B");
    assert.equal(webStorage!.getItem("page-own-key"), "untouched");
  });

  it("turns a full quota into a StorageError naming the key", async () => {
    const storage = new WebStorage(webStorage!, "quota");
    await assert.rejects(storage.set("big", "x".repeat(20 * 1024 * 1024)), (error: Error) => {
      assert.ok(error instanceof StorageError);
      assert.match(error.message, /cannot store "big"/);
      return true;
    });
    webStorage!.clear();
  });
});

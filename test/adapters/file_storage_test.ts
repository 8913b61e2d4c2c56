import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import process from "node:process";
import { join } from "node:path";
import { FileStorage } from "../../adapters/node/file_storage.ts";
import { DirectoryLockedError, lockDirectory } from "../../adapters/node/directory_lock.ts";
import { NodeConfig } from "../../core/config.ts";
import { StorageError } from "../../core/storage.ts";

const root = await mkdtemp(join(tmpdir(), "flnet-storage-"));
after(() => rm(root, { recursive: true, force: true }));
let dirs = 0;
const freshStorage = () => new FileStorage(join(root, `s${dirs++}`));

describe("FileStorage", () => {
  it("stores, replaces, lists and removes values under any key", async () => {
    const storage = freshStorage();
    const keys = ["nodeConfig", "a/b", "..", "ünïcode key", "x".repeat(200)];
    assert.equal(await storage.get("nodeConfig"), undefined);
    assert.deepEqual(await storage.keys(), []);
    for (const [i, key] of keys.entries()) await storage.set(key, `value ${i}`);
    await storage.set("nodeConfig", "replaced");
    assert.equal(await storage.get("nodeConfig"), "replaced");
    assert.equal(await storage.get("a/b"), "value 1");
    assert.deepEqual((await storage.keys()).sort(), [...keys].sort());
    assert.deepEqual((await readdir(storage.dir)).length, keys.length, "one file per key");
    await storage.remove("a/b");
    await storage.remove("never-stored");
    assert.equal(await storage.get("a/b"), undefined);
  });

  it("sets a file aside, and removes what interrupted writes left, nothing else", async () => {
    const storage = freshStorage();
    await storage.set("gossip", "events");
    await storage.set("nodeConfig", "me");
    await writeFile(join(storage.dir, "gossip.json.0123456789ab.tmp"), "half");
    await writeFile(join(storage.dir, "notes.tmp"), "a file of the user's");
    assert.equal(await storage.removeLeftovers(), 1);
    const aside = await storage.setAside("gossip");
    assert.match(aside, /gossip\.json\.damaged-\d{4}-\d\d-\d\dT[\d-]+Z$/);
    assert.equal(await readFile(aside, "utf8").then((t) => JSON.parse(t).value), "events");
    assert.equal(await storage.get("gossip"), undefined);
    assert.deepEqual((await storage.keys()).sort(), ["nodeConfig"]);
    assert.deepEqual((await readdir(storage.dir)).filter((n) => n.endsWith(".tmp")), ["notes.tmp"]);
    await assert.rejects(storage.setAside("never-stored"), /cannot set .* aside/);
  });

  it("leaves no temporary files, and the last of concurrent writes wins whole", async () => {
    const storage = freshStorage();
    const values = Array.from({ length: 20 }, (_, i) => `v${i}`.repeat(1000));
    await Promise.all(values.map((value) => storage.set("busy", value)));
    assert.ok(values.includes((await storage.get("busy"))!));
    assert.deepEqual(await readdir(storage.dir), ["busy.json"]);
  });

  it("reports damaged files with the file name instead of returning bad data", async () => {
    const storage = freshStorage();
    await storage.set("k", "precious value");
    const path = storage.pathOf("k");
    const good = await readFile(path, "utf8");
    const damage: [string, RegExp][] = [
      [good.slice(0, good.length / 2), /is damaged \(not valid JSON\)/],
      [good.replace("precious", "precioUs"), /is damaged \(checksum mismatch\)/],
      [good.replace('"key":"k"', '"key":"other"'), /is damaged \(it holds key "other"\)/],
      ['{"value": 1}', /not a "flnet\/storage" record with a string value/],
    ];
    for (const [text, message] of damage) {
      await writeFile(path, text);
      await assert.rejects(storage.get("k"), (error: Error) => {
        assert.ok(error instanceof StorageError);
        assert.equal((error as StorageError).key, "k");
        assert.ok(error.message.includes(path), error.message);
        assert.match(error.message, message);
        assert.match(error.message, /restore it from a backup or delete it/);
        return true;
      });
    }
  });

  it("says why a write failed", async () => {
    const blocker = join(root, "a-file");
    await writeFile(blocker, "not a directory");
    const storage = new FileStorage(join(blocker, "sub"));
    await assert.rejects(storage.set("k", "v"), /cannot write .*a-file/);
  });

  it("keeps a node's identity across restarts and refuses a corrupted one", async () => {
    const storage = freshStorage();
    const created = await NodeConfig.load(storage);
    assert.equal((await NodeConfig.load(new FileStorage(storage.dir))).id, created.id);
    await writeFile(storage.pathOf("nodeConfig"), "garbage");
    await assert.rejects(NodeConfig.load(storage), /nodeConfig\.json is damaged/);
    assert.equal(await readFile(storage.pathOf("nodeConfig"), "utf8"), "garbage");
  });
});

describe("FileStorage privacy and the directory lock", () => {
  it("writes files only their owner can read", async () => {
    const dir = join(root, `private-${dirs++}`);
    await new FileStorage(dir).set("nodeConfig", "secret");
    const file = await stat(new FileStorage(dir).pathOf("nodeConfig"));
    assert.equal(file.mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o077, 0, "the directory is the owner's too");
  });

  it("lets one process hold a directory, names it to the next, and takes over a dead one's", async () => {
    const dir = join(root, `locked-${dirs++}`);
    const lock = await lockDirectory(dir);
    await assert.rejects(lockDirectory(dir), (error: Error) => {
      assert.ok(error instanceof DirectoryLockedError);
      assert.equal(error.pid, process.pid);
      assert.match(error.message, new RegExp(`in use by process ${process.pid}`));
      return true;
    });
    await lock.release();
    const again = await lockDirectory(dir);
    await again.release();
    await writeFile(join(dir, ".lock"), JSON.stringify({ pid: 2 ** 22 + 7, host: hostname() }));
    const takeover = await lockDirectory(dir); // that process does not exist: a stale lock
    await takeover.release();
    assert.deepEqual((await readdir(dir)).filter((n) => n === ".lock"), []);
  });
});

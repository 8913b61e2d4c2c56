import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DirectoryLockedError,
  lockDirectory,
  STALE_UNREADABLE_MS,
} from "../../adapters/node/directory_lock.ts";
import { captureLogs } from "../support/log_capture.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "flnet-lock-"));
  try {
    await fn(join(dir, "node"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("the node directory's lock", () => {
  it("has exactly one holder among 1,000 simultaneous takers, and leaves no stray file", async () => {
    await withDir(async (dir) => {
      await mkdir(dir, { mode: 0o700 });
      const results = await Promise.allSettled(
        Array.from({ length: 1000 }, () => lockDirectory(dir)),
      );
      const held = results.filter((r) => r.status === "fulfilled");
      assert.equal(held.length, 1, "one holder");
      for (const result of results) {
        if (result.status === "rejected") {
          assert.ok(result.reason instanceof DirectoryLockedError, String(result.reason));
        }
      }
      assert.deepEqual(await readdir(dir), [".lock"], "only the lock");
      await (held[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
      assert.deepEqual(await readdir(dir), []);
      // free again: taken at once
      await (await lockDirectory(dir)).release();
    });
  });

  it("takes over a lock left by a process that is gone", async () => {
    await withDir(async (dir) => {
      await mkdir(dir, { mode: 0o700 });
      const dead = { pid: 2 ** 22 + 17, host: (await import("node:os")).hostname(), nonce: "x" };
      await writeFile(join(dir, ".lock"), JSON.stringify(dead));
      const lock = await lockDirectory(dir);
      await assert.rejects(lockDirectory(dir), DirectoryLockedError);
      await lock.release();
    });
  });

  it("does not steal a lock file it cannot read until it is old", async () => {
    await withDir(async (dir) => {
      await mkdir(dir, { mode: 0o700 });
      const path = join(dir, ".lock");
      await writeFile(path, ""); // empty: being written by someone, or left behind
      await assert.rejects(lockDirectory(dir), /a lock file flnet cannot read .*Remove it if not/);
      // just younger than the limit: still refused; older: taken over
      const now = Date.now() / 1000;
      await utimes(path, now, now - STALE_UNREADABLE_MS / 1000 + 2);
      await assert.rejects(lockDirectory(dir), /cannot read/);
      await utimes(path, now, now - STALE_UNREADABLE_MS / 1000 - 1);
      const lock = await lockDirectory(dir);
      await lock.release();
    });
  });

  it("releases only its own lock, not one another process took over", async () => {
    await withDir(async (dir) => {
      const lock = await lockDirectory(dir);
      const other = JSON.stringify({ pid: 1, host: "elsewhere", nonce: "theirs" });
      await writeFile(join(dir, ".lock"), other);
      await lock.release();
      assert.deepEqual(await readdir(dir), [".lock"], "the other's lock stays");
      await assert.rejects(lockDirectory(dir), (error: DirectoryLockedError) => error.pid === 1);
    });
  });

  it("makes a directory others may read its owner's only, and says so", async () => {
    await withDir(async (dir) => {
      await mkdir(dir);
      await chmod(dir, 0o755);
      const lines = await captureLogs(async () => {
        await (await lockDirectory(dir)).release();
      }, "warn");
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
      assert.match(String(lines[0]?.args[0]), /could be read by others \(mode 755\): now 700/);
      // a private one: nothing said
      const quiet = await captureLogs(async () => {
        await (await lockDirectory(dir)).release();
      }, "warn");
      assert.deepEqual(quiet, []);
    });
  });
});

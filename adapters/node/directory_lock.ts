/**
 * One process per node directory: two processes started on the same directory would run as the
 * same node, the signalling server would switch between them, and messages would be lost with no
 * word. {@link lockDirectory} takes `dir/.lock` (created exclusively, holding the process id);
 * a lock whose process is gone (killed, crashed) is taken over.
 *
 * @example
 * ```ts
 * import { lockDirectory } from "./directory_lock.ts";
 * const lock = await lockDirectory(await Deno.makeTempDir());
 * await lock.release();
 * ```
 * @module
 */

import { mkdir, open, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** The directory is in use by another process. */
export class DirectoryLockedError extends Error {
  /** Names the directory and the process that holds it. */
  constructor(readonly dir: string, readonly pid: number) {
    super(
      `the node directory ${dir} is in use by process ${pid} (see ${join(dir, LOCK_FILE)}); ` +
        "stop that process, or give this one another directory",
    );
    this.name = "DirectoryLockedError";
  }
}

/** A held lock. */
export interface DirectoryLock {
  /** Gives the directory up (idempotent). */
  release(): Promise<void>;
}

const LOCK_FILE = ".lock";

/** Takes the lock of `dir` (creating `dir`), or throws {@link DirectoryLockedError}. */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, "wx", 0o600);
      try {
        await file.writeFile(JSON.stringify({ pid: process.pid, host: hostname() }) + "\n");
      } finally {
        await file.close();
      }
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    }
    const holder = await readHolder(path);
    if (holder && holder.host === hostname() && alive(holder.pid)) {
      throw new DirectoryLockedError(dir, holder.pid);
    }
    if (holder && holder.host !== hostname()) {
      throw new DirectoryLockedError(dir, holder.pid); // another machine's: cannot tell, refuse
    }
    await rm(path, { force: true }); // its process is gone (or the file is unreadable): stale
  }
  throw new Error(`could not take the lock ${path}: another process keeps taking it`);
}

async function readHolder(path: string): Promise<{ pid: number; host: string } | undefined> {
  try {
    const value = JSON.parse(await readFile(path, "utf8"));
    return Number.isSafeInteger(value?.pid) && typeof value?.host === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM"; // exists, owned by someone else
  }
}

/**
 * One process per node directory: two processes started on the same directory would run as the
 * same node, the signalling server would switch between them, and messages would be lost with no
 * word. {@link lockDirectory} takes `dir/.lock`, holding the process id, its host and a random
 * nonce:
 * - the lock file appears whole or not at all: it is written under a name of its own and then
 *   hard-linked to `.lock`, which fails if `.lock` exists, so no process ever reads a half-written
 *   lock of a live one;
 * - a lock whose process is gone (killed, crashed) is taken over by one process at a time: the one
 *   that links its file to `.lock.takeover` reads `.lock` again and removes it only if it is still
 *   the one judged dead, so no process ever removes a lock another has just taken; a lock file
 *   that cannot be read (not written by flnet) counts as dead only once it is
 *   {@link STALE_UNREADABLE_MS} old;
 * - the directory is made readable by its owner only, and one that others may read is made so,
 *   with a warning (it holds the node's private key).
 *
 * @example
 * ```ts
 * import { lockDirectory } from "./directory_lock.ts";
 * const lock = await lockDirectory(await Deno.makeTempDir());
 * await lock.release();
 * ```
 * @module
 */

import { chmod, link, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Logger } from "../../core/log.ts";

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
  /** Gives the directory up (idempotent); a lock another process took over stays its. */
  release(): Promise<void>;
}

/** How old a lock file that cannot be read must be before it counts as left behind. */
export const STALE_UNREADABLE_MS = 10_000;

const LOCK_FILE = ".lock";
/** Rounds of taking a lock over before giving up (others keep taking it at the same time). */
const ATTEMPTS = 100;
const log = new Logger("node");

/** Who holds a lock. */
interface Holder {
  pid: number;
  host: string;
  nonce: string;
}

/**
 * Takes the lock of `dir` (creating `dir`, readable by its owner only), or throws
 * {@link DirectoryLockedError}.
 */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  await ownerOnly(dir);
  const path = join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), nonce: crypto.randomUUID() };
  const mine = join(dir, `${LOCK_FILE}.${me.nonce}`);
  await writeFile(mine, JSON.stringify(me) + "\n", { mode: 0o600, flag: "wx" });
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (await linked(mine, path)) return heldLock(path, me);
      const holder = await readHolder(path);
      if (holder === "gone") continue; // released meanwhile: try again at once
      if (holder !== "unreadable") {
        if (holder.host !== hostname()) throw new DirectoryLockedError(dir, holder.pid); // cannot tell
        if (alive(holder.pid)) throw new DirectoryLockedError(dir, holder.pid);
      } else if (!(await olderThan(path, STALE_UNREADABLE_MS))) {
        throw new Error(
          `the node directory ${dir} has a lock file flnet cannot read (${path}), written in the ` +
            `last ${STALE_UNREADABLE_MS / 1000} s: is another program using it? Remove it if not`,
        );
      }
      await takeOver(path, holder, mine);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  } finally {
    await rm(mine, { force: true });
  }
  throw new Error(`could not take the lock ${path}: other processes keep taking it`);
}

/** Creates `dir` for its owner only, or makes an existing one so (saying that it did). */
async function ownerOnly(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const mode = (await stat(dir)).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    await chmod(dir, 0o700);
  } catch (error) {
    throw new Error(
      `the node directory ${dir} may be read by others (mode ${mode.toString(8)}) and cannot ` +
        `be made private (${(error as Error).message}); it holds the node's private key: fix ` +
        "its permissions (chmod 700) or use another directory",
    );
  }
  log.warn(`the node directory ${dir} could be read by others (mode ${mode.toString(8)}): now 700`);
}

/** Links `from` to `to`; false when `to` exists already. */
async function linked(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") return false;
    throw error;
  }
}

/** The lock `path` this process holds as `me`. */
function heldLock(path: string, me: Holder): DirectoryLock {
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      const holder = await readHolder(path);
      if (holder !== "gone" && holder !== "unreadable" && holder.nonce === me.nonce) {
        await rm(path, { force: true });
      }
    },
  };
}

/**
 * Removes the lock at `path` judged dead (`judged`), if it still is, holding the takeover mutex
 * (`path.takeover`, linked from `mine`) while it looks and removes; when another process holds
 * the mutex, it is left to that one (or removed, when its holder died while holding it).
 */
async function takeOver(path: string, judged: Holder | "unreadable", mine: string) {
  const mutex = `${path}.takeover`;
  if (await linked(mine, mutex)) {
    try {
      if (sameHolder(await readHolder(path), judged)) await rm(path, { force: true });
    } finally {
      await rm(mutex, { force: true });
    }
    return;
  }
  const taker = await readHolder(mutex);
  const dead = taker === "unreadable"
    ? await olderThan(mutex, STALE_UNREADABLE_MS)
    : taker !== "gone" && taker.host === hostname() && !alive(taker.pid);
  if (dead) await rm(mutex, { force: true }); // it died taking over: free the mutex
}

/** True when `read` is the holder `judged` (the same lock file's content). */
function sameHolder(read: Holder | "gone" | "unreadable", judged: Holder | "unreadable"): boolean {
  if (read === "gone") return false;
  if (read === "unreadable" || judged === "unreadable") return read === judged;
  return read.nonce === judged.nonce && read.pid === judged.pid;
}

/** Who holds the lock at `path`; `gone` when there is none, `unreadable` when it is not ours. */
async function readHolder(path: string): Promise<Holder | "gone" | "unreadable"> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return "gone";
    throw error;
  }
  try {
    const value = JSON.parse(text);
    if (!Number.isSafeInteger(value?.pid) || typeof value?.host !== "string") return "unreadable";
    // a lock of an earlier flnet has no nonce: its process is judged all the same
    return { pid: value.pid, host: value.host, nonce: String(value.nonce ?? "") };
  } catch {
    return "unreadable";
  }
}

/** True when the file at `path` was last written more than `ms` ago (or is gone). */
async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms;
  } catch {
    return true;
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

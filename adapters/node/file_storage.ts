/**
 * {@link DataStorage} in a directory of files, for Deno and Node (through `node:fs`).
 *
 * Each key is one JSON file holding the value and its SHA-256, written to a temporary file and
 * renamed into place, so a crash never leaves half a value behind and a damaged file is
 * reported as a {@link StorageError} that names the file, never read as a wrong value. A
 * journal (`JournalStorage`) is one file of lines, each with the first 16 hex characters of
 * its SHA-256 in front, added with `O_APPEND` and flushed: a line a crash tore is known. Files
 * are readable by their owner only (0600, in a 0700 directory): one of them holds the node's
 * secret key.
 *
 * @example
 * ```ts
 * import { FileStorage } from "./file_storage.ts";
 * const storage = new FileStorage(await Deno.makeTempDir());
 * await storage.set("nodeConfig", "{}");
 * ```
 * @module
 */

import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  checkJournalLine,
  checkStorageKey,
  type DataStorage,
  StorageError,
} from "../../core/storage.ts";
import { toHex } from "../../core/ids.ts";

const FORMAT = "flnet/storage";
const SUFFIX = ".json";
/** A journal's file: `<key>.journal`. */
const JOURNAL_SUFFIX = ".journal";
/** The hex characters of a journal line's SHA-256 written in front of it. */
const LINE_SUM = 16;
/** The temporary file of a write: `<key>.json.<12 hex>.tmp`. */
const TEMP = /\.json\.[0-9a-f]{12}\.tmp$/;

/**
 * Key/value storage as one file per key in `dir` (created when first written); it keeps
 * journals too (`JournalStorage` in core/storage.ts).
 */
export class FileStorage implements DataStorage {
  /** Uses `dir` for the files; nothing is touched until the first write.
   * @param dir the directory that holds the files. */
  constructor(readonly dir: string) {}

  /** The file that holds `key`. Keys are percent-encoded into safe file names. */
  pathOf(key: string): string {
    checkStorageKey(key);
    return join(this.dir, encodeKey(key) + SUFFIX);
  }

  /** The file that holds the journal `key`. */
  journalPathOf(key: string): string {
    checkStorageKey(key);
    return join(this.dir, encodeKey(key) + JOURNAL_SUFFIX);
  }

  /** Adds `line` at the end of the journal `key` and flushes it to disk. */
  async appendLine(key: string, line: string): Promise<void> {
    checkJournalLine(key, line);
    const path = this.journalPathOf(key);
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const file = await open(path, "a", 0o600);
      try {
        await file.writeFile(`${(await sha256(line)).slice(0, LINE_SUM)} ${line}\n`, "utf8");
        await file.sync();
      } finally {
        await file.close();
      }
    } catch (error) {
      throw new StorageError(key, `cannot add to ${path}: ${(error as Error).message}`);
    }
  }

  /** The lines of the journal `key`; a torn last line is left out. */
  async readLines(key: string): Promise<string[]> {
    const path = this.journalPathOf(key);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return [];
      throw new StorageError(key, `cannot read ${path}: ${(error as Error).message}`);
    }
    const lines: string[] = [];
    let torn = -1;
    const rows = text.split("\n"); // the last is "" when the file ends with a whole line
    for (const [i, row] of rows.entries()) {
      const line = row.slice(LINE_SUM + 1);
      const whole = i < rows.length - 1 && row[LINE_SUM] === " " &&
        row.slice(0, LINE_SUM) === (await sha256(line)).slice(0, LINE_SUM);
      if (!whole) {
        if (torn < 0 && row !== "") torn = i;
        continue;
      }
      if (torn >= 0) {
        throw new StorageError(
          key,
          `journal ${path} is damaged at line ${torn + 1} (a checksum mismatch before lines ` +
            "that hold); restore it from a backup or delete it",
        );
      }
      lines.push(line);
    }
    return lines;
  }

  /** Deletes the journal `key`'s file, if any. */
  async clearLines(key: string): Promise<void> {
    await rm(this.journalPathOf(key), { force: true });
  }

  /** Reads `key`; a missing file is `undefined`, a damaged one a {@link StorageError}. */
  async get(key: string): Promise<string | undefined> {
    const path = this.pathOf(key);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw new StorageError(key, `cannot read ${path}: ${(error as Error).message}`);
    }
    const damaged = (why: string) =>
      new StorageError(
        key,
        `storage file ${path} is damaged (${why}); restore it from a backup or delete it`,
      );
    let record: { format?: unknown; key?: unknown; value?: unknown; sha256?: unknown };
    try {
      record = JSON.parse(text);
    } catch {
      throw damaged("not valid JSON");
    }
    if (record?.format !== FORMAT || typeof record.value !== "string") {
      throw damaged(`not a "${FORMAT}" record with a string value`);
    }
    if (record.key !== key) throw damaged(`it holds key ${JSON.stringify(record.key)}`);
    if (record.sha256 !== await sha256(record.value)) throw damaged("checksum mismatch");
    return record.value;
  }

  /** Writes `key` atomically: a temporary file, flushed, then renamed over the old one. */
  async set(key: string, value: string): Promise<void> {
    const path = this.pathOf(key);
    const text = JSON.stringify({ format: FORMAT, key, value, sha256: await sha256(value) });
    const temp = `${path}.${toHex(crypto.getRandomValues(new Uint8Array(6)))}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const file = await open(temp, "w", 0o600); // the node's secret key is among the values
      try {
        await file.writeFile(text, "utf8");
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {}); // best effort: the write error matters
      throw new StorageError(key, `cannot write ${path}: ${(error as Error).message}`);
    }
  }

  /**
   * Renames the file of `key` to `<file>.damaged-<time>`, which is no key's file, and returns
   * its path.
   */
  async setAside(key: string): Promise<string> {
    const path = this.pathOf(key);
    const aside = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    try {
      await rename(path, aside);
    } catch (error) {
      throw new StorageError(key, `cannot set ${path} aside: ${(error as Error).message}`);
    }
    return aside;
  }

  /** Deletes the file of `key`, if any. */
  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /**
   * Deletes the temporary files writes left behind when their process died midway. Call it
   * only while no other process writes to the directory (nodeStart holds its lock then).
   */
  async removeLeftovers(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return 0;
      throw error;
    }
    const leftovers = names.filter((name) => TEMP.test(name));
    for (const name of leftovers) await rm(join(this.dir, name), { force: true });
    return leftovers.length;
  }

  /** The keys of every stored file (temporary files are skipped). */
  async keys(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return [];
      throw error;
    }
    return names.filter((name) => name.endsWith(SUFFIX)).map((name) =>
      decodeURIComponent(name.slice(0, -SUFFIX.length))
    );
  }
}

function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(/[.*!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16));
}

async function sha256(text: string): Promise<string> {
  return toHex(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))),
  );
}

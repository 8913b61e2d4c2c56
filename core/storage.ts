/**
 * Key/value storage for a node's config and its modules' data. {@link MemoryStorage} lives
 * here; file-backed and localStorage-backed storages live in `adapters/` and are chosen by the
 * entry points.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "./storage.ts";
 * const storage = new MemoryStorage();
 * await storage.set("gossip", "[]");
 * console.log(await storage.get("gossip")); // "[]"
 * ```
 * @module
 */

/** A small asynchronous key/value store of strings. */
export interface DataStorage {
  /** The value under `key`, or `undefined` when there is none. Throws if it is damaged. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key`, replacing what was there, all or nothing. */
  set(key: string, value: string): Promise<void>;
  /** Removes `key`; removing a missing key is not an error. */
  remove(key: string): Promise<void>;
  /** Every key that holds a value. */
  keys(): Promise<string[]>;
  /**
   * Moves the value under `key`, readable or damaged, out of the node's way (for a person to
   * look at) and says where it went; `key` is empty afterwards.
   */
  setAside(key: string): Promise<string>;
}

/**
 * A storage that also keeps journals: lines added at the end one at a time, so that saving a
 * change costs about the change's size, not the size of all that is kept (the gossip store
 * keeps one beside its snapshot). Journals have keys of their own, apart from the values'.
 */
export interface JournalStorage extends DataStorage {
  /**
   * Adds `line` (no line break in it) at the end of the journal `key`, durably. A crash may
   * lose this line, never an earlier one.
   */
  appendLine(key: string, line: string): Promise<void>;
  /**
   * The lines of the journal `key`, oldest first ([] when there is none). A last line a crash
   * left torn is left out; a damaged line before others is a {@link StorageError}.
   */
  readLines(key: string): Promise<string[]>;
  /** Empties the journal `key`. */
  clearLines(key: string): Promise<void>;
}

/** True when `storage` keeps journals ({@link JournalStorage}). */
export function keepsJournals(storage: DataStorage): storage is JournalStorage {
  const s = storage as Partial<JournalStorage>;
  return typeof s.appendLine === "function" && typeof s.readLines === "function" &&
    typeof s.clearLines === "function";
}

/** Throws a {@link StorageError} unless `line` is a journal line: one with no line break. */
export function checkJournalLine(key: string, line: string): void {
  if (/[\r\n]/.test(line)) {
    throw new StorageError(key, `a line of journal "${key}" must not hold a line break`);
  }
}

/**
 * {@link DataStorage.setAside} for storages whose `get` never fails: the value moves to
 * `key + ".damaged"` (replacing an older one).
 */
export async function setAsideByCopy(storage: DataStorage, key: string): Promise<string> {
  const value = await storage.get(key);
  const aside = `${key}.damaged`;
  if (value !== undefined) await storage.set(aside, value);
  await storage.remove(key);
  return `key "${aside}"`;
}

/** Thrown when stored data cannot be read back: it says which key and why. */
export class StorageError extends Error {
  /** Names the key and the problem.
   * @param key the key whose value is damaged or could not be written. */
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = "StorageError";
  }
}

/** Checks a key before use; every storage accepts the same keys. */
export function checkStorageKey(key: string): void {
  if (typeof key !== "string" || key.length === 0 || key.length > 200) {
    throw new StorageError(String(key), "a storage key must be a string of 1 to 200 characters");
  }
}

/**
 * Storage in memory, lost when the program ends: for tests and throw-away nodes. It keeps
 * journals too (see `JournalStorage` in core/storage.ts).
 */
export class MemoryStorage implements DataStorage {
  readonly #values = new Map<string, string>();
  readonly #journals = new Map<string, string[]>();

  /** Adds `line` to the journal `key`. */
  appendLine(key: string, line: string): Promise<void> {
    checkStorageKey(key);
    checkJournalLine(key, line);
    const lines = this.#journals.get(key) ?? [];
    lines.push(String(line));
    this.#journals.set(key, lines);
    return Promise.resolve();
  }

  /** The lines of the journal `key`. */
  readLines(key: string): Promise<string[]> {
    checkStorageKey(key);
    return Promise.resolve([...this.#journals.get(key) ?? []]);
  }

  /** Empties the journal `key`. */
  clearLines(key: string): Promise<void> {
    checkStorageKey(key);
    this.#journals.delete(key);
    return Promise.resolve();
  }

  /** The value under `key`, or `undefined`. */
  get(key: string): Promise<string | undefined> {
    checkStorageKey(key);
    return Promise.resolve(this.#values.get(key));
  }

  /** Stores `value` under `key`. */
  set(key: string, value: string): Promise<void> {
    checkStorageKey(key);
    this.#values.set(key, String(value));
    return Promise.resolve();
  }

  /** Removes `key`. */
  remove(key: string): Promise<void> {
    checkStorageKey(key);
    this.#values.delete(key);
    return Promise.resolve();
  }

  /** Every key, in insertion order. */
  keys(): Promise<string[]> {
    return Promise.resolve([...this.#values.keys()]);
  }

  /** Moves `key`'s value to `key + ".damaged"`. */
  setAside(key: string): Promise<string> {
    return setAsideByCopy(this, key);
  }
}

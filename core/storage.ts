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

/** Storage in memory, lost when the program ends: for tests and throw-away nodes. */
export class MemoryStorage implements DataStorage {
  readonly #values = new Map<string, string>();

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

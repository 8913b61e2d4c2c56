/**
 * {@link DataStorage} on the Web Storage API (`localStorage` in a browser), with every key
 * prefixed by a namespace so that flnet shares an origin's storage with other code safely.
 *
 * @example
 * ```ts
 * import { WebStorage } from "./web_storage.ts";
 * const storage = new WebStorage(sessionStorage, "flnet-demo");
 * await storage.set("nodeConfig", "{}");
 * ```
 * @module
 */

import {
  checkStorageKey,
  type DataStorage,
  setAsideByCopy,
  StorageError,
} from "../../core/storage.ts";

/** Key/value storage in a Web `Storage` object under `namespace + "/"`. */
export class WebStorage implements DataStorage {
  readonly #prefix: string;

  /**
   * Wraps a Web `Storage` object.
   * @param storage usually `localStorage`.
   * @param namespace keeps flnet's keys apart from the page's own (`"flnet"` by default).
   */
  constructor(readonly storage: Storage, namespace = "flnet") {
    this.#prefix = namespace + "/";
  }

  /** The value under `key`, or `undefined`. */
  get(key: string): Promise<string | undefined> {
    checkStorageKey(key);
    return Promise.resolve(this.storage.getItem(this.#prefix + key) ?? undefined);
  }

  /** Stores `value`; a full storage quota is a {@link StorageError} that says so. */
  set(key: string, value: string): Promise<void> {
    checkStorageKey(key);
    try {
      this.storage.setItem(this.#prefix + key, value);
    } catch (error) {
      return Promise.reject(
        new StorageError(key, `cannot store "${key}": ${(error as Error).message}`),
      );
    }
    return Promise.resolve();
  }

  /** Removes `key`. */
  remove(key: string): Promise<void> {
    checkStorageKey(key);
    this.storage.removeItem(this.#prefix + key);
    return Promise.resolve();
  }

  /** Every key in this namespace. */
  keys(): Promise<string[]> {
    const keys: string[] = [];
    for (let i = 0; i < this.storage.length; i++) {
      const name = this.storage.key(i);
      if (name?.startsWith(this.#prefix)) keys.push(name.slice(this.#prefix.length));
    }
    return Promise.resolve(keys);
  }

  /** Moves `key`'s value to `key + ".damaged"`. */
  setAside(key: string): Promise<string> {
    return setAsideByCopy(this, key);
  }
}

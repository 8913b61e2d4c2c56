/**
 * Where a node's gossip events are kept between runs: the whole {@link EventStore} as a snapshot
 * under one key and, when the storage keeps journals (`JournalStorage`), each save after it as
 * one journal line holding only what changed (events added, ids removed). So saving a full
 * store after a new event writes about that event, not the store: the snapshot is written
 * again only once the journal has grown as large as it (at least {@link COMPACT_BYTES}), which
 * adds about as much again over time. Loading reads the snapshot, then applies the lines in
 * order (removals before additions within a line; applying a line twice changes nothing, so a
 * crash between writing a snapshot and emptying the journal is harmless).
 * A storage without journals gets the whole snapshot on every save.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "../../core/storage.ts";
 * import { EventStore } from "./store.ts";
 * import { StoreFile } from "./store_file.ts";
 * const file = new StoreFile(new MemoryStorage(), "gossip");
 * await file.save(new EventStore());
 * const open = (text?: string) => text === undefined ? new EventStore() : EventStore.decode(text);
 * console.log((await file.load(open))?.size); // 0
 * ```
 * @module
 */

import type { U256 } from "../../core/ids.ts";
import { type DataStorage, keepsJournals } from "../../core/storage.ts";
import { parseEvent } from "./event.ts";
import type { EventStore } from "./store.ts";

/**
 * The journal is folded into a new snapshot once it holds this many characters and at least as
 * many as the snapshot.
 */
export const COMPACT_BYTES = 256 * 1024;

/** A store's snapshot and journal in a storage; see the module documentation. */
export class StoreFile {
  readonly #storage: DataStorage;
  readonly #key: string;
  /** Characters in the snapshot and in the journal, as last written or read. */
  #snapshotChars = 0;
  #journalChars = 0;
  /** Whether the snapshot and journal hold all the store had (false until one is written or read). */
  #based = false;

  readonly #compactBytes: number;

  /**
   * Keeps the store under `key` in `storage` (the journal under `key + ".journal"`), folding
   * the journal into the snapshot as {@link COMPACT_BYTES} says (`compactBytes` for tests).
   */
  constructor(storage: DataStorage, key: string, compactBytes = COMPACT_BYTES) {
    this.#storage = storage;
    this.#key = key;
    this.#compactBytes = compactBytes;
  }

  get #journalKey(): string {
    return `${this.#key}.journal`;
  }

  /**
   * The store as saved, or undefined when nothing is saved; `open` reads a snapshot, or makes
   * an empty store when there is none. Throws when the snapshot or the journal cannot be read;
   * {@link setAside} then moves both away.
   */
  async load(open: (snapshot?: string) => EventStore): Promise<EventStore | undefined> {
    const text = await this.#storage.get(this.#key);
    const lines = keepsJournals(this.#storage)
      ? await this.#storage.readLines(this.#journalKey)
      : [];
    if (text === undefined && lines.length === 0) return undefined;
    const store = open(text);
    this.#snapshotChars = text?.length ?? 0;
    this.#based = text !== undefined;
    for (const [i, line] of lines.entries()) {
      let change: { added?: unknown; removed?: unknown };
      try {
        change = JSON.parse(line);
      } catch {
        throw new Error(`line ${i + 1} of the gossip journal is not JSON`);
      }
      if (!Array.isArray(change?.added) || !Array.isArray(change.removed)) {
        throw new Error(`line ${i + 1} of the gossip journal has no "added" and "removed" lists`);
      }
      for (const id of change.removed) store.remove(String(id) as U256);
      for (const event of change.added) store.add(parseEvent(event));
      this.#journalChars += line.length;
    }
    store.takeChanges();
    return store;
  }

  /**
   * Moves the snapshot out of the node's way (for a person to look at), empties the journal,
   * and says where the snapshot went.
   */
  async setAside(): Promise<string> {
    if (keepsJournals(this.#storage)) await this.#storage.clearLines(this.#journalKey);
    this.#snapshotChars = this.#journalChars = 0;
    this.#based = false;
    return await this.#storage.setAside(this.#key);
  }

  /**
   * Saves what changed in `store` since it was loaded or last saved. After a failure the next
   * save writes the whole store (the changes it took are in no journal).
   */
  async save(store: EventStore): Promise<void> {
    try {
      await this.#save(store);
    } catch (error) {
      this.#based = false;
      throw error;
    }
  }

  async #save(store: EventStore): Promise<void> {
    const storage = this.#storage;
    const changes = store.takeChanges();
    const compact = this.#journalChars >= this.#compactBytes &&
      this.#journalChars >= this.#snapshotChars;
    if (!keepsJournals(storage) || !this.#based || compact) {
      const text = store.encode();
      await storage.set(this.#key, text);
      if (keepsJournals(storage)) await storage.clearLines(this.#journalKey);
      this.#snapshotChars = text.length;
      this.#journalChars = 0;
      this.#based = true;
      return;
    }
    if (changes.added.length === 0 && changes.removed.length === 0) return;
    const line = JSON.stringify(changes);
    await storage.appendLine(this.#journalKey, line);
    this.#journalChars += line.length;
  }
}

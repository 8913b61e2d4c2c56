/**
 * The messages that wait for an application's `recv()` or `for await`: a queue bounded in count
 * and bytes, so a peer sending faster than the application reads cannot grow the process
 * without limit. A message that does not fit is refused ({@link Inbox.offer} says false) and the
 * caller reports it.
 *
 * @example
 * ```ts
 * import type { NodeID } from "../core/ids.ts";
 * import { Inbox } from "./inbox.ts";
 * const from = "a".repeat(64) as NodeID;
 * const inbox = new Inbox({ messages: 1, bytes: 1024 });
 * console.log(inbox.offer({ from, module: "", data: "hi" })); // true
 * console.log(inbox.offer({ from, module: "", data: "no room" })); // false
 * console.log((await inbox.recv()).data); // "hi"
 * ```
 * @module
 */

import { BrokerChannel } from "../core/broker_channel.ts";
import type { NodeID } from "../core/ids.ts";

/** A message from a node, as the application gets it. */
export interface NetworkMessage {
  /** The sender. */
  from: NodeID;
  /** The module it was sent for (`""` for plain `send` calls). */
  module: string;
  /** What was sent: text stays text, bytes stay bytes. */
  data: string | Uint8Array;
}

/** How much an {@link Inbox} holds at most. */
export interface InboxLimits {
  /** Messages waiting. */
  messages: number;
  /** Bytes of their data waiting (text counts 2 bytes a character, as memory holds it). */
  bytes: number;
}

/** The default bounds: 4,096 messages and 64 MiB. */
export const INBOX_LIMITS: InboxLimits = { messages: 4096, bytes: 64 * 1024 * 1024 };

/** A bounded queue of messages; see the module documentation. */
export class Inbox implements AsyncIterable<NetworkMessage> {
  readonly #channel = new BrokerChannel<NetworkMessage>();
  readonly limits: InboxLimits;
  #bytes = 0;

  /** An empty inbox that holds at most `limits`. */
  constructor(limits: InboxLimits = INBOX_LIMITS) {
    this.limits = limits;
  }

  /** Messages waiting. */
  get size(): number {
    return this.#channel.size;
  }

  /** True once {@link close} was called: it takes no more messages. */
  get closed(): boolean {
    return this.#channel.closed;
  }

  /** Bytes of data waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Adds `message` if it fits (or a reader waits for it); false when it does not, or when the
   * inbox is closed (see {@link closed} to tell the two apart).
   */
  offer(message: NetworkMessage): boolean {
    const bytes = sizeOf(message);
    const full = this.#channel.size >= this.limits.messages ||
      (this.#channel.size > 0 && this.#bytes + bytes > this.limits.bytes);
    if (full || this.#channel.closed) return false;
    this.#bytes += bytes;
    this.#channel.push(message);
    return true;
  }

  /** The next message; rejects once the inbox is closed and empty. */
  async recv(): Promise<NetworkMessage> {
    return this.#took(await this.#channel.recv());
  }

  /**
   * Iterates over messages as they arrive, until the inbox closes. Leaving a `for await` loop
   * ends that loop only: messages keep arriving for the next `recv` or loop.
   */
  [Symbol.asyncIterator](): AsyncIterator<NetworkMessage> {
    return {
      next: async () => {
        const result = await this.#channel.next();
        if (!result.done) this.#took(result.value);
        return result;
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }

  /** Takes no more messages; those waiting can still be read. */
  close(): void {
    this.#channel.close();
  }

  #took(message: NetworkMessage): NetworkMessage {
    this.#bytes -= sizeOf(message);
    return message;
  }
}

function sizeOf(message: NetworkMessage): number {
  return typeof message.data === "string" ? message.data.length * 2 : message.data.byteLength;
}

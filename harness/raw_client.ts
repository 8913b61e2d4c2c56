/**
 * A bare WebSocket client for protocol tests: sends raw frames and reads the server's replies
 * in order, so a test can say exactly what went over the wire.
 * @module
 */

import type { NodeConfig } from "../core/config.ts";
import { toHex, type U256 } from "../core/ids.ts";
import {
  announcePayload,
  type ClientMessage,
  type ServerMessage,
  SIGNAL_PROTOCOL_VERSION,
} from "../net/signal_protocol.ts";

/** A raw connection to a signalling server. */
export class RawClient {
  readonly socket: WebSocket;
  readonly #inbox: ServerMessage[] = [];
  readonly #waiters: ((m: ServerMessage) => void)[] = [];
  /** Resolves with the close code and reason once the socket closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The challenge of the first server message, once read by {@link open}. */
  challenge!: U256;

  private constructor(url: string) {
    this.socket = new WebSocket(url);
    this.closed = new Promise((resolve) => {
      this.socket.onclose = (event) => resolve({ code: event.code, reason: event.reason });
    });
    this.socket.onmessage = (event) => {
      const message = JSON.parse(event.data) as ServerMessage;
      const waiter = this.#waiters.shift();
      if (waiter) waiter(message);
      else this.#inbox.push(message);
    };
  }

  /** Connects and reads the challenge. */
  static async open(url: string): Promise<RawClient> {
    const client = new RawClient(url);
    await new Promise((resolve, reject) => {
      client.socket.onopen = resolve;
      client.socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
    const first = await client.next();
    if (first.type !== "challenge") throw new Error(`expected a challenge, got ${first.type}`);
    client.challenge = first.challenge;
    return client;
  }

  /** Connects and announces `config`; resolves after the welcome. */
  static async announced(url: string, config: NodeConfig): Promise<RawClient> {
    const client = await RawClient.open(url);
    client.send(await client.announceFor(config));
    const welcome = await client.next();
    if (welcome.type !== "welcome") {
      throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
    }
    return client;
  }

  /** A correct announce of `config` for this connection's challenge. */
  async announceFor(
    config: NodeConfig,
    challenge: U256 = this.challenge,
  ): Promise<ClientMessage & { type: "announce" }> {
    const signature = await config.sign(announcePayload(SIGNAL_PROTOCOL_VERSION, challenge));
    return {
      type: "announce",
      version: SIGNAL_PROTOCOL_VERSION,
      info: config.info,
      signature: toHex(signature),
    };
  }

  /** Sends an object as JSON, or a string or bytes as they are. */
  send(frame: unknown): void {
    if (frame instanceof Uint8Array) this.socket.send(frame as Uint8Array<ArrayBuffer>);
    else this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The next message from the server (rejects after `timeoutMs`). */
  next(timeoutMs = 5000): Promise<ServerMessage> {
    const queued = this.#inbox.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no message from the server within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (m: ServerMessage) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Sends `frame` and returns the server's next message. */
  async ask(frame: unknown): Promise<ServerMessage> {
    this.send(frame);
    return await this.next();
  }

  /** Closes the socket and waits until it is closed. */
  async close(): Promise<void> {
    this.socket.close();
    await this.closed;
  }
}

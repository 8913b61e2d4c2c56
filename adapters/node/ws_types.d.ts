/**
 * The part of the `ws` package flnet's Node adapters use, declared here instead of taken from
 * `@types/ws`: those types reference `@types/node` by triple-slash paths that `deno doc` cannot
 * resolve (one warning per file of `@types/node`, 59 in all, on every `npm run check`).
 * @module
 */

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** One WebSocket connection, client or server side. */
export declare class WebSocket {
  /** Opens a client connection to `url`. */
  constructor(url: string | URL, protocols?: string | string[]);
  /** Bytes queued by `send` and not yet handed to the operating system. */
  readonly bufferedAmount: number;
  /** Queues a text frame. */
  send(data: string): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Destroys the connection without a closing handshake. */
  terminate(): void;
  /** A frame arrived: bytes, and whether it was a binary frame. */
  on(event: "message", listener: (data: Uint8Array, isBinary: boolean) => void): this;
  /** The connection closed. */
  on(event: "close", listener: () => void): this;
  /** The connection failed. */
  on(event: "error", listener: (error: Error) => void): this;
  /** The connection closed (once). */
  once(event: "close", listener: () => void): this;
}

/** Accepts WebSocket upgrades of an HTTP server's requests. */
export declare class WebSocketServer {
  /** A server without its own listener; `maxPayload` bounds a frame in bytes. */
  constructor(options: { noServer: true; maxPayload: number });
  /** Completes an HTTP upgrade and hands over the connection. */
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Uint8Array,
    callback: (ws: WebSocket) => void,
  ): void;
  /** Stops accepting upgrades. */
  close(): void;
}

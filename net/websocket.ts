/**
 * A WebSocket client as a broker: it connects, reconnects with exponential backoff and
 * jitter, and queues what is sent while it is down. A queued message is either delivered after
 * the reconnect or reported back as `send-failed`: never dropped silently.
 *
 * The WebSocket constructor is injected: the global one in browsers, Deno and Node 22, the
 * `ws` package's on Node 20 (the `flnet/node` entry point fills it in).
 *
 * @example
 * ```ts
 * import { startWebSocket } from "./websocket.ts";
 * const ws = startWebSocket("ws://127.0.0.1:8765", WebSocket);
 * ws.tapOut((out) => console.log(out.type));
 * await ws.emitIn({ type: "send", data: "hello" }); // queued until connected
 * await ws.emitIn({ type: "close" }); // "hello" is reported as send-failed if never sent
 * ```
 * @module
 */

import { Broker } from "../core/broker.ts";
import { Logger } from "../core/log.ts";
import { type Rng, secureRandom } from "../core/random.ts";

/** Inputs of the WebSocket broker. */
export type WebSocketIn =
  /** Send a text frame; queued while not connected (or not flushed). `immediate` is for
   * handshake and keep-alive frames: sent now if a socket is open, else reported as failed. */
  | { type: "send"; data: string; immediate?: boolean }
  /** Send what is queued (after the owner's handshake, with `flushOnOpen: false`). */
  | { type: "flush" }
  /**
   * Reconnect now if waiting to (the network came back, say), with the backoff started over;
   * nothing happens while connected or connecting.
   */
  | { type: "retry" }
  /** Close for good: no more reconnects; queued messages are reported as failed. */
  | { type: "close" };

/** Outputs of the WebSocket broker. */
export type WebSocketOut =
  /** The socket is open (`attempt` counts connections, from 1) to the server at `url`. */
  | { type: "connected"; attempt: number; url: string }
  /** The socket closed; it reconnects in `reconnectInMs`, or never when that is missing. */
  | { type: "disconnected"; code: number; reason: string; reconnectInMs?: number }
  /** A text frame arrived. */
  | { type: "message"; data: string }
  /** A frame could not be delivered (queue too old or full, or closed before sending). */
  | { type: "send-failed"; data: string; reason: string }
  /** Something went wrong that is not tied to one message. */
  | { type: "error"; message: string }
  /** Closed for good after a `close` input. */
  | { type: "closed" };

/** The part of the WebSocket API this broker uses. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Called once the socket is open. */
  onopen: ((event: Event) => void) | null;
  /** Called once the socket closed, with the close code and reason. */
  onclose: ((event: CloseEvent) => void) | null;
  /** Called on a socket error; a close event follows. */
  onerror: ((event: Event) => void) | null;
  /** Called for every frame received. */
  onmessage: ((event: MessageEvent) => void) | null;
  /** Sends a text frame. */
  send(data: string): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor, such as `globalThis.WebSocket` or the `ws` package's. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * One server address, or several that serve the same network (a cluster): a client starts at
 * a random one and moves to the next after each failed or lost connection.
 */
export type ServerUrls = string | readonly string[];

/** Options of {@link startWebSocket}. */
export interface WebSocketOptions {
  /** First reconnect delay (default 250 ms); doubles per failed attempt. */
  backoffInitialMs?: number;
  /**
   * Longest reconnect delay (default 4 s): after an outage of any length, a client is back
   * within about this long of the server's return.
   */
  backoffMaxMs?: number;
  /** Fraction of each delay that is random (default 0.5), so clients do not reconnect in step. */
  backoffJitter?: number;
  /** A connection attempt that has not opened after this long is abandoned (default 10 s). */
  connectTimeoutMs?: number;
  /** Queued messages older than this are reported as failed (default 30 s). */
  queueMaxAgeMs?: number;
  /** The most messages queued at once; more are reported as failed (default 1,000). */
  queueMaxMessages?: number;
  /** Send the queue as soon as a socket opens (default true); false waits for `flush`. */
  flushOnOpen?: boolean;
  /** Randomness for the jitter. */
  rng?: Rng;
  /** Name of the broker in logs. */
  name?: string;
}

/** The WebSocket broker type. */
export type WebSocketBroker = Broker<WebSocketIn, WebSocketOut>;

const OPEN = 1;
const log = new Logger("websocket");

/**
 * Connects to `url` with the runtime's `WebSocket` constructor and returns the broker; see the
 * module documentation.
 */
export function startWebSocket(
  url: ServerUrls,
  WebSocket: WebSocketConstructor,
  options: WebSocketOptions = {},
): WebSocketBroker {
  const broker: WebSocketBroker = new Broker(options.name ?? "websocket");
  const connection = new WebSocketConnection(url, WebSocket, options, (out) => {
    if (!broker.closed) broker.enqueueOut(out);
  });
  broker.addHandler({
    messages: (batch) => {
      for (const msg of batch) connection.request(msg);
      return [];
    },
  });
  return broker;
}

interface Queued {
  data: string;
  at: number;
}

/**
 * The WebSocket client itself, without a broker: {@link startWebSocket} puts a broker in front
 * of it, and the signalling client uses it directly. It connects at once; every output goes to
 * `emit`, in order, as it happens (during {@link WebSocketConnection.request} too).
 */
export class WebSocketConnection {
  readonly #urls: readonly string[];
  /** Which of `#urls` the next connection goes to. */
  #urlIndex: number;
  readonly #emit: (out: WebSocketOut) => void;
  readonly #Ctor: WebSocketConstructor;
  readonly #o: Required<Omit<WebSocketOptions, "name">>;
  #socket: WebSocketLike | undefined;
  #open = false;
  #flushed = false;
  #closed = false;
  #attempts = 0;
  #failures = 0;
  #queue: Queued[] = [];
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #ageTimer: ReturnType<typeof setTimeout> | undefined;

  /** Connects to `url` (or one of them) with `Ctor`; outputs go to `emit`. */
  constructor(
    url: ServerUrls,
    Ctor: WebSocketConstructor,
    options: WebSocketOptions,
    emit: (out: WebSocketOut) => void,
  ) {
    this.#urls = typeof url === "string" ? [url] : [...url];
    if (this.#urls.length === 0) throw new TypeError("no server address given");
    this.#emit = emit;
    this.#Ctor = Ctor;
    this.#o = {
      backoffInitialMs: options.backoffInitialMs ?? 250,
      backoffMaxMs: options.backoffMaxMs ?? 4_000,
      backoffJitter: options.backoffJitter ?? 0.5,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      queueMaxAgeMs: options.queueMaxAgeMs ?? 30_000,
      queueMaxMessages: options.queueMaxMessages ?? 1000,
      flushOnOpen: options.flushOnOpen ?? true,
      rng: options.rng ?? secureRandom,
    };
    this.#urlIndex = Math.floor(this.#o.rng() * this.#urls.length) % this.#urls.length;
    this.#connect();
  }

  /** Takes one request: send, flush or close. */
  request(msg: WebSocketIn): void {
    if (this.#closed) {
      if (msg.type === "send") {
        this.#emit({ type: "send-failed", data: msg.data, reason: "the WebSocket is closed" });
      }
      return;
    }
    switch (msg.type) {
      case "send":
        if (msg.immediate) {
          if (!this.#open || !this.#transmit(msg.data)) {
            this.#emit({ type: "send-failed", data: msg.data, reason: "not connected" });
          }
        } else if (!(this.#open && this.#flushed && this.#transmit(msg.data))) {
          this.#enqueue(msg.data);
        }
        return;
      case "flush":
        this.#flushed = true;
        this.#flush();
        return;
      case "retry":
        if (this.#reconnectTimer === undefined || this.#closed) return;
        clearTimeout(this.#reconnectTimer);
        this.#failures = 0;
        this.#connect();
        return;
      case "close":
        this.#shutdown();
        return;
    }
  }

  /** The server address the current or next connection goes to. */
  get #url(): string {
    return this.#urls[this.#urlIndex];
  }

  #connect(): void {
    this.#reconnectTimer = undefined;
    if (this.#closed) return;
    let socket: WebSocketLike;
    const url = this.#url;
    try {
      socket = new this.#Ctor(url);
    } catch (error) {
      this.#emit({
        type: "error",
        message: `cannot open a WebSocket to ${url}: ${(error as Error).message}`,
      });
      this.#scheduleReconnect(1006, "could not open");
      return;
    }
    this.#socket = socket;
    this.#connectTimer = setTimeout(() => {
      if (this.#socket === socket && !this.#open) {
        this.#drop(`no connection within ${this.#o.connectTimeoutMs} ms`);
      }
    }, this.#o.connectTimeoutMs);
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      clearTimeout(this.#connectTimer);
      this.#open = true;
      this.#flushed = this.#o.flushOnOpen;
      this.#failures = 0;
      this.#attempts++;
      this.#emit({ type: "connected", attempt: this.#attempts, url });
      if (this.#flushed) this.#flush();
    };
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      if (typeof event.data === "string") {
        this.#emit({ type: "message", data: event.data });
      } else {
        this.#emit({ type: "error", message: "received a binary frame; ignored" });
      }
    };
    socket.onerror = () => {
      // The close event follows and carries what can be known; nothing to add here.
      log.debug(`socket error on ${url}`);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      const opened = this.#open;
      this.#socket = undefined;
      // a socket that never opened gets no reason from the runtime (code 1006, or 0 on Node's
      // ws): most often nothing listens there
      const reason = event.reason ||
        (opened ? "" : "connection refused or unreachable");
      this.#scheduleReconnect(event.code, reason);
    };
  }

  /** Closes the current socket without reporting twice: its close event is ignored. */
  #drop(reason: string): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    try {
      socket.close(1000, reason.slice(0, 100));
    } catch { /* already closing */ }
    this.#scheduleReconnect(1000, reason);
  }

  #scheduleReconnect(code: number, reason: string): void {
    clearTimeout(this.#connectTimer);
    this.#open = false;
    this.#flushed = false;
    if (this.#closed) return;
    const base = Math.min(
      this.#o.backoffMaxMs,
      this.#o.backoffInitialMs * 2 ** Math.min(this.#failures, 30),
    );
    this.#failures++;
    this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length; // the next server, if several
    const delay = Math.round(base * (1 - this.#o.backoffJitter * this.#o.rng()));
    this.#emit({ type: "disconnected", code, reason, reconnectInMs: delay });
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  #transmit(data: string): boolean {
    if (!this.#socket || this.#socket.readyState !== OPEN) return false;
    try {
      this.#socket.send(data);
      return true;
    } catch (error) {
      log.debug("send failed; the message stays queued", error);
      return false;
    }
  }

  #enqueue(data: string): void {
    if (this.#queue.length >= this.#o.queueMaxMessages) {
      this.#emit({
        type: "send-failed",
        data,
        reason: `the send queue is full (${this.#o.queueMaxMessages} messages) while disconnected`,
      });
      return;
    }
    this.#queue.push({ data, at: Date.now() });
    this.#armAgeTimer();
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#transmit(this.#queue[0].data)) this.#queue.shift();
    this.#armAgeTimer();
  }

  #armAgeTimer(): void {
    clearTimeout(this.#ageTimer);
    this.#ageTimer = undefined;
    if (this.#queue.length === 0) return;
    const wait = this.#queue[0].at + this.#o.queueMaxAgeMs - Date.now();
    this.#ageTimer = setTimeout(() => this.#expire(), Math.max(0, wait));
  }

  #expire(): void {
    const limit = Date.now() - this.#o.queueMaxAgeMs;
    while (this.#queue.length > 0 && this.#queue[0].at <= limit) {
      const { data } = this.#queue.shift()!;
      this.#emit({
        type: "send-failed",
        data,
        reason: `not connected for ${this.#o.queueMaxAgeMs} ms`,
      });
    }
    this.#armAgeTimer();
  }

  #shutdown(): void {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#ageTimer);
    for (const { data } of this.#queue.splice(0)) {
      this.#emit({ type: "send-failed", data, reason: "the WebSocket was closed before sending" });
    }
    const socket = this.#socket;
    this.#socket = undefined;
    const wasOpen = this.#open;
    this.#open = false;
    if (socket) {
      try {
        socket.close(1000, "closed by the client");
      } catch { /* already closing */ }
    }
    if (wasOpen) this.#emit({ type: "disconnected", code: 1000, reason: "closed by the client" });
    this.#emit({ type: "closed" });
  }
}

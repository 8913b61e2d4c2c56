/**
 * The node's side of the signalling protocol, as a broker. It answers the server's challenge
 * with a signed announce (again after every reconnect), holds requests until the server
 * welcomed it, keeps the connection alive, and reports every server error as an output.
 *
 * @example
 * ```ts
 * import { NodeConfig } from "../core/config.ts";
 * import { startSignalClient } from "./signal_client.ts";
 * const signal = startSignalClient(await NodeConfig.create(), "ws://127.0.0.1:8765", WebSocket);
 * const outputs = signal.channelOut();
 * await signal.emitIn({ type: "list" });
 * for await (const out of outputs) {
 *   if (out.type === "list") console.log(out.nodes.map((n) => n.name));
 *   if (out.type === "list" || out.type === "error") break;
 * }
 * await signal.emitIn({ type: "close" });
 * ```
 * @module
 */

import { Broker } from "../core/broker.ts";
import type { NodeConfig, NodeInfo } from "../core/config.ts";
import { type NodeID, toHex, type U256 } from "../core/ids.ts";
import { Logger } from "../core/log.ts";
import {
  announcePayload,
  type ClientMessage,
  type NodeStats,
  parseServerMessage,
  type ServerMessage,
  SIGNAL_PROTOCOL_VERSION,
  type SignalConfig,
} from "./signal_protocol.ts";
import {
  type ServerUrls,
  WebSocketConnection,
  type WebSocketConstructor,
  type WebSocketOptions,
  type WebSocketOut,
} from "./websocket.ts";

/** Requests to the signalling server. */
export type SignalIn =
  /** Ask for a list of other nodes; the reply is a `list` output. */
  | { type: "list" }
  /** Send a connection setup message to another node through the server. */
  | { type: "relay"; to: NodeID; signal: Record<string, unknown> }
  /** Upload this node's stats. */
  | { type: "stats"; stats: NodeStats }
  /** Reconnect now if waiting to (the network came back): see `WebSocketIn` `retry`. */
  | { type: "retry" }
  /** Disconnect for good. */
  | { type: "close" };

/** What the signalling client reports. */
export type SignalOut =
  /** Announced and welcomed (after the first connection and after every reconnect). */
  | { type: "ready"; id: NodeID; config: SignalConfig; iceServers?: RTCIceServer[] }
  /** Fresh short-lived TURN credentials from the server. */
  | { type: "ice"; iceServers: RTCIceServer[] }
  /** A list of other nodes. */
  | { type: "list"; nodes: NodeInfo[] }
  /** A setup message from another node; the server vouches for `from`. */
  | { type: "relay"; from: NodeID; signal: Record<string, unknown> }
  /** An error from the server (see docs/protocol.md for codes) or about the server. */
  | { type: "error"; code: string; message: string; fatal: boolean; to?: NodeID }
  /** The connection dropped; it reconnects in `reconnectInMs`, or never when that is missing. */
  | { type: "disconnected"; reason: string; reconnectInMs?: number }
  /** A request that could not be delivered to the server. */
  | { type: "send-failed"; request: SignalIn; reason: string }
  /** Closed for good. */
  | { type: "closed" };

/** The signalling client broker type. */
export type SignalBroker = Broker<SignalIn, SignalOut>;

/** Options of {@link startSignalClient}. */
export interface SignalClientOptions {
  /** Passed to the WebSocket broker (backoff, queue limits). */
  websocket?: Omit<WebSocketOptions, "flushOnOpen">;
  /** Keep-alive interval; by default the one the server asks for in `welcome`. */
  keepAliveMs?: number;
}

/** Server errors after which reconnecting can only fail again (or fight another tab). */
const FINAL_ERRORS = new Set(["replaced", "version-mismatch", "bad-signature"]);

const log = new Logger("signal-client");

/** Connects `config`'s node to the signalling server at `url` with the runtime's `WebSocket`. */
export function startSignalClient(
  config: NodeConfig,
  url: ServerUrls,
  WebSocket: WebSocketConstructor,
  options: SignalClientOptions = {},
): SignalBroker {
  const broker: SignalBroker = new Broker("signal-client");
  const connection = new SignalConnection(config, url, WebSocket, options, (out) => {
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

/**
 * The signalling client itself, without a broker: {@link startSignalClient} puts a broker in
 * front of it, and the Network broker uses it directly. It connects at once; every output goes
 * to `emit`, in order.
 */
export class SignalConnection {
  readonly #config: NodeConfig;
  readonly #keepAliveMs: number | undefined;
  readonly #emit: (out: SignalOut) => void;
  readonly #ws: WebSocketConnection;
  /** What the socket reported, handled one after the other (answering a challenge awaits). */
  #inbox: Promise<void> = Promise.resolve();
  #announced = false;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #sentSinceKeepAlive = false;

  /** Connects `config`'s node to the server at `url`; outputs go to `emit`. */
  constructor(
    config: NodeConfig,
    url: ServerUrls,
    WebSocket: WebSocketConstructor,
    options: SignalClientOptions,
    emit: (out: SignalOut) => void,
  ) {
    this.#config = config;
    this.#keepAliveMs = options.keepAliveMs;
    this.#emit = emit;
    this.#ws = new WebSocketConnection(
      url,
      WebSocket,
      { ...options.websocket, flushOnOpen: false },
      (out) => {
        this.#inbox = this.#inbox.then(() => this.#fromSocket(out)).catch((error) =>
          log.error("handling the signalling socket failed", error)
        );
      },
    );
  }

  /** Takes one request for the server. */
  request(msg: SignalIn): void {
    if (msg.type === "close") {
      this.#stopKeepAlive();
      this.#ws.request({ type: "close" });
      return;
    }
    if (msg.type === "retry") return this.#ws.request({ type: "retry" });
    const wire: ClientMessage = msg;
    this.#sentSinceKeepAlive = true;
    this.#ws.request({ type: "send", data: JSON.stringify(wire) });
  }

  async #fromSocket(out: WebSocketOut): Promise<void> {
    switch (out.type) {
      case "message":
        return await this.#fromServer(out.data);
      case "disconnected":
        this.#announced = false;
        this.#stopKeepAlive();
        this.#emit({
          type: "disconnected",
          reason: out.reason || `code ${out.code}`,
          ...(out.reconnectInMs === undefined ? {} : { reconnectInMs: out.reconnectInMs }),
        });
        return;
      case "send-failed":
        return this.#sendFailed(out.data, out.reason);
      case "error":
        this.#emit({
          type: "error",
          code: "websocket",
          message: out.message,
          fatal: false,
        });
        return;
      case "closed":
        this.#stopKeepAlive();
        this.#emit({ type: "closed" });
        return;
      case "connected":
        return; // the server speaks first, with its challenge
    }
  }

  async #fromServer(text: string): Promise<void> {
    let message: ServerMessage;
    try {
      message = parseServerMessage(text);
    } catch (error) {
      this.#emit({
        type: "error",
        code: "bad-server-message",
        message: `the server sent a message this client cannot read: ${(error as Error).message}`,
        fatal: false,
      });
      return;
    }
    switch (message.type) {
      case "challenge":
        return await this.#answer(message.version, message.challenge);
      case "welcome":
        this.#announced = true;
        this.#ws.request({ type: "flush" });
        this.#startKeepAlive(this.#keepAliveMs ?? message.config.keepAliveMs);
        this.#emit({
          type: "ready",
          id: message.id,
          config: message.config,
          ...(message.iceServers ? { iceServers: message.iceServers } : {}),
        });
        return;
      case "ice":
        this.#emit({ type: "ice", iceServers: message.iceServers });
        return;
      case "list":
        this.#emit({ type: "list", nodes: message.nodes });
        return;
      case "relay":
        this.#emit({ type: "relay", from: message.from, signal: message.signal });
        return;
      case "pong":
        return;
      case "error":
        this.#emit({
          type: "error",
          code: message.code,
          message: message.message,
          fatal: message.fatal === true,
          ...(message.to ? { to: message.to } : {}),
        });
        if (FINAL_ERRORS.has(message.code)) this.#giveUp();
        return;
    }
  }

  async #answer(version: number, challenge: U256): Promise<void> {
    if (version !== SIGNAL_PROTOCOL_VERSION) {
      this.#emit({
        type: "error",
        code: "version-mismatch",
        message: `the server speaks signalling protocol version ${version}, this client ` +
          `version ${SIGNAL_PROTOCOL_VERSION}; use matching versions of flnet and its server`,
        fatal: true,
      });
      this.#giveUp();
      return;
    }
    const signature = await this.#config.sign(announcePayload(version, challenge));
    const announce: ClientMessage = {
      type: "announce",
      version,
      info: this.#config.info,
      signature: toHex(signature),
    };
    this.#ws.request({ type: "send", data: JSON.stringify(announce), immediate: true });
  }

  #sendFailed(data: string, reason: string): void {
    let wire: ClientMessage;
    try {
      wire = JSON.parse(data);
    } catch {
      return log.error("a frame this client wrote is not JSON", data);
    }
    if (wire.type === "announce" || wire.type === "ping") return; // redone on the next connection
    const { rid: _, ...request } = wire as ClientMessage & { rid?: number };
    this.#emit({ type: "send-failed", request: request as SignalIn, reason });
  }

  #giveUp(): void {
    this.#stopKeepAlive();
    this.#ws.request({ type: "close" });
  }

  #startKeepAlive(everyMs: number): void {
    this.#stopKeepAlive();
    this.#sentSinceKeepAlive = false;
    this.#keepAlive = setInterval(() => {
      if (!this.#announced) return;
      if (!this.#sentSinceKeepAlive) {
        this.#ws.request({ type: "send", data: '{"type":"ping"}', immediate: true });
      }
      this.#sentSinceKeepAlive = false;
    }, Math.max(50, everyMs));
  }

  #stopKeepAlive(): void {
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }
}

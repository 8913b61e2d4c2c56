/**
 * The signalling server's protocol logic, independent of any runtime: an adapter (see
 * `signal/main.ts` for Deno) hands it each WebSocket as a {@link SignalPeer} and feeds it the
 * frames that arrive. The protocol is in `net/signal_protocol.ts` and docs/protocol.md.
 *
 * What it guarantees: a node is known only after it signed the server's fresh challenge with
 * the key of the id it claims; every relayed message carries the sender id the server saw
 * proven; every bad input gets an error with a code (and a close where continuing makes no
 * sense); nothing a client sends can crash it.
 * @module
 */

import { nodeIdOf, type NodeInfo, verifySignature } from "../core/config.ts";
import { fromHex, type NodeID, U256 } from "../core/ids.ts";
import { Logger } from "../core/log.ts";
import { sample } from "../core/random.ts";
import { addressKey } from "./client_address.ts";
import { DEFAULT_TURN_TTL_SECONDS, turnCredentials } from "./turn_credentials.ts";
import {
  type ServerSideConnection,
  SIGNAL_DEFAULTS,
  type SignalNodeView,
  type SignalPeer,
  type SignalServerOptions,
  type SignalStats,
} from "./server_options.ts";

import { datedChallenge, SignalCluster } from "./cluster.ts";
import type { ClusterBus, ClusterHost, ClusterOptions, RelayOutcome } from "./cluster_options.ts";
import {
  announcePayload,
  type ClientMessage,
  type NodeStats,
  parseClientMessage,
  type RequestId,
  type ServerMessage,
  SIGNAL_ERRORS,
  SIGNAL_PROTOCOL_VERSION,
  type SignalConfig,
  type SignalErrorCode,
  SignalProtocolError,
} from "../net/signal_protocol.ts";

const log = new Logger("signal");
/**
 * The most relays one node may have waiting for other servers of a cluster: a connection setup
 * needs a handful, and no node can take the server's whole share of the cluster.
 */
const MAX_RELAYS_AWAY = 64;
const encoder = new TextEncoder();

class Connection implements ServerSideConnection {
  readonly challenge: NodeID = datedChallenge();
  readonly openedAt: number = Date.now();
  lastSeen: number = Date.now();
  state: "new" | "verifying" | "announced" | "closed" = "new";
  info: NodeInfo | undefined;
  id: NodeID | undefined;
  announcedAt = 0;
  stats: NodeStats | undefined;
  tokens: number;
  refilledAt: number = Date.now();
  /** Relays of this node waiting for another server of the cluster to confirm them. */
  relaysAway = 0;
  /** When the node's TURN credentials were issued (ms), when the server hands them out. */
  turnIssuedAt = 0;
  /** Frames that arrived while the announce signature was being checked. */
  backlog: string[] = [];

  constructor(
    readonly server: SignalServer,
    readonly peer: SignalPeer,
    burst: number,
    /** Where it comes from, as counted for the per-address limit. */
    readonly address: string | undefined,
  ) {
    this.tokens = burst;
  }

  receive(data: unknown): void {
    try {
      this.server.handleFrame(this, data);
    } catch (error) {
      log.error("unexpected failure while handling a frame", error);
      this.server.sendError(this, "internal", "the server failed on this message; it was dropped");
    }
  }

  closed(): void {
    this.server.forget(this);
  }
}

/**
 * The signalling server: proves identities, lists nodes and relays connection setup messages.
 *
 * @example Drive it with any WebSocket implementation
 * ```ts
 * import { SignalServer } from "./server.ts";
 * const server = new SignalServer({ maxListLength: 20 });
 * Deno.serve({ port: 0, onListen: () => {} }, (request) => {
 *   const { socket, response } = Deno.upgradeWebSocket(request);
 *   socket.onopen = () => {
 *     const connection = server.connect(socket);
 *     socket.onmessage = (event) => connection.receive(event.data);
 *     socket.onclose = () => connection.closed();
 *   };
 *   return response;
 * }).shutdown();
 * await server.close();
 * ```
 */
export class SignalServer implements ClusterHost {
  /** The settings in force. */
  readonly options: SignalServerOptions;
  readonly #connections = new Set<Connection>();
  readonly #nodes = new Map<NodeID, Connection>();
  readonly #perAddress = new Map<string, number>();
  readonly #errors: Partial<Record<SignalErrorCode, number>> = {};
  readonly #started = Date.now();
  #relayed = 0;
  #bytesRelayed = 0;
  #bytesReceived = 0;
  #bytesSent = 0;
  #frames = 0;
  #sweeper: ReturnType<typeof setInterval>;
  #closing = false;
  #cluster: SignalCluster | undefined;

  /** Starts the server's timers; connections come in through {@link connect}. */
  constructor(options: Partial<SignalServerOptions> = {}) {
    this.options = { ...SIGNAL_DEFAULTS, ...options };
    const every = Math.max(
      10,
      Math.min(1000, this.options.announceTimeoutMs / 4, this.options.ttlMs / 4),
    );
    this.#sweeper = setInterval(() => this.#sweep(), every);
  }

  /** The configuration sent to nodes in `welcome`. */
  get config(): SignalConfig {
    const o = this.options;
    return {
      ttlMs: o.ttlMs,
      keepAliveMs: Math.floor(o.ttlMs / 3),
      maxListLength: o.maxListLength,
      maxFrameBytes: o.maxFrameBytes,
      ratePerSecond: o.ratePerSecond,
      rateBurst: o.rateBurst,
    };
  }

  /**
   * Takes a newly opened socket: sends the challenge and returns what to call on events.
   * `address` is the client's IP address (see {@link addressKey}), for the per-address limit;
   * without it the connection is not counted per address.
   */
  connect(peer: SignalPeer, address?: string): ServerSideConnection {
    const key = address === undefined ? undefined : addressKey(address);
    const connection = new Connection(this, peer, this.options.rateBurst, key);
    const fromThere = key === undefined ? 0 : this.#perAddress.get(key) ?? 0;
    if (this.#closing) {
      this.sendError(connection, "shutting-down", "the server is shutting down; try again later");
      return connection;
    }
    if (this.#connections.size >= this.options.maxConnections) {
      this.sendError(
        connection,
        "too-many-connections",
        `the server holds its maximum of ${this.options.maxConnections} connections`,
      );
      return connection;
    }
    if (key !== undefined && fromThere >= this.options.maxConnectionsPerAddress) {
      this.sendError(
        connection,
        "too-many-from-address",
        `${key} holds its maximum of ${this.options.maxConnectionsPerAddress} connections; ` +
          "if this server is behind a reverse proxy, start it with --trust-proxy",
      );
      return connection;
    }
    if (key !== undefined) this.#perAddress.set(key, fromThere + 1);
    this.#connections.add(connection);
    this.#send(connection, {
      type: "challenge",
      version: SIGNAL_PROTOCOL_VERSION,
      challenge: connection.challenge,
      server: this.options.serverName,
    });
    return connection;
  }

  /**
   * Makes this server one of several sharing the work over `bus` (NATS in practice): relays
   * reach nodes on the other servers, lists cover them all, a node that moves here is closed
   * there. Call it before nodes connect; {@link close} leaves the cluster.
   */
  joinCluster(bus: ClusterBus, options: Partial<ClusterOptions> = {}): SignalCluster {
    if (this.#cluster) throw new Error("this server already joined a cluster");
    this.#cluster = new SignalCluster(bus, this, { rng: this.options.rng, ...options });
    return this.#cluster;
  }

  /** Counters for monitoring. */
  stats(): SignalStats {
    return {
      ...(this.#cluster ? { cluster: this.#cluster.stats() } : {}),
      nodesOnline: this.#nodes.size,
      connections: this.#connections.size,
      messagesRelayed: this.#relayed,
      bytesRelayed: this.#bytesRelayed,
      framesReceived: this.#frames,
      bytesReceived: this.#bytesReceived,
      bytesSent: this.#bytesSent,
      errorsByCode: { ...this.#errors },
      uptimeSeconds: Math.round((Date.now() - this.#started) / 1000),
    };
  }

  /** Every announced node with its uploaded stats. */
  nodes(): SignalNodeView[] {
    const now = Date.now();
    return [...this.#nodes.values()].map((c) => ({
      info: c.info!,
      ...(c.stats ? { stats: c.stats } : {}),
      connectedSeconds: Math.round((now - c.announcedAt) / 1000),
    }));
  }

  /**
   * Drains: refuses new connections, tells every node the server is going away (spread over
   * `drainMs`; relays to the nodes not yet told go on meanwhile), closes every connection,
   * leaves the cluster and stops timers.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const tell = (connection: Connection) =>
      this.sendError(connection, "shutting-down", "the server is shutting down; reconnect later");
    const announced = [...this.#connections].filter((c) => c.state === "announced");
    for (const connection of this.#connections) {
      if (connection.state !== "announced") tell(connection);
    }
    const gap = announced.length > 0 ? this.options.drainMs / announced.length : 0;
    for (const [i, connection] of announced.entries()) {
      if (i > 0 && gap >= 1) await new Promise((resolve) => setTimeout(resolve, gap));
      if (connection.state !== "closed") tell(connection);
    }
    clearInterval(this.#sweeper);
    await this.#cluster?.close();
  }

  /** @internal {@link ClusterHost}: delivers a relay from another server. */
  deliver(to: NodeID, frame: string): RelayOutcome {
    const target = this.#nodes.get(to);
    if (!target) return "unknown-node";
    return this.#deliver(target, frame);
  }

  /** @internal {@link ClusterHost}: node `id` announced on another server. */
  replaced(id: NodeID): void {
    const connection = this.#nodes.get(id);
    if (!connection) return;
    this.sendError(
      connection,
      "replaced",
      "the same node id announced on another server of the cluster; this connection is closed",
    );
  }

  /** @internal {@link ClusterHost}: up to `count` random local nodes, not `exclude`. */
  sample(count: number, exclude?: NodeID): NodeInfo[] {
    const others: NodeInfo[] = [];
    for (const [id, node] of this.#nodes) if (id !== exclude) others.push(node.info!);
    return sample(others, count, this.options.rng);
  }

  /** @internal {@link ClusterHost}: when node `id` announced here. */
  announcedAt(id: NodeID): number | undefined {
    return this.#nodes.get(id)?.announcedAt;
  }

  /** @internal {@link ClusterHost}: announced nodes here. */
  nodeCount(): number {
    return this.#nodes.size;
  }

  /** @internal Called by a connection for each frame. */
  handleFrame(connection: Connection, data: unknown): void {
    if (connection.state === "closed") return;
    this.#frames++;
    this.#bytesReceived += typeof data === "string"
      ? data.length
      : (data as { byteLength?: number })?.byteLength ?? 0;
    connection.lastSeen = Date.now();
    if (!this.#takeToken(connection)) {
      this.sendError(
        connection,
        "rate-limited",
        `more than ${this.options.ratePerSecond} frames per second ` +
          `(burst ${this.options.rateBurst}); slow down and reconnect`,
      );
      return;
    }
    if (typeof data !== "string") {
      this.sendError(connection, "binary-frame", "only JSON text frames are accepted");
      return;
    }
    if (
      data.length > this.options.maxFrameBytes ||
      (data.length * 3 > this.options.maxFrameBytes &&
        encoder.encode(data).length > this.options.maxFrameBytes)
    ) {
      this.sendError(
        connection,
        "frame-too-large",
        `frames may hold at most ${this.options.maxFrameBytes} bytes`,
      );
      return;
    }
    if (connection.state === "verifying") {
      connection.backlog.push(data);
      return;
    }
    this.#handleText(connection, data);
  }

  #handleText(connection: Connection, text: string): void {
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (error) {
      if (!(error instanceof SignalProtocolError)) throw error;
      if (error.code === "unknown-type" && connection.state !== "announced") {
        this.#refuseBeforeAnnounce(connection, error.rid);
      } else {
        this.sendError(connection, error.code, error.message, { rid: error.rid });
      }
      return;
    }
    if (connection.state !== "announced") {
      if (message.type === "announce") {
        this.#announce(connection, message).catch((error) => {
          log.error("unexpected failure while checking an announce", error);
          if (connection.state === "verifying") connection.state = "new";
          this.sendError(connection, "internal", "the server failed to check the announce");
        });
      } else if (message.type === "ping") {
        this.#send(connection, withRid({ type: "pong" }, message.rid));
      } else this.#refuseBeforeAnnounce(connection, message.rid);
      return;
    }
    switch (message.type) {
      case "announce":
        this.sendError(connection, "already-announced", "this connection already announced", {
          rid: message.rid,
        });
        return;
      case "list":
        this.#list(connection, message.rid);
        return;
      case "relay":
        this.#relay(connection, message);
        return;
      case "stats":
        connection.stats = message.stats;
        return;
      case "ping":
        this.#send(connection, withRid({ type: "pong" }, message.rid));
        return;
    }
  }

  #refuseBeforeAnnounce(connection: Connection, rid: RequestId | undefined): void {
    this.sendError(
      connection,
      "not-announced",
      "announce first: answer the challenge with a signed announce",
      { rid },
    );
  }

  async #announce(connection: Connection, message: ClientMessage & { type: "announce" }) {
    if (message.version !== SIGNAL_PROTOCOL_VERSION) {
      this.sendError(
        connection,
        "version-mismatch",
        `this server speaks signalling protocol version ${SIGNAL_PROTOCOL_VERSION}, ` +
          `the node announced version ${message.version}; use matching flnet versions`,
        { rid: message.rid },
      );
      return;
    }
    connection.state = "verifying";
    const id = nodeIdOf(message.info);
    const valid = await verifySignature(
      id,
      announcePayload(SIGNAL_PROTOCOL_VERSION, connection.challenge),
      fromHex(message.signature),
    );
    if (connection.state !== "verifying") return; // closed while verifying
    if (!valid) {
      this.sendError(
        connection,
        "bad-signature",
        "the announce signature does not match the challenge and the announced public key",
        { rid: message.rid },
      );
      return;
    }
    const previous = this.#nodes.get(id);
    if (previous && previous !== connection) {
      this.sendError(
        previous,
        "replaced",
        "another connection announced the same node id; this one is closed",
      );
    }
    connection.state = "announced";
    connection.info = message.info;
    connection.id = id;
    connection.announcedAt = Date.now();
    this.#nodes.set(id, connection);
    log.info(`node ${U256.short(id)} "${message.info.name}" announced`);
    // relays from other servers can reach the node once the bus knows its home
    await this.#cluster?.claim(id, {
      challenge: connection.challenge,
      signature: message.signature,
    });
    const iceServers = await this.#turnFor(connection);
    if (connection.state !== "announced") return; // closed meanwhile
    this.#send(
      connection,
      withRid({ type: "welcome", id, config: this.config, ...iceServers }, message.rid),
    );
    const backlog = connection.backlog;
    connection.backlog = [];
    for (const text of backlog) {
      if (connection.state !== "announced") break;
      this.#handleText(connection, text);
    }
  }

  /** Fresh TURN credentials for the connection's node, when the server hands them out. */
  async #turnFor(connection: Connection): Promise<{ iceServers?: RTCIceServer[] }> {
    const turn = this.options.turn;
    if (!turn || !connection.id) return {};
    connection.turnIssuedAt = Date.now();
    return { iceServers: [await turnCredentials(turn, connection.id)] };
  }

  #list(connection: Connection, rid: RequestId | undefined): void {
    const reply = (nodes: NodeInfo[]) => {
      if (connection.state === "announced") {
        this.#send(connection, withRid({ type: "list", nodes }, rid));
      }
    };
    if (!this.#cluster) return reply(this.sample(this.options.maxListLength, connection.id));
    this.#cluster.list(this.options.maxListLength, connection.id).then(reply, (error) => {
      log.warn("listing the cluster's nodes failed; answering with this server's", error);
      reply(this.sample(this.options.maxListLength, connection.id));
    });
  }

  #relay(connection: Connection, message: ClientMessage & { type: "relay" }): void {
    const target = this.#nodes.get(message.to);
    const failed = (outcome: RelayOutcome) => {
      if (outcome === "ok") return;
      const short = U256.short(message.to);
      this.sendError(
        connection,
        outcome,
        outcome === "unknown-node"
          ? `node ${short} is not connected to this server${this.#cluster ? " or its cluster" : ""}`
          : outcome === "target-overloaded"
          ? `node ${short} is not reading its messages; try again later`
          : `the cluster did not confirm delivery to the server of node ${short} (it is ` +
            "unreachable or overloaded; the message may still arrive); try again later",
        { rid: message.rid, to: message.to },
      );
    };
    if (!target && !this.#cluster) return failed("unknown-node");
    const frame = JSON.stringify({ type: "relay", from: connection.id, signal: message.signal });
    if (target) return failed(this.#deliver(target, frame));
    if (connection.relaysAway >= MAX_RELAYS_AWAY) return failed("relay-failed");
    connection.relaysAway++;
    this.#cluster!.relay(message.to, frame).then((outcome) => {
      connection.relaysAway--;
      failed(outcome);
    });
  }

  /** Sends a `relay` frame to the node of `target`, unless it is not reading. */
  #deliver(target: Connection, frame: string): RelayOutcome {
    if ((target.peer.bufferedAmount ?? 0) > this.options.maxBufferedBytes) {
      return "target-overloaded";
    }
    this.#relayed++;
    this.#bytesRelayed += frame.length;
    this.#sendText(target, frame);
    return "ok";
  }

  /** @internal Sends an error; for a fatal code also closes and forgets the connection. */
  sendError(
    connection: Connection,
    code: SignalErrorCode,
    message: string,
    extra: { rid?: RequestId; to?: NodeID } = {},
  ): void {
    this.#errors[code] = (this.#errors[code] ?? 0) + 1;
    const { fatal, closeCode } = SIGNAL_ERRORS[code];
    const error: ServerMessage = { type: "error", code, message, fatal };
    if (extra.rid !== undefined) error.rid = extra.rid;
    if (extra.to !== undefined) error.to = extra.to;
    this.#send(connection, error);
    if (fatal) {
      log.debug(`closing a connection: ${code}`);
      this.forget(connection);
      setTimeout(() => {
        try {
          connection.peer.close(closeCode, code);
        } catch (closeError) {
          log.debug("closing a socket failed", closeError);
        }
      }, this.options.closeGraceMs);
    }
  }

  /** @internal Drops a connection from every table (its socket closed or is closing). */
  forget(connection: Connection): void {
    if (connection.state === "closed") return;
    connection.state = "closed";
    connection.backlog = [];
    if (this.#connections.delete(connection) && connection.address !== undefined) {
      const left = (this.#perAddress.get(connection.address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(connection.address, left);
      else this.#perAddress.delete(connection.address);
    }
    if (connection.id && this.#nodes.get(connection.id) === connection) {
      this.#nodes.delete(connection.id);
      this.#cluster?.release(connection.id);
      log.info(`node ${U256.short(connection.id)} left`);
    }
  }

  #send(connection: Connection, message: ServerMessage): void {
    this.#sendText(connection, JSON.stringify(message));
  }

  #sendText(connection: Connection, text: string): void {
    try {
      this.#bytesSent += text.length;
      connection.peer.send(text);
    } catch (error) {
      log.debug("sending to a closing socket failed", error);
      this.forget(connection);
    }
  }

  #takeToken(connection: Connection): boolean {
    const now = Date.now();
    const { ratePerSecond, rateBurst } = this.options;
    connection.tokens = Math.min(
      rateBurst,
      connection.tokens + ((now - connection.refilledAt) / 1000) * ratePerSecond,
    );
    connection.refilledAt = now;
    if (connection.tokens < 1) return false;
    connection.tokens--;
    return true;
  }

  /** Whether the connection's TURN credentials are past half their life. */
  #turnDue(connection: Connection, now: number): boolean {
    const turn = this.options.turn;
    if (!turn || connection.state !== "announced") return false;
    return now - connection.turnIssuedAt > (turn.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS) * 500;
  }

  #sweep(): void {
    const now = Date.now();
    for (const connection of [...this.#connections]) {
      if (connection.state !== "announced" && connection.state !== "verifying") {
        if (now - connection.openedAt > this.options.announceTimeoutMs) {
          this.sendError(
            connection,
            "announce-timeout",
            `no valid announce within ${this.options.announceTimeoutMs} ms`,
          );
        }
      } else if (now - connection.lastSeen > this.options.ttlMs) {
        this.sendError(
          connection,
          "ttl-expired",
          `nothing received for ${this.options.ttlMs} ms; send ping to stay connected`,
        );
      } else if (this.#turnDue(connection, now)) {
        this.#turnFor(connection).then(({ iceServers }) => {
          if (iceServers && connection.state === "announced") {
            this.#send(connection, { type: "ice", iceServers });
          }
        }).catch((error) => log.warn("issuing TURN credentials failed", error));
      }
    }
  }
}

function withRid<T extends ServerMessage>(message: T, rid: RequestId | undefined): T {
  if (rid !== undefined) (message as { rid?: RequestId }).rid = rid;
  return message;
}

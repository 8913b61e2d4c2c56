/**
 * Several signalling servers as one: the part of a server that talks to the others over a
 * message bus (NATS core in practice, see `adapters/nats/nats_bus.ts`), independent of any
 * runtime and of the bus's client library.
 *
 * - A node is served by the server it connected to, its home. The home listens on the subject
 *   `<prefix>.node.<id>`, so a relay to a node on another server is one request to that subject:
 *   the bus routes it to the home, which answers how the delivery went, and a relay to a node
 *   nobody holds fails at once ("no responders") instead of vanishing.
 * - When a node announces, its new home first tells any old home (the same subject) that the
 *   node moved, with the node's signed announce as proof; the old home closes that connection
 *   with `replaced` only when the signature holds and the announce is fresh (its challenge
 *   dated within a minute, and after the node announced there).
 * - What comes over the bus is checked before it is used: a relay is forwarded only as a
 *   relay frame (type, sender and signal and nothing else, as the node will read it: no `ice` or
 *   other server message can be slipped to a node), of at most {@link MAX_RELAY_CHARS}; heartbeats and samples are bounded,
 *   and a list keeps at least this server's fair share of its own nodes however many nodes
 *   another server claims.
 * - Every server publishes a heartbeat on `<prefix>.servers` with how many nodes it holds. A
 *   `list` draws its nodes from the servers in proportion to those counts, asking a few of them
 *   for a sample (`<prefix>.server.<id>.sample`): the answer covers the whole cluster, and no
 *   server holds another's nodes. A server whose heartbeats stop drops out of the view after
 *   three missed beats; its nodes were never stored elsewhere, so nothing stale remains.
 *
 * docs/deploy.md describes the messages between servers.
 * @module
 */

import { type NodeInfo, parseNodeInfo, verifySignature } from "../core/config.ts";
import { fromHex, type NodeID, U256 } from "../core/ids.ts";
import { announcePayload, SIGNAL_PROTOCOL_VERSION } from "../net/signal_protocol.ts";
import { Logger } from "../core/log.ts";
import type { Rng } from "../core/random.ts";

import {
  type AnnounceProof,
  CLUSTER_DEFAULTS,
  type ClusterBus,
  type ClusterHost,
  type ClusterOptions,
  type ClusterStats,
  NoRespondersError,
  type RelayOutcome,
} from "./cluster_options.ts";

const log = new Logger("signal-cluster");
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SERVER_ID = /^[0-9a-f]{16}$/;
/** Largest list sample one server asks another for. */
const MAX_SAMPLE = 1_000;
/** The largest relay frame taken from the bus (characters). */
export const MAX_RELAY_CHARS = 256 * 1024;
/** The most nodes one server's heartbeat may claim (more is not believed). */
export const MAX_CLAIMED_NODES = 1_000_000;
/**
 * How old a moved node's announce may be (by its challenge's time), and how much earlier than its
 * announce here: servers' clocks may differ by this much.
 */
export const MOVED_WINDOW_MS = 60_000;
export const SERVER_CLOCK_SKEW_MS = 30_000;

/**
 * A fresh challenge for a node's announce: the time (ms, 12 hex digits), then 52 random hex
 * digits; another server of the cluster can tell from it how old an announce is.
 */
export function datedChallenge(now: number = Date.now()): NodeID {
  return (now.toString(16).padStart(12, "0").slice(-12) + U256.random().slice(12)) as NodeID;
}

/** The cluster side of one signalling server. */
export class SignalCluster {
  /** This server's id in the cluster: 16 hex digits, random. */
  readonly serverId: string;
  readonly #bus: ClusterBus;
  readonly #host: ClusterHost;
  readonly #o: ClusterOptions;
  readonly #prefix: string;
  readonly #homes = new Map<NodeID, { unsubscribe(): void }>();
  readonly #servers = new Map<string, { nodes: number; seen: number }>();
  readonly #subscriptions: { unsubscribe(): void }[] = [];
  readonly #heartbeat: ReturnType<typeof setInterval>;
  #pendingRelays = 0;
  #pendingLists = 0;
  /** The node count of the last heartbeat, and a beat scheduled early because it changed. */
  #lastBeatNodes = 0;
  #earlyBeat: ReturnType<typeof setTimeout> | undefined;
  #badMessages = 0;
  readonly #relaysOut = outcomes();
  readonly #relaysIn = outcomes();
  #closed = false;

  /** Joins the cluster on `bus`: listens for the others and starts the heartbeat. */
  constructor(bus: ClusterBus, host: ClusterHost, options: Partial<ClusterOptions> = {}) {
    this.#o = { ...CLUSTER_DEFAULTS, ...options };
    if (!NAME.test(this.#o.name)) {
      throw new RangeError(
        `cluster name "${this.#o.name}": use 1 to 64 letters, digits, "-" or "_"`,
      );
    }
    this.#bus = bus;
    this.#host = host;
    this.#prefix = `flnet.${this.#o.name}`;
    this.serverId = Array.from(
      { length: 16 },
      () => Math.floor(this.#o.rng() * 16).toString(16),
    ).join("");
    this.#subscriptions.push(
      bus.subscribe(`${this.#prefix}.servers`, (data) => this.#heard(data)),
      bus.subscribe(
        `${this.#prefix}.server.${this.serverId}.sample`,
        (data, respond) => this.#answerSample(data, respond),
      ),
    );
    this.#beat();
    this.#heartbeat = setInterval(() => this.#beat(), this.#o.heartbeatMs);
  }

  /**
   * Makes this server node `id`'s home: tells any other home that the node moved (with `proof`,
   * the node's announce here), and listens for relays to it. Resolves once the bus has the
   * subscription (or after a second).
   */
  async claim(id: NodeID, proof: AnnounceProof): Promise<void> {
    if (this.#closed) return;
    const subject = this.#nodeSubject(id);
    this.#bus.publish(subject, `moved\n${this.serverId}\n${proof.challenge}\n${proof.signature}`);
    if (!this.#homes.has(id)) {
      this.#homes.set(
        id,
        this.#bus.subscribe(subject, (data, respond) => this.#toNode(id, data, respond)),
      );
    }
    this.#countChanged();
    await this.#bus.flush(1_000);
  }

  /** Node `id` left this server: stop listening for it. */
  release(id: NodeID): void {
    this.#homes.get(id)?.unsubscribe();
    if (this.#homes.delete(id)) this.#countChanged();
  }

  /**
   * Beats early (within 100 ms) when the node count moved by a tenth or more since the last
   * beat, so that a small cluster lists a new node at once; a large one beats on its period.
   */
  #countChanged(): void {
    if (this.#earlyBeat || this.#closed) return;
    const moved = Math.abs(this.#host.nodeCount() - this.#lastBeatNodes);
    if (moved < Math.max(1, this.#lastBeatNodes / 10)) return;
    this.#earlyBeat = setTimeout(() => {
      this.#earlyBeat = undefined;
      this.#beat();
    }, 100);
  }

  /**
   * Relays `frame` (the `relay` message as node `to` is to get it, made once by this server) to
   * `to` on whichever server holds it; the other server forwards it as it is.
   */
  async relay(to: NodeID, frame: string): Promise<RelayOutcome> {
    const outcome = await this.#relay(to, frame);
    this.#relaysOut[outcome]++;
    return outcome;
  }

  async #relay(to: NodeID, frame: string): Promise<RelayOutcome> {
    if (this.#closed || !this.#bus.connected) return "relay-failed";
    if (this.#pendingRelays >= this.#o.maxPendingRelays) return "relay-failed";
    this.#pendingRelays++;
    try {
      const outcome = await this.#bus.request(
        this.#nodeSubject(to),
        `relay\n${frame}`,
        this.#o.relayTimeoutMs,
      );
      return isOutcome(outcome) ? outcome : "relay-failed";
    } catch (error) {
      if (error instanceof NoRespondersError) return "unknown-node";
      log.debug(`a relay to ${U256.short(to)} failed`, error);
      return "relay-failed";
    } finally {
      this.#pendingRelays--;
    }
  }

  /**
   * Up to `count` nodes of the whole cluster, not `exclude`: each server's share in proportion
   * to the nodes it holds, this server's from memory, the others' asked for over the bus. A
   * server that does not answer in time only makes the list shorter; with `maxPendingLists`
   * lists waiting already, the list holds this server's nodes alone.
   */
  async list(count: number, exclude?: NodeID): Promise<NodeInfo[]> {
    if (this.#pendingLists >= this.#o.maxPendingLists) return this.#host.sample(count, exclude);
    this.#pendingLists++;
    try {
      return await this.#clusterList(count, exclude);
    } finally {
      this.#pendingLists--;
    }
  }

  async #clusterList(count: number, exclude?: NodeID): Promise<NodeInfo[]> {
    const local = Math.max(0, this.#host.nodeCount() - (exclude ? 1 : 0));
    const remote = this.#pickServers();
    // this server's own nodes keep at least a fair share, whatever the others claim to hold
    const mine = Math.min(local, Math.ceil(count / (remote.length + 1)));
    const weights = [local - mine, ...remote.map(([, nodes]) => nodes)];
    const quotas = drawQuotas(weights, count - mine, this.#o.rng);
    quotas[0] += mine;
    const parts = await Promise.all([
      Promise.resolve(this.#host.sample(quotas[0], exclude)),
      ...remote.map(([server], i) =>
        quotas[i + 1] > 0 ? this.#askSample(server, quotas[i + 1]) : Promise.resolve([])
      ),
    ]);
    const seen = new Set<string>(exclude ? [exclude] : []);
    const nodes: NodeInfo[] = [];
    for (const info of parts.flat()) {
      if (seen.has(info.pubkey) || nodes.length >= count) continue;
      seen.add(info.pubkey);
      nodes.push(info);
    }
    return nodes;
  }

  /** The cluster as this server sees it. */
  stats(): ClusterStats {
    this.#expire();
    let clusterNodes = this.#host.nodeCount();
    for (const { nodes } of this.#servers.values()) clusterNodes += nodes;
    return {
      serverId: this.serverId,
      name: this.#o.name,
      busConnected: this.#bus.connected,
      busServer: this.#bus.server,
      peers: this.#servers.size,
      clusterNodes,
      relaysOut: { ...this.#relaysOut },
      relaysIn: { ...this.#relaysIn },
      badMessages: this.#badMessages,
    };
  }

  /** Leaves the cluster: tells the others (a last heartbeat with no nodes) and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#earlyBeat);
    this.#bus.publish(
      `${this.#prefix}.servers`,
      JSON.stringify({ server: this.serverId, nodes: 0, leaving: true }),
    );
    for (const home of this.#homes.values()) home.unsubscribe();
    this.#homes.clear();
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    await this.#bus.close();
  }

  #nodeSubject(id: NodeID): string {
    return `${this.#prefix}.node.${id}`;
  }

  #beat(): void {
    if (!this.#bus.connected) return;
    this.#lastBeatNodes = this.#host.nodeCount();
    this.#bus.publish(
      `${this.#prefix}.servers`,
      JSON.stringify({ server: this.serverId, nodes: this.#lastBeatNodes }),
    );
  }

  #heard(data: string): void {
    const beat = this.#parse(data) as { server?: unknown; nodes?: unknown; leaving?: unknown };
    if (!beat || typeof beat.server !== "string" || !SERVER_ID.test(beat.server)) return;
    if (beat.server === this.serverId) return;
    if (beat.leaving === true) {
      this.#servers.delete(beat.server);
      return;
    }
    const nodes = beat.nodes;
    if (
      typeof nodes !== "number" || !Number.isSafeInteger(nodes) || nodes < 0 ||
      nodes > MAX_CLAIMED_NODES
    ) {
      this.#badMessages++;
      return;
    }
    if (!this.#servers.has(beat.server) && this.#servers.size >= this.#o.maxServers) {
      this.#expire();
      if (this.#servers.size >= this.#o.maxServers) return;
    }
    this.#servers.set(beat.server, { nodes, seen: this.#o.now() });
  }

  #expire(): void {
    const deadline = this.#o.now() - 3 * this.#o.heartbeatMs;
    for (const [server, { seen }] of this.#servers) {
      if (seen < deadline) this.#servers.delete(server);
    }
  }

  /** At most `maxServersPerList` live servers with nodes, drawn in proportion to their nodes. */
  #pickServers(): [string, number][] {
    this.#expire();
    const live = [...this.#servers].filter(([, { nodes }]) => nodes > 0).map((
      [server, { nodes }],
    ): [string, number] => [server, nodes]);
    const picked: [string, number][] = [];
    while (picked.length < this.#o.maxServersPerList && live.length > 0) {
      const total = live.reduce((sum, [, nodes]) => sum + nodes, 0);
      let at = this.#o.rng() * total;
      let i = 0;
      while (i < live.length - 1 && at >= live[i][1]) at -= live[i++][1];
      picked.push(live[i]);
      live.splice(i, 1);
    }
    return picked;
  }

  async #askSample(server: string, count: number): Promise<NodeInfo[]> {
    try {
      const reply = await this.#bus.request(
        `${this.#prefix}.server.${server}.sample`,
        JSON.stringify({ count }),
        this.#o.sampleTimeoutMs,
      );
      const nodes = (this.#parse(reply) as { nodes?: unknown })?.nodes;
      if (!Array.isArray(nodes)) throw new Error("the reply has no node list");
      return nodes.slice(0, count).map((node) => parseNodeInfo(node, "a listed node"));
    } catch (error) {
      if (error instanceof NoRespondersError) this.#servers.delete(server);
      else log.debug(`server ${server} gave no sample`, error);
      return [];
    }
  }

  #answerSample(data: string, respond: (reply: string) => void): void {
    const count = (this.#parse(data) as { count?: unknown })?.count;
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
      this.#badMessages++;
      return;
    }
    respond(JSON.stringify({ nodes: this.#host.sample(Math.min(count, MAX_SAMPLE)) }));
  }

  #toNode(id: NodeID, data: string, respond: (reply: string) => void): void {
    const cut = data.indexOf("\n");
    const kind = data.slice(0, cut);
    if (kind === "relay") {
      const frame = relayFrame(data.slice(cut + 1));
      if (!frame) {
        this.#badMessages++;
        log.debug(`a relay for node ${U256.short(id)} that is no relay frame: not delivered`);
        return respond("relay-failed");
      }
      const outcome = this.#host.deliver(id, frame);
      this.#relaysIn[outcome]++;
      respond(outcome);
    } else if (kind === "moved") {
      void this.#moved(id, data.slice(cut + 1).split("\n"));
    } else {
      this.#badMessages++;
      log.debug(`a message for node ${U256.short(id)} that is neither relay nor moved`);
      respond("relay-failed");
    }
  }

  /**
   * Another server says node `id` moved there: believed only with the node's own signature of
   * a fresh announce there (see the module documentation).
   */
  async #moved(id: NodeID, [server, challenge, signature]: string[]): Promise<void> {
    if (server === this.serverId) return;
    const here = this.#host.announcedAt(id);
    if (here === undefined) return;
    const dated = U256.is(challenge) ? parseInt(challenge.slice(0, 12), 16) : NaN;
    const now = this.#o.now();
    const fresh = dated > now - MOVED_WINDOW_MS && dated < now + SERVER_CLOCK_SKEW_MS &&
      dated > here - SERVER_CLOCK_SKEW_MS;
    let proven = false;
    if (fresh && typeof signature === "string" && /^[0-9a-f]{128}$/.test(signature)) {
      const payload = announcePayload(SIGNAL_PROTOCOL_VERSION, challenge as NodeID);
      proven = await verifySignature(id, payload, fromHex(signature)).catch(() => false);
    }
    if (!proven) {
      this.#badMessages++;
      log.debug(`a "moved" for node ${U256.short(id)} without a fresh signed announce: ignored`);
      return;
    }
    if (this.#host.announcedAt(id) !== here) return; // it announced here again meanwhile
    this.release(id);
    this.#host.replaced(id);
  }

  #parse(data: string): unknown {
    try {
      const value = JSON.parse(data);
      if (typeof value === "object" && value !== null) return value;
    } catch {
      // counted below
    }
    this.#badMessages++;
    log.debug("a message from the bus that is not a JSON object");
    return undefined;
  }
}

/**
 * Splits `count` draws among sources with the given weights (multinomial), never more than a
 * source's weight; when the weights add up to no more than `count`, every source gets its
 * weight.
 */
export function drawQuotas(weights: readonly number[], count: number, rng: Rng): number[] {
  const quotas = weights.map(() => 0);
  const left = weights.slice();
  let total = left.reduce((sum, w) => sum + w, 0);
  if (total <= count) return left;
  for (let n = 0; n < count && total > 0; n++) {
    let at = rng() * total;
    let i = 0;
    while (i < left.length - 1 && at >= left[i]) at -= left[i++];
    if (left[i] <= 0) continue;
    quotas[i]++;
    left[i]--;
    total--;
  }
  return quotas;
}

/**
 * `text` when it is a relay frame as a server makes it (`{"type":"relay","from":id,"signal":{…}}`,
 * those three fields and no other), of at most {@link MAX_RELAY_CHARS}; else undefined.
 */
function relayFrame(text: string): string | undefined {
  if (text.length > MAX_RELAY_CHARS) return undefined;
  let frame: Record<string, unknown>;
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof frame !== "object" || frame === null || Object.keys(frame).length !== 3) {
    return undefined;
  }
  const { type, from, signal } = frame;
  const ok = type === "relay" && U256.is(from) && typeof signal === "object" && signal !== null;
  return ok ? text : undefined;
}

function outcomes(): Record<RelayOutcome, number> {
  return { "ok": 0, "unknown-node": 0, "target-overloaded": 0, "relay-failed": 0 };
}

function isOutcome(value: unknown): value is RelayOutcome {
  return value === "ok" || value === "unknown-node" || value === "target-overloaded" ||
    value === "relay-failed";
}

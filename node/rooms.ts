/**
 * Rooms: named groups of nodes that talk over the overlay. A node joins a topic, publishes to
 * it and hears what the other members publish, and knows who is in it. Messages and presence
 * travel as signed gossip events (modules/gossip/room_events.ts), so a room of any size costs
 * each node its O(log N) overlay connections, not a connection per member as a full mesh does,
 * and nobody can speak for another node. Every node carries every room's events (that is how
 * gossip reaches everyone), but a node hears only the rooms it joined.
 *
 * Presence is refreshed every `refreshTicks`; a member whose presence is older than
 * `presenceTtlMs` (it left without a word) is dropped, as `gone`. A node that closes leaves its
 * rooms first, so the others hear `left` at once. History is the newest room messages gossip
 * keeps (1,000 over all rooms).
 * @module
 */

import type { Subscription } from "../core/broker.ts";
import { Logger } from "../core/log.ts";
import type { NodeID } from "../core/ids.ts";
import type { TimerBroker } from "../core/timer.ts";
import { CATEGORIES, type GossipEvent } from "../modules/gossip/event.ts";
import { addEvent, type GossipBroker, listEvents } from "../modules/gossip/module.ts";
import {
  checkTopic,
  encodePresence,
  encodeRoomMessage,
  MAX_TOPICS,
  parsePresence,
  parseRoomMessage,
} from "../modules/gossip/room_events.ts";

const log = new Logger("rooms");

/** A message to a room. */
export interface RoomMessage {
  /** The room's topic. */
  topic: string;
  /** Who published it (its signature holds). */
  from: NodeID;
  /** When, ms since 1970 (the author's clock). */
  created: number;
  /** What was said. */
  data: string;
}

/** A node joined or left a room. */
export interface MemberEvent {
  /** Joined or left. */
  type: "joined" | "left";
  /** The node. */
  id: NodeID;
  /**
   * For `left`: `left` when the node said so (it left the room, or closed), `gone` when its
   * presence expired without a word (it was killed, or lost its connections).
   */
  reason?: "left" | "gone";
}

/** Settings of {@link Rooms}. */
export interface RoomsOptions {
  /** Publish this node's presence again after this many ticks (default 60). */
  refreshTicks?: number;
  /** A member whose latest presence is older than this has left, ms (default 3 minutes). */
  presenceTtlMs?: number;
  /** The clock presence is judged by, ms since 1970 (default `Date.now`; for tests). */
  now?: () => number;
}

/** One joined room's listeners and members. */
interface Joined {
  room: Room;
  messages: Set<(message: RoomMessage) => void>;
  memberEvents: Set<(event: MemberEvent) => void>;
  /** Members other than this node: when their presence was made. */
  members: Map<NodeID, number>;
}

/** The rooms of one node; `Node.join` uses it. */
export class Rooms {
  readonly #id: NodeID;
  readonly #gossip: GossipBroker;
  readonly #joined = new Map<string, Joined>();
  readonly #taps: Subscription[];
  readonly #refreshTicks: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #lastRefresh = 0;

  /** Rooms of node `id`, over its `gossip`, refreshed on `timer`'s ticks. */
  constructor(id: NodeID, gossip: GossipBroker, timer: TimerBroker, options: RoomsOptions = {}) {
    this.#id = id;
    this.#gossip = gossip;
    this.#refreshTicks = options.refreshTicks ?? 60;
    this.#ttlMs = options.presenceTtlMs ?? 180_000;
    this.#now = options.now ?? Date.now;
    this.#taps = [
      gossip.tapOut((out) => out.type === "new-event" ? this.#heard(out.event) : undefined),
      timer.tapOut(({ tick }) => this.#tick(tick)),
    ];
  }

  /** Joins `topic` (or returns the room already joined), telling the other nodes. */
  async join(topic: string): Promise<Room> {
    checkTopic(topic);
    const known = this.#joined.get(topic);
    if (known) return known.room;
    if (this.#joined.size >= MAX_TOPICS) {
      throw new RangeError(`a node is in at most ${MAX_TOPICS} rooms; leave one first`);
    }
    const joined: Joined = {
      room: new Room(topic, this),
      messages: new Set(),
      memberEvents: new Set(),
      members: new Map(),
    };
    this.#joined.set(topic, joined);
    const now = this.#now();
    for (const event of await listEvents(this.#gossip, CATEGORIES.rooms)) {
      if (event.author === this.#id || now - event.created > this.#ttlMs) continue;
      if (topicsOf(event).includes(topic)) joined.members.set(event.author, event.created);
    }
    await this.#publishPresence();
    return joined.room;
  }

  /**
   * Leaves every room (one presence event, which gossip hands to the neighbours at once), then
   * stops listening.
   */
  async close(): Promise<void> {
    const leaving = this.#joined.size > 0;
    this.#joined.clear();
    if (leaving) {
      await this.#publishPresence().catch((error) =>
        log.warn(
          `could not tell the other members this node left its rooms (${error.message}); ` +
            "they see it gone when its presence expires",
        )
      );
    }
    for (const tap of this.#taps.splice(0)) tap.remove();
  }

  /** {@link Room.publish}. */
  async publish(topic: string, data: string): Promise<void> {
    this.#mustBeIn(topic);
    await addEvent(this.#gossip, CATEGORIES.room, encodeRoomMessage(topic, data));
  }

  /** {@link Room.leave}. */
  async leave(topic: string): Promise<void> {
    if (!this.#joined.delete(topic)) return;
    await this.#publishPresence();
  }

  /** {@link Room.onMessage}. */
  onMessage(topic: string, handler: (message: RoomMessage) => void): Subscription {
    const joined = this.#mustBeIn(topic);
    joined.messages.add(handler);
    return { remove: () => joined.messages.delete(handler) };
  }

  /** {@link Room.onMember}. */
  onMember(topic: string, handler: (event: MemberEvent) => void): Subscription {
    const joined = this.#mustBeIn(topic);
    joined.memberEvents.add(handler);
    return { remove: () => joined.memberEvents.delete(handler) };
  }

  /** {@link Room.members}. */
  members(topic: string): NodeID[] {
    return [...this.#mustBeIn(topic).members.keys()];
  }

  /** {@link Room.history}. */
  async history(topic: string): Promise<RoomMessage[]> {
    this.#mustBeIn(topic);
    return (await listEvents(this.#gossip, CATEGORIES.room)).flatMap((event) => {
      const message = roomMessageOf(event);
      return message?.topic === topic ? [message] : [];
    });
  }

  #mustBeIn(topic: string): Joined {
    const joined = this.#joined.get(topic);
    if (!joined) throw new Error(`this node is not in room "${topic}": join it first`);
    return joined;
  }

  #heard(event: GossipEvent): void {
    if (event.category === CATEGORIES.room && event.author !== this.#id) {
      const message = roomMessageOf(event);
      const joined = message && this.#joined.get(message.topic);
      for (const handler of joined ? joined.messages : []) handler(message!);
    } else if (event.category === CATEGORIES.rooms && event.author !== this.#id) {
      const topics = topicsOf(event);
      for (const [topic, joined] of this.#joined) {
        const was = joined.members.has(event.author);
        if (topics.includes(topic)) joined.members.set(event.author, event.created);
        else joined.members.delete(event.author);
        if (was !== topics.includes(topic)) {
          tell(
            joined,
            was ? { type: "left", id: event.author, reason: "left" } : {
              type: "joined",
              id: event.author,
            },
          );
        }
      }
    }
  }

  #tick(tick: number): void {
    const now = this.#now();
    for (const joined of this.#joined.values()) {
      for (const [id, created] of joined.members) {
        if (now - created <= this.#ttlMs) continue;
        joined.members.delete(id);
        tell(joined, { type: "left", id, reason: "gone" });
      }
    }
    if (this.#joined.size > 0 && tick - this.#lastRefresh >= this.#refreshTicks) {
      this.#lastRefresh = tick;
      void this.#publishPresence().catch(() => {}); // a failed refresh is retried next period
    }
  }

  #publishPresence(): Promise<void> {
    return addEvent(this.#gossip, CATEGORIES.rooms, encodePresence([...this.#joined.keys()]));
  }
}

/** A room this node joined; see the module documentation. */
export class Room {
  /** Made by {@link Rooms.join}. */
  constructor(readonly topic: string, readonly rooms: Rooms) {}

  /**
   * Publishes `data` to every member. Resolves once it is signed and stored here; it reaches
   * the members as gossip does (every node that is online, and the others when they return).
   */
  publish(data: string): Promise<void> {
    return this.rooms.publish(this.topic, data);
  }

  /** Calls `handler` with every message another member publishes. */
  onMessage(handler: (message: RoomMessage) => void): Subscription {
    return this.rooms.onMessage(this.topic, handler);
  }

  /** Calls `handler` when a node joins or leaves the room. */
  onMember(handler: (event: MemberEvent) => void): Subscription {
    return this.rooms.onMember(this.topic, handler);
  }

  /** The other nodes in the room now. */
  members(): NodeID[] {
    return this.rooms.members(this.topic);
  }

  /** The room's messages this node has (its own included), oldest first. */
  history(): Promise<RoomMessage[]> {
    return this.rooms.history(this.topic);
  }

  /** Leaves the room, telling the other nodes; its listeners hear nothing more. */
  leave(): Promise<void> {
    return this.rooms.leave(this.topic);
  }
}

function tell(joined: Joined, event: MemberEvent): void {
  for (const handler of joined.memberEvents) handler(event);
}

function topicsOf(event: GossipEvent): string[] {
  try {
    return parsePresence(event.payload);
  } catch {
    return []; // signed but malformed: its author's problem
  }
}

function roomMessageOf(event: GossipEvent): RoomMessage | undefined {
  try {
    const { topic, data } = parseRoomMessage(event.payload);
    return { topic, from: event.author, created: event.created, data };
  } catch {
    return undefined;
  }
}

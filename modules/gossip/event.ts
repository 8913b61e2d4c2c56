/**
 * Gossip events: signed by their author, identified by the SHA-256 of their content, so any
 * node can check an event it got from anyone.
 *
 * @example
 * ```ts
 * import { NodeConfig } from "../../core/config.ts";
 * import { createEvent, verifyEvent } from "./event.ts";
 * const author = await NodeConfig.create();
 * const event = await createEvent(author, "chat", "hello", 1700000000000);
 * console.log(await verifyEvent(event)); // true
 * ```
 * @module
 */

import type { NodeConfig } from "../../core/config.ts";
import { verifySignature } from "../../core/config.ts";
import { fromHex, type NodeID, toHex, U256 } from "../../core/ids.ts";

/** The categories flnet uses; others can be added by applications. */
export const CATEGORIES = {
  /** A node's NodeInfo (JSON); one per author: the directory of known nodes. */
  nodeInfo: "node-info",
  /** A chat message (text). */
  chat: "chat",
  /** A node's neighbour list (modules/gossip/neighbour_list.ts); one per author. */
  neighbours: "neighbours",
  /** A message to a room (modules/gossip/room_events.ts). */
  room: "room",
  /** The rooms a node is in (modules/gossip/room_events.ts); one per author. */
  rooms: "rooms",
} as const;

/** One gossip event. Plain data: it travels as JSON. */
export interface GossipEvent {
  /** SHA-256 of the content (see {@link eventId}). */
  id: U256;
  /** What kind of event, e.g. `"chat"`. */
  category: string;
  /** The node that created and signed it. */
  author: NodeID;
  /** When it was created, in ms since 1970. */
  created: number;
  /** The content. */
  payload: string;
  /** The author's Ed25519 signature of the id's 32 bytes, in hex. */
  signature: string;
}

/** Limits that keep events small; {@link parseEvent} enforces them. */
export const EVENT_LIMITS = { category: 32, payload: 16 * 1024 } as const;

/** The id of an event: SHA-256 over its category, author, creation time and payload. */
export async function eventId(
  event: Pick<GossipEvent, "category" | "author" | "created" | "payload">,
): Promise<U256> {
  return await U256.hash(
    JSON.stringify([
      "flnet-gossip-event",
      event.category,
      event.author,
      event.created,
      event.payload,
    ]),
  );
}

/**
 * Creates and signs an event by `author`. Throws the TypeError {@link parseEvent} would give
 * every other node for it (a payload over 16,384 characters, say) instead of making an event
 * nobody would take.
 */
export async function createEvent(
  author: NodeConfig,
  category: string,
  payload: string,
  created: number = Date.now(),
): Promise<GossipEvent> {
  const content = { category, author: author.id, created, payload };
  const id = await eventId(content);
  return parseEvent({ id, ...content, signature: toHex(await author.sign(U256.toBytes(id))) });
}

// Verifying costs a signature check; its verdict is kept for the exact author, id and signature
// it was computed over (events arrive again and again, also at other nodes of one process, as in
// simulations). The content is checked against the id every time: a tampered copy carrying a real
// event's id and signature must not decide the fate of the genuine event.
const verified = new Map<string, boolean>();
const VERIFIED_LIMIT = 20_000;

/** True when the id matches the content and the author signed it. */
export async function verifyEvent(event: GossipEvent): Promise<boolean> {
  if (event.id !== await eventId(event)) return false;
  const key = event.author + event.id + event.signature;
  let valid = verified.get(key);
  if (valid === undefined) {
    valid = await verifySignature(event.author, U256.toBytes(event.id), fromHex(event.signature));
    if (verified.size >= VERIFIED_LIMIT) verified.delete(verified.keys().next().value!);
    verified.set(key, valid);
  }
  return valid;
}

/** Checks the shape of an event from the network; throws a TypeError saying what is wrong. */
export function parseEvent(value: unknown): GossipEvent {
  const v = value as Record<string, unknown>;
  if (typeof v !== "object" || v === null) throw new TypeError("an event must be an object");
  if (!U256.is(v.id) || !U256.is(v.author)) throw new TypeError("event id and author must be ids");
  if (typeof v.category !== "string" || !v.category || v.category.length > EVENT_LIMITS.category) {
    throw new TypeError(`event category must be 1 to ${EVENT_LIMITS.category} characters`);
  }
  if (!Number.isSafeInteger(v.created)) throw new TypeError("event created must be an integer");
  if (typeof v.payload !== "string" || v.payload.length > EVENT_LIMITS.payload) {
    throw new TypeError(`event payload must be a string of at most ${EVENT_LIMITS.payload}`);
  }
  if (typeof v.signature !== "string" || !/^[0-9a-f]{128}$/.test(v.signature)) {
    throw new TypeError("event signature must be 128 hex characters");
  }
  return {
    id: v.id,
    category: v.category,
    author: v.author,
    created: v.created as number,
    payload: v.payload,
    signature: v.signature,
  };
}

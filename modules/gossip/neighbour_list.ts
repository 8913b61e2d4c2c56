/**
 * Neighbour lists over gossip: each node signs and spreads the list of nodes it has open
 * connections to, with how each connection was set up, as one `neighbours` event per author
 * (the newest replaces the older: its creation time is its version). Together they are a map
 * of the whole overlay that any node can draw or route by, and that no relaying node can
 * forge.
 *
 * The payload is JSON: `{"server": [ids], "overlay": [ids], "other": [ids]}`, at most
 * {@link MAX_LISTED_NEIGHBOURS} ids in all (`other`: how the setup went is not known).
 *
 * @example
 * ```ts
 * import type { NodeID } from "../../core/ids.ts";
 * import { encodeNeighbourList, parseNeighbourList } from "./neighbour_list.ts";
 * const a = "a".repeat(64) as NodeID, b = "b".repeat(64) as NodeID;
 * const payload = encodeNeighbourList([{ id: a, via: "overlay" }, { id: b }]);
 * console.log(parseNeighbourList(payload)); // [{ id: a, via: "overlay" }, { id: b }]
 * ```
 * @module
 */

import { type NodeID, U256 } from "../../core/ids.ts";
import type { SetupVia } from "../../net/connection_status.ts";
import { CATEGORIES, type GossipEvent } from "./event.ts";

/** The most neighbours one list holds (a node has far fewer; more are left out). */
export const MAX_LISTED_NEIGHBOURS = 128;

/** The longest payload of a neighbour list, in characters (the gossip store refuses longer). */
export const NEIGHBOUR_LIST_MAX_CHARS = MAX_LISTED_NEIGHBOURS * 67 + 64;

/** One neighbour of a node, and how their connection was set up when known. */
export interface NeighbourLink {
  /** The neighbour. */
  id: NodeID;
  /** Through the signalling server or through the overlay. */
  via?: SetupVia;
}

/** A node's neighbour list as its signed event gave it. */
export interface NeighbourList {
  /** The node whose neighbours these are (the event's author). */
  node: NodeID;
  /** When the node made the list, ms since 1970. */
  created: number;
  /** Its neighbours. */
  neighbours: NeighbourLink[];
}

/** The payload of a neighbour list (the first {@link MAX_LISTED_NEIGHBOURS} of `links`). */
export function encodeNeighbourList(links: NeighbourLink[]): string {
  const groups: Record<"server" | "overlay" | "other", NodeID[]> = {
    server: [],
    overlay: [],
    other: [],
  };
  for (const link of links.slice(0, MAX_LISTED_NEIGHBOURS)) {
    groups[link.via ?? "other"].push(link.id);
  }
  return JSON.stringify(groups);
}

/** Reads a payload {@link encodeNeighbourList} wrote; throws a TypeError saying what is wrong. */
export function parseNeighbourList(payload: string): NeighbourLink[] {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    throw new TypeError("a neighbour list is JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError('a neighbour list is an object of "server", "overlay" and "other" ids');
  }
  const links: NeighbourLink[] = [];
  for (const group of ["server", "overlay", "other"] as const) {
    const ids = (value as Record<string, unknown>)[group] ?? [];
    if (!Array.isArray(ids) || !ids.every((id) => U256.is(id))) {
      throw new TypeError(`a neighbour list's "${group}" must be a list of node ids`);
    }
    for (const id of ids as NodeID[]) links.push(group === "other" ? { id } : { id, via: group });
  }
  if (links.length > MAX_LISTED_NEIGHBOURS) {
    throw new TypeError(`a neighbour list holds at most ${MAX_LISTED_NEIGHBOURS} ids`);
  }
  return links;
}

/**
 * The neighbour list an event holds, or undefined when the event is of another category or
 * malformed (signed, but not a valid list: its author's problem, not the reader's).
 */
export function neighbourList(event: GossipEvent): NeighbourList | undefined {
  if (event.category !== CATEGORIES.neighbours) return undefined;
  try {
    const neighbours = parseNeighbourList(event.payload).filter((link) => link.id !== event.author);
    return { node: event.author, created: event.created, neighbours };
  } catch {
    return undefined;
  }
}

/**
 * The node directory gossip carries: one signed `node-info` event per node, whose payload is
 * that node's info.
 * @module
 */

import { type NodeInfo, parseNodeInfo } from "../../core/config.ts";
import { CATEGORIES, type GossipEvent } from "./event.ts";

/**
 * The node info a directory event holds, or undefined when the event is of another category,
 * malformed, or about another node than its author (signed, but not a valid entry).
 */
export function directoryEntry(event: GossipEvent): NodeInfo | undefined {
  if (event.category !== CATEGORIES.nodeInfo) return undefined;
  try {
    const info = parseNodeInfo(JSON.parse(event.payload));
    return info.pubkey === event.author ? info : undefined;
  } catch {
    return undefined; // its author's problem, not the directory's
  }
}

/**
 * Messages of the gossip events module.
 * @module
 */

import type { NodeID } from "../../core/ids.ts";
import type { NetworkErrorCode } from "../../net/errors.ts";
import type { GossipEvent } from "./event.ts";

/** The module name on the wire. */
export const GOSSIP_MODULE = "gossip";

/** Settings, in ticks. */
export interface GossipConfig {
  /** Exchange the full list of ids with one random neighbour this often (default 20). */
  syncTicks: number;
  /** Ask another neighbour for an event not received after this many ticks (default 5). */
  wantTimeoutTicks: number;
  /** The storage key of the events (default `"gossip"`). */
  storageKey: string;
}

/** The defaults of {@link GossipConfig}. */
export const GOSSIP_DEFAULTS: GossipConfig = {
  syncTicks: 20,
  wantTimeoutTicks: 5,
  storageKey: "gossip",
};

/** What the module has, published on every change. */
export interface GossipState {
  /** Events kept. */
  events: number;
  /** Events kept per category. */
  byCategory: Record<string, number>;
  /** Events refused because their id or signature did not match (forgeries). */
  forged: number;
  /** Genuine events the store would not keep, remembered so as not to ask for them again. */
  declined: number;
  /** Messages from neighbours that could not be read. */
  malformed: number;
  /** Messages to neighbours the network could not deliver (anti-entropy repairs what they carried). */
  undelivered: number;
}

/** Inputs of the gossip module. */
export type GossipIn =
  /** The nodes this node is connected to now (from random connections). */
  | { type: "neighbours"; ids: NodeID[] }
  /** A gossip message from a neighbour. */
  | { type: "message"; from: NodeID; data: string | Uint8Array }
  /** A gossip message to `to` was not delivered. */
  | { type: "send-failed"; to: NodeID; code: NetworkErrorCode; message: string }
  /** A timer tick. */
  | { type: "tick"; tick: number }
  /** Create, sign and spread an event by this node. */
  | { type: "add"; category: string; payload: string }
  /** Ask for the events kept (of one category); an `events` output answers. */
  | { type: "list"; category?: string }
  /** Store the events now if they changed (they are stored on every tick otherwise). */
  | { type: "flush" };

/** Outputs of the gossip module. */
export type GossipOut =
  /** A gossip message for a neighbour. */
  | { type: "send"; to: NodeID; data: string }
  /** An event new to this node, verified and kept. */
  | { type: "new-event"; event: GossipEvent }
  /** A copy of the module's state, after every change. */
  | { type: "state"; state: GossipState }
  /** The events kept, oldest first, answering `list`. */
  | { type: "events"; category?: string; events: GossipEvent[] }
  /** Something went wrong that no message can carry (storage, signing). */
  | { type: "error"; message: string };

/** What neighbours exchange, as JSON. */
export type GossipWire =
  /** "I have these": the receiver asks for the ones it lacks. */
  | { t: "ids"; ids: string[] }
  /** Anti-entropy: all my ids; answer with `want` and with the `ids` I lack. */
  | { t: "sync"; ids: string[] }
  /** "Send me these." */
  | { t: "want"; ids: string[] }
  /** The events asked for. */
  | { t: "events"; events: unknown[] };

/** The most ids and events one gossip message may carry. */
export const WIRE_LIMITS = { ids: 20_000, events: 1000 } as const;

/**
 * The signalling protocol between a node and the signalling server: JSON text frames, each an
 * object with a `type`. docs/protocol.md describes every message with examples.
 *
 * This module holds the message types, their validation and the announce signature, so the
 * client (in `net/`) and the server (in `signal/`) share one definition and a browser bundle
 * never pulls in server code.
 * @module
 */

import { type NodeInfo, parseNodeInfo } from "../core/config.ts";
import { type NodeID, U256 } from "../core/ids.ts";

/** The protocol version; the server announces it in its first message. */
export const SIGNAL_PROTOCOL_VERSION = 1;

/** Optional request id: a client may set it, the server echoes it in the reply or error. */
export type RequestId = number;

/** Limits and timings the server works with, sent to each node in `welcome`. */
export interface SignalConfig {
  /** A connection that sends nothing for this long is closed (`ttl-expired`). */
  ttlMs: number;
  /** How often a node should send `ping` when it has nothing else to send. */
  keepAliveMs: number;
  /** The most nodes one `list` reply holds. */
  maxListLength: number;
  /** The largest frame accepted, in bytes of UTF-8. */
  maxFrameBytes: number;
  /** Sustained frames per second allowed per connection. */
  ratePerSecond: number;
  /** Frames allowed in a burst above the sustained rate. */
  rateBurst: number;
}

/** What a node reports about itself with `stats`: flat, small and free-form. */
export type NodeStats = Record<string, string | number | boolean>;

/** Limits on an uploaded {@link NodeStats}. */
export const NODE_STATS_LIMITS = { keys: 32, keyLength: 32, stringLength: 128 } as const;

/** Messages a node sends to the server. */
export type ClientMessage =
  | { type: "announce"; version: number; info: NodeInfo; signature: string; rid?: RequestId }
  | { type: "list"; rid?: RequestId }
  | { type: "relay"; to: NodeID; signal: Record<string, unknown>; rid?: RequestId }
  | { type: "stats"; stats: NodeStats; rid?: RequestId }
  | { type: "ping"; rid?: RequestId };

/** Messages the server sends to a node. */
export type ServerMessage =
  | { type: "challenge"; version: number; challenge: U256; server: string }
  | {
    type: "welcome";
    id: NodeID;
    config: SignalConfig;
    /** Short-lived TURN credentials the server hands out, when it has a TURN secret. */
    iceServers?: RTCIceServer[];
    rid?: RequestId;
  }
  /** Fresh TURN credentials before the ones of `welcome` expire. */
  | { type: "ice"; iceServers: RTCIceServer[] }
  | { type: "list"; nodes: NodeInfo[]; rid?: RequestId }
  | { type: "relay"; from: NodeID; signal: Record<string, unknown> }
  | { type: "pong"; rid?: RequestId }
  | SignalErrorMessage;

/** An error from the server: a machine-readable code and a human text. */
export interface SignalErrorMessage {
  /** Always `"error"`. */
  type: "error";
  /** What went wrong, for programs; see {@link SIGNAL_ERRORS}. */
  code: SignalErrorCode;
  /** What went wrong, for people. */
  message: string;
  /** True when the server closes the connection after this error. */
  fatal: boolean;
  /** The request id of the message that caused it, when it had one. */
  rid?: RequestId;
  /** For `unknown-node`, `target-overloaded` and `relay-failed`: the node the relay was addressed to. */
  to?: NodeID;
}

/**
 * Every error code, whether the server closes the connection after it, and the WebSocket
 * close code it uses then.
 */
export const SIGNAL_ERRORS = {
  "bad-json": { fatal: true, closeCode: 4001 },
  "binary-frame": { fatal: true, closeCode: 4002 },
  "frame-too-large": { fatal: true, closeCode: 4003 },
  "not-announced": { fatal: true, closeCode: 4004 },
  "version-mismatch": { fatal: true, closeCode: 4005 },
  "bad-signature": { fatal: true, closeCode: 4006 },
  "rate-limited": { fatal: true, closeCode: 4007 },
  "announce-timeout": { fatal: true, closeCode: 4008 },
  "ttl-expired": { fatal: true, closeCode: 4009 },
  "replaced": { fatal: true, closeCode: 4010 },
  "too-many-connections": { fatal: true, closeCode: 4011 },
  "shutting-down": { fatal: true, closeCode: 4012 },
  "too-many-from-address": { fatal: true, closeCode: 4013 },
  "unknown-type": { fatal: false, closeCode: 0 },
  "bad-field": { fatal: false, closeCode: 0 },
  "already-announced": { fatal: false, closeCode: 0 },
  "unknown-node": { fatal: false, closeCode: 0 },
  "target-overloaded": { fatal: false, closeCode: 0 },
  "relay-failed": { fatal: false, closeCode: 0 },
  "internal": { fatal: false, closeCode: 0 },
} as const;

/** One of the keys of {@link SIGNAL_ERRORS}. */
export type SignalErrorCode = keyof typeof SIGNAL_ERRORS;

/** A protocol violation found while parsing a frame. */
export class SignalProtocolError extends Error {
  /**
   * Describes the violation.
   * @param code the error code to send.
   * @param rid the request id of the offending message, when it could be read.
   */
  constructor(readonly code: SignalErrorCode, message: string, readonly rid?: RequestId) {
    super(message);
    this.name = "SignalProtocolError";
  }
}

/**
 * The bytes a node signs to answer a challenge. They bind the signature to this protocol, its
 * version and the server's fresh challenge, so it cannot be replayed to another server or
 * connection, or used for anything else.
 */
export function announcePayload(version: number, challenge: U256): Uint8Array {
  return new TextEncoder().encode(`flnet-signal-announce\nversion ${version}\n${challenge}`);
}

type Fields = Record<string, unknown>;

function parseObject(text: string): Fields {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SignalProtocolError("bad-json", "the frame is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SignalProtocolError("bad-json", "a frame must be a JSON object with a type");
  }
  return value as Fields;
}

function requestId(fields: Fields): RequestId | undefined {
  const rid = fields.rid;
  if (rid === undefined) return undefined;
  if (typeof rid !== "number" || !Number.isSafeInteger(rid) || rid < 0) {
    throw new SignalProtocolError("bad-field", "rid must be a non-negative integer");
  }
  return rid;
}

function field<T>(
  fields: Fields,
  name: string,
  check: (value: unknown) => value is T,
  expected: string,
  rid: RequestId | undefined,
): T {
  const value = fields[name];
  if (!check(value)) {
    throw new SignalProtocolError("bad-field", `${fields.type}.${name} must be ${expected}`, rid);
  }
  return value;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isHexSignature = (v: unknown): v is string =>
  typeof v === "string" && /^[0-9a-fA-F]{128}$/.test(v);
const isVersion = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

function parseStats(value: unknown, rid: RequestId | undefined): NodeStats {
  const bad = (why: string) => new SignalProtocolError("bad-field", `stats.stats ${why}`, rid);
  if (!isObject(value)) throw bad("must be an object");
  const entries = Object.entries(value);
  if (entries.length > NODE_STATS_LIMITS.keys) {
    throw bad(`may have at most ${NODE_STATS_LIMITS.keys} keys`);
  }
  for (const [key, v] of entries) {
    if (key.length > NODE_STATS_LIMITS.keyLength) {
      throw bad(`key "${key.slice(0, 40)}" is too long`);
    }
    const ok = typeof v === "number" ? Number.isFinite(v) : typeof v === "boolean" ||
      (typeof v === "string" && v.length <= NODE_STATS_LIMITS.stringLength);
    if (!ok) throw bad(`value of "${key}" must be a finite number, a boolean or a short string`);
  }
  return value as NodeStats;
}

/** Parses and checks a frame from a node; throws a {@link SignalProtocolError} if it is bad. */
export function parseClientMessage(text: string): ClientMessage {
  const fields = parseObject(text);
  const rid = requestId(fields);
  const withRid = <T extends object>(message: T): T & { rid?: RequestId } =>
    rid === undefined ? message : { ...message, rid };
  switch (fields.type) {
    case "announce": {
      const version = field(fields, "version", isVersion, "an integer", rid);
      let info: NodeInfo;
      try {
        info = parseNodeInfo(fields.info, "announce.info");
      } catch (error) {
        throw new SignalProtocolError("bad-field", (error as Error).message, rid);
      }
      const signature = field(fields, "signature", isHexSignature, "128 hex characters", rid);
      return withRid({ type: "announce", version, info, signature: signature.toLowerCase() });
    }
    case "list":
      return withRid({ type: "list" });
    case "ping":
      return withRid({ type: "ping" });
    case "relay": {
      const to = field(fields, "to", U256.is, "a node id (64 lowercase hex characters)", rid);
      const signal = field(fields, "signal", isObject, "an object", rid);
      return withRid({ type: "relay", to, signal });
    }
    case "stats":
      return withRid({ type: "stats", stats: parseStats(fields.stats, rid) });
    default:
      throw new SignalProtocolError(
        "unknown-type",
        `unknown message type ${JSON.stringify(fields.type)?.slice(0, 40)}; ` +
          `this server knows announce, list, relay, stats and ping`,
        rid,
      );
  }
}

const ICE_SERVERS_SHAPE =
  "iceServers must be at most 8 entries of stun:/turn:/turns: urls with string credentials";

/** At most 8 ICE servers with stun:/turn:/turns: URLs and string credentials, as a server grants them. */
function isIceServers(value: unknown): value is RTCIceServer[] {
  if (!Array.isArray(value) || value.length > 8) return false;
  return value.every((entry) => {
    if (!isObject(entry)) return false;
    const urls = typeof entry.urls === "string" ? [entry.urls] : entry.urls;
    return Array.isArray(urls) && urls.length > 0 && urls.length <= 8 &&
      urls.every((url) => typeof url === "string" && /^(stun|turns?):/.test(url)) &&
      ["username", "credential"].every((k) =>
        entry[k] === undefined || (typeof entry[k] === "string" && entry[k].length <= 512)
      );
  });
}

/**
 * Parses a frame from the server. The client trusts the server it chose, so this checks only
 * what the client needs to act safely: a known type and the fields it reads.
 */
export function parseServerMessage(text: string): ServerMessage {
  const fields = parseObject(text);
  const bad = (what: string) =>
    new SignalProtocolError("bad-field", `server ${fields.type} message: ${what}`);
  switch (fields.type) {
    case "challenge":
      if (!isVersion(fields.version) || !U256.is(fields.challenge)) {
        throw bad("needs an integer version and a challenge of 64 hex characters");
      }
      return fields as ServerMessage;
    case "welcome":
      if (!U256.is(fields.id) || !isObject(fields.config)) throw bad("needs an id and a config");
      if (fields.iceServers !== undefined && !isIceServers(fields.iceServers)) {
        throw bad(ICE_SERVERS_SHAPE);
      }
      return fields as ServerMessage;
    case "ice":
      if (!isIceServers(fields.iceServers)) throw bad(ICE_SERVERS_SHAPE);
      return fields as ServerMessage;
    case "list": {
      if (!Array.isArray(fields.nodes)) throw bad("needs a list of nodes");
      const nodes = fields.nodes.map((node, i) => {
        try {
          return parseNodeInfo(node, `list.nodes[${i}]`);
        } catch (error) {
          throw bad((error as Error).message);
        }
      });
      return { ...fields, nodes } as ServerMessage;
    }
    case "relay":
      if (!U256.is(fields.from) || !isObject(fields.signal)) throw bad("needs from and signal");
      return fields as ServerMessage;
    case "pong":
      return fields as ServerMessage;
    case "error":
      if (!(typeof fields.code === "string") || typeof fields.message !== "string") {
        throw bad("needs a code and a message");
      }
      return fields as ServerMessage;
    default:
      throw new SignalProtocolError(
        "unknown-type",
        `unknown server message type ${JSON.stringify(fields.type)?.slice(0, 40)}`,
      );
  }
}

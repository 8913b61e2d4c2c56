/**
 * The setup messages two nodes exchange to open a WebRTC connection (offer, answer, ICE
 * candidates, refusal), signed end to end. They travel as the opaque `signal` of a signalling
 * `relay` (docs/protocol.md), so whatever carries them, a server or other peers, can drop one
 * but cannot forge or alter one: each is signed by its sender's node key over the sender, the
 * receiver, the session, the kind, the time and the whole content (docs/wire.md). An offer or
 * answer carries the sender's DTLS fingerprint in its SDP, so the encrypted channel that opens
 * is bound to the node id that signed it.
 *
 * @example
 * ```ts
 * import { NodeConfig } from "../core/config.ts";
 * import { signSetup, verifySetup } from "./setup_signal.ts";
 * const [alice, bob] = [await NodeConfig.create(), await NodeConfig.create()];
 * const signed = await signSetup(alice, bob.id, { kind: "answer", session: "s1", sdp: "v=0\r\n" });
 * const checked = await verifySetup(alice.id, bob.id, signed);
 * console.log(checked.kind); // "answer"
 * ```
 * @module
 */

import { type NodeConfig, verifySignature } from "../core/config.ts";
import { fromHex, type NodeID, toHex } from "../core/ids.ts";

/** A connection setup message, as the two nodes mean it (without its proof). */
export type SetupSignal =
  /**
   * An offer; `nonce` answers the receiver's challenge (below) when the receiver could not tell
   * the offer from a replay by its time.
   */
  | { kind: "offer"; session: string; sdp: string; nonce?: string }
  | { kind: "answer"; session: string; sdp: string }
  | {
    kind: "candidate";
    session: string;
    candidate: string;
    sdpMid?: string | null;
    sdpMLineIndex?: number | null;
  }
  /** The receiver of the session's messages refused them (e.g. a signature it could not check). */
  | { kind: "refused"; session: string; reason: string }
  /**
   * The receiver of an offer it could not tell from a replay by its time (not newer than the
   * last offer or answer of its sender, or from a sender it no longer remembers) asks the sender
   * to make the offer again with `nonce` in it: only the live sender can sign that.
   */
  | { kind: "challenge"; session: string; nonce: string };

/** A setup message with its proof: the sender's clock when signed, and its signature. */
export type SignedSetup = SetupSignal & {
  /** Milliseconds since 1970 on the sender's clock; strictly increasing per sender. */
  time: number;
  /** Ed25519 signature of {@link setupSigningText}, 128 hex characters. */
  signature: string;
};

/** The version of the signed text; a receiver refuses messages of another. */
export const SETUP_VERSION = 1;
/** How far a message's time may be from the receiver's clock (10 minutes). */
export const MAX_CLOCK_SKEW_MS = 10 * 60_000;

/** The fields of a setup message with a length limit. */
export type SetupLimitedField = "session" | "sdp" | "candidate" | "sdpMid" | "reason";

/** Limits on the fields of a setup message, in characters. */
export const SETUP_LIMITS: Readonly<Record<SetupLimitedField, number>> = {
  session: 64,
  sdp: 64 * 1024,
  candidate: 1024,
  sdpMid: 32,
  reason: 200,
};

/** A setup message whose proof does not hold: not signed by its claimed sender, or stale. */
export class SetupAuthError extends Error {
  /** Creates the error; `message` says what did not hold. */
  constructor(message: string) {
    super(message);
    this.name = "SetupAuthError";
  }
}

/** Session ids: printable ASCII without spaces. */
const SESSION = /^[\x21-\x7e]+$/;
/** A challenge's nonce: 16 random bytes in lower-case hex. */
const NONCE = /^[0-9a-f]{32}$/;

/**
 * Checks the fields of a setup message that came from the network (not its proof); throws a
 * TypeError saying what is wrong.
 */
export function parseSetupSignal(value: Record<string, unknown>): SetupSignal {
  const text = (field: SetupLimitedField, oneLine = true) => {
    const v = value[field];
    const max = SETUP_LIMITS[field];
    if (typeof v !== "string" || v.length === 0 || v.length > max) {
      throw new TypeError(
        `setup ${String(value.kind).slice(0, 20)}.${field} must be a string of 1 to ${max} ` +
          "characters",
      );
    }
    if (oneLine && /[\r\n]/.test(v)) {
      throw new TypeError(`setup ${value.kind}.${field} must be one line`);
    }
    return v;
  };
  const session = text("session");
  if (!SESSION.test(session)) {
    throw new TypeError("setup session must be printable ASCII without spaces");
  }
  const nonce = () => {
    if (typeof value.nonce !== "string" || !NONCE.test(value.nonce)) {
      throw new TypeError(`setup ${value.kind}.nonce must be 32 lower-case hex characters`);
    }
    return value.nonce;
  };
  switch (value.kind) {
    case "offer":
      return value.nonce === undefined
        ? { kind: "offer", session, sdp: text("sdp", false) }
        : { kind: "offer", session, sdp: text("sdp", false), nonce: nonce() };
    case "answer":
      return { kind: "answer", session, sdp: text("sdp", false) };
    case "challenge":
      return { kind: "challenge", session, nonce: nonce() };
    case "refused":
      return { kind: "refused", session, reason: text("reason") };
    case "candidate": {
      const { sdpMid, sdpMLineIndex } = value;
      if (sdpMid != null) text("sdpMid");
      if (
        sdpMLineIndex != null && (!Number.isInteger(sdpMLineIndex) || (sdpMLineIndex as number) < 0)
      ) {
        throw new TypeError("setup candidate.sdpMLineIndex must be a non-negative integer");
      }
      return {
        kind: "candidate",
        session,
        candidate: text("candidate"),
        sdpMid: (sdpMid as string | null | undefined) ?? null,
        sdpMLineIndex: (sdpMLineIndex as number | null | undefined) ?? null,
      };
    }
    default:
      throw new TypeError(`unknown setup message kind ${JSON.stringify(value.kind)?.slice(0, 30)}`);
  }
}

/**
 * The text a setup message's signature covers, as UTF-8 (`\n` is byte 0x0a): a header line,
 * the version, sender, receiver, session, kind and time, then the content: the SDP (after a line
 * `nonce <nonce>` when an offer answers a challenge); a candidate's `sdpMid`, `sdpMLineIndex`
 * (empty when absent) and line; a refusal's reason; or a challenge's nonce.
 */
export function setupSigningText(
  from: NodeID,
  to: NodeID,
  signal: SetupSignal & { time: number },
): string {
  const head = [
    "flnet-setup",
    `version ${SETUP_VERSION}`,
    `from ${from}`,
    `to ${to}`,
    `session ${signal.session}`,
    `kind ${signal.kind}`,
    `time ${signal.time}`,
  ];
  switch (signal.kind) {
    case "offer":
      return [...head, ...(signal.nonce ? [`nonce ${signal.nonce}`] : []), signal.sdp].join("\n");
    case "answer":
      return [...head, signal.sdp].join("\n");
    case "candidate":
      return [...head, signal.sdpMid ?? "", signal.sdpMLineIndex ?? "", signal.candidate]
        .join("\n");
    case "refused":
      return [...head, signal.reason].join("\n");
    case "challenge":
      return [...head, signal.nonce].join("\n");
  }
}

/** The last time each node signed with, so that its times strictly increase. */
const lastTimes = new WeakMap<NodeConfig, number>();

/**
 * Signs `signal` from the node `config` to the node `to`. The time is the clock's, or one
 * millisecond after the last one this node used if the clock has not moved on.
 */
export async function signSetup(
  config: NodeConfig,
  to: NodeID,
  signal: SetupSignal,
): Promise<SignedSetup> {
  const time = Math.max(Date.now(), (lastTimes.get(config) ?? 0) + 1);
  lastTimes.set(config, time);
  const text = setupSigningText(config.id, to, { ...signal, time });
  const signature = toHex(await config.sign(new TextEncoder().encode(text)));
  return { ...signal, time, signature };
}

/**
 * Checks a setup message `value` that claims to come from `from` to this node `to`: its
 * fields (TypeError), then its proof (SetupAuthError): the time within
 * {@link MAX_CLOCK_SKEW_MS} of `now`, and the signature by `from`'s key. Returns the message
 * with its time.
 */
export async function verifySetup(
  from: NodeID,
  to: NodeID,
  value: Record<string, unknown>,
  now: number = Date.now(),
): Promise<SetupSignal & { time: number }> {
  const signal = parseSetupSignal(value);
  const { time, signature } = value;
  if (typeof signature !== "string" || !/^[0-9a-f]{128}$/.test(signature)) {
    throw new SetupAuthError("the message is not signed (no 128-hex-character signature)");
  }
  if (typeof time !== "number" || !Number.isSafeInteger(time) || time < 0) {
    throw new SetupAuthError("the message has no time (milliseconds since 1970)");
  }
  const skew = time - now;
  if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
    throw new SetupAuthError(
      `the message's time is ${Math.round(skew / 1000)} s off this node's clock (at most ` +
        `${MAX_CLOCK_SKEW_MS / 1000} s allowed): a replay, or a clock that needs setting`,
    );
  }
  const text = new TextEncoder().encode(setupSigningText(from, to, { ...signal, time }));
  if (!await verifySignature(from, text, fromHex(signature, "signature"))) {
    throw new SetupAuthError(
      "the signature does not match the sender's node id: the message was forged or altered " +
        "on its way (a signalling server or relay in the middle?)",
    );
  }
  return { ...signal, time };
}

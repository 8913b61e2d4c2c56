/**
 * The setup messages two nodes exchange to open a WebRTC connection (offer, answer, ICE
 * candidates), and their parser. They travel between nodes as the opaque `signal` of a
 * signalling `relay` (docs/protocol.md), so whatever carries them can be a server or, later,
 * other peers: the receiver checks every one with {@link parseSetupSignal} before using it.
 *
 * @example
 * ```ts
 * import { parseSetupSignal } from "./setup_signal.ts";
 * const signal = parseSetupSignal({ kind: "answer", session: "s1", sdp: "v=0\r\n" });
 * console.log(signal.kind); // "answer"
 * ```
 * @module
 */

/** A connection setup message, carried between two nodes. */
export type SetupSignal =
  | { kind: "offer"; session: string; sdp: string }
  | { kind: "answer"; session: string; sdp: string }
  | {
    kind: "candidate";
    session: string;
    candidate: string;
    sdpMid?: string | null;
    sdpMLineIndex?: number | null;
  };

/** The longest session id accepted. */
const MAX_SESSION = 64;
/** The longest SDP accepted, in characters. */
const MAX_SDP = 64 * 1024;
/** The longest candidate line accepted, in characters. */
const MAX_CANDIDATE = 1024;

/** Checks a setup message that came from the network; throws a TypeError saying what is wrong. */
export function parseSetupSignal(value: Record<string, unknown>): SetupSignal {
  const text = (field: string, max: number) => {
    const v = value[field];
    if (typeof v !== "string" || v.length === 0 || v.length > max) {
      throw new TypeError(
        `setup ${value.kind}.${field} must be a string of 1 to ${max} characters`,
      );
    }
    return v;
  };
  const session = text("session", MAX_SESSION);
  switch (value.kind) {
    case "offer":
    case "answer":
      return { kind: value.kind, session, sdp: text("sdp", MAX_SDP) };
    case "candidate": {
      const { sdpMid, sdpMLineIndex } = value;
      if (sdpMid != null && typeof sdpMid !== "string") {
        throw new TypeError("setup candidate.sdpMid must be a string");
      }
      if (sdpMLineIndex != null && !Number.isInteger(sdpMLineIndex)) {
        throw new TypeError("setup candidate.sdpMLineIndex must be an integer");
      }
      return {
        kind: "candidate",
        session,
        candidate: text("candidate", MAX_CANDIDATE),
        sdpMid: (sdpMid as string | null | undefined) ?? null,
        sdpMLineIndex: (sdpMLineIndex as number | null | undefined) ?? null,
      };
    }
    default:
      throw new TypeError(`unknown setup message kind ${JSON.stringify(value.kind)?.slice(0, 30)}`);
  }
}

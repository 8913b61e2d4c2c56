/**
 * flnet's own messages on a data channel, beside the modules' (docs/wire.md): ordinary
 * messages whose module name starts with U+0000, which no module may use.
 *
 * - `"\0close"` (empty bytes): the sender closes after everything it sent before.
 * - `"\0beat"` (empty bytes): a heartbeat, sent when nothing else was (net/liveness.ts).
 * - `"\0refused"` (JSON text `{"id","code","message"}`): the sender refused the message `id`
 *   it received (malformed, over its size limit, its reader's buffer full, or for a module it
 *   does not run), so the other side hears of it.
 * - `"\0near"`, `"\0sig"`, `"\0signo"`: connection setup through the overlay (neighbour lists,
 *   a setup message to carry, one that could not be carried); net/overlay_signals.ts.
 *
 * @example
 * ```ts
 * import { encodeRefusal, parseRefusal } from "./control.ts";
 * const refusal = parseRefusal(encodeRefusal(7, "message-too-large", "over 1 MiB"));
 * console.log(refusal.id, refusal.code); // 7 "message-too-large"
 * ```
 * @module
 */

/** Module names with this prefix are flnet's own control messages. */
export const RESERVED_MODULE_PREFIX = "\u0000";
/** The message that asks the peer to close after everything sent before it. */
export const CLOSE_MODULE: string = RESERVED_MODULE_PREFIX + "close";
/** A heartbeat: the sender is alive (sent when it had sent nothing else for a while). */
export const BEAT_MODULE: string = RESERVED_MODULE_PREFIX + "beat";
/** The message that tells the peer one of its messages was refused. */
export const REFUSED_MODULE: string = RESERVED_MODULE_PREFIX + "refused";

/** A node's list of its open connections, for its neighbours (overlay signalling). */
export const NEIGHBOURS_MODULE: string = RESERVED_MODULE_PREFIX + "near";
/** A signed setup message to carry towards its target (overlay signalling). */
export const OVERLAY_SIGNAL_MODULE: string = RESERVED_MODULE_PREFIX + "sig";
/** A setup message the neighbour could not carry on, returned (overlay signalling). */
export const OVERLAY_SIGNAL_FAILED_MODULE: string = RESERVED_MODULE_PREFIX + "signo";
/** The control messages a {@link DataPath} hands up instead of handling them itself. */
export const OVERLAY_MODULES: ReadonlySet<string> = new Set([
  NEIGHBOURS_MODULE,
  OVERLAY_SIGNAL_MODULE,
  OVERLAY_SIGNAL_FAILED_MODULE,
]);

/** Why a received message was refused. */
export type RefusalCode =
  | "bad-frame"
  | "message-too-large"
  | "receive-buffer-full"
  | "unknown-module";

const REFUSAL_CODES: readonly RefusalCode[] = [
  "bad-frame",
  "message-too-large",
  "receive-buffer-full",
  "unknown-module",
];

/** A refusal: which message (the sender's frame id), why, and in words. */
export interface Refusal {
  /** The refused message's id, as its first frame carried it. */
  id: number;
  /** Why. */
  code: RefusalCode;
  /** What the refusing side said, at most {@link MAX_REFUSAL_TEXT} characters. */
  message: string;
}

/** The longest explanation a refusal carries. */
export const MAX_REFUSAL_TEXT = 300;

/** The text of a refusal of message `id`. */
export function encodeRefusal(id: number, code: RefusalCode, message: string): string {
  return JSON.stringify({ id, code, message: message.slice(0, MAX_REFUSAL_TEXT) });
}

/** Reads a refusal; throws a TypeError saying what is wrong. */
export function parseRefusal(data: string | Uint8Array): Refusal {
  if (typeof data !== "string" || data.length > MAX_REFUSAL_TEXT + 100) {
    throw new TypeError("a refusal is JSON text of at most 400 characters");
  }
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(data);
  } catch {
    throw new TypeError("a refusal is not JSON");
  }
  const { id, code, message } = value ?? {};
  if (!Number.isSafeInteger(id) || (id as number) < 0) {
    throw new TypeError("a refusal's id is a non-negative integer");
  }
  if (!REFUSAL_CODES.includes(code as RefusalCode)) {
    throw new TypeError(`a refusal's code is one of ${REFUSAL_CODES.join(", ")}`);
  }
  if (typeof message !== "string") throw new TypeError("a refusal's message is text");
  return {
    id: id as number,
    code: code as RefusalCode,
    message: message.slice(0, MAX_REFUSAL_TEXT),
  };
}

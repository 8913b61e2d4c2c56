/**
 * The failures the network reports: their codes (on a message: `sent` never comes, an `error`
 * with the message's id does; on a connection; on incoming data), and the error a caller gets.
 * @module
 */

import type { NodeID } from "../core/ids.ts";

/** Why a message could not be delivered, or what went wrong with one peer's connection. */
export type PeerErrorCode =
  | "message-too-large"
  | "receive-buffer-full"
  | "unknown-module"
  | "bad-frame"
  | "incomplete-message"
  | "setup-timeout"
  | "setup-failed"
  | "peer-auth-failed"
  | "peer-gone"
  | "no-route"
  | "closed";

/** Why a message or a connection failed, as the Network broker reports it. */
export type NetworkErrorCode = PeerErrorCode | "connect-myself" | "bad-setup" | "not-connected";

/** A failure the network reports to the caller: a code for programs, a text for people. */
export class NetworkError extends Error {
  /**
   * Describes the failure.
   * @param code e.g. `no-route`, `setup-timeout`, `peer-gone`, `message-too-large`, `closed`.
   * @param to the node concerned, when there is one.
   */
  constructor(
    readonly code:
      | NetworkErrorCode
      | "signal-unreachable"
      | "bad-url"
      | "bad-node-id"
      | "timeout",
    message: string,
    readonly to?: NodeID,
  ) {
    super(message);
    this.name = "NetworkError";
  }
}

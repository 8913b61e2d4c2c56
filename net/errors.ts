/**
 * The codes of the failures the network reports: on a message (`sent` never comes, an `error`
 * with the message's id does), on a connection, or on incoming data.
 * @module
 */

/** Why a message could not be delivered, or what went wrong with one peer's connection. */
export type PeerErrorCode =
  | "message-too-large"
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

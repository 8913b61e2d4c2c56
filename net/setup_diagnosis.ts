/**
 * Why a connection setup failed, in words that say what usually helps: read from what the setup
 * saw (candidates each way, whether the offer was answered, the ICE and connection states).
 *
 * @example
 * ```ts
 * import { whyNoConnection } from "./setup_diagnosis.ts";
 * console.log(whyNoConnection({
 *   unanswered: false, localCandidates: 0, localRefused: 2, remoteCandidates: 1,
 *   remoteRefused: 0, relayWithoutTurn: false, iceConnectionState: "checking",
 * })); // this node offered no ICE candidates (the candidate filter refused 2); ...
 * ```
 * @module
 */

/** What a setup saw, for {@link whyNoConnection}. */
export interface SetupFacts {
  /** This node offered and no answer came. */
  unanswered: boolean;
  /** Candidates this node offered, and those its filter refused. */
  localCandidates: number;
  /** Local candidates the candidate filter refused. */
  localRefused: number;
  /** Candidates the peer sent that this node may use. */
  remoteCandidates: number;
  /** The peer's candidates this node's filter refused. */
  remoteRefused: number;
  /** `iceTransportPolicy` is `"relay"` and no TURN server is configured. */
  relayWithoutTurn: boolean;
  /** The ICE state when the setup ended. */
  iceConnectionState: string;
  /** The connection state, where the engine has one. */
  connectionState?: string;
}

/** What an attempt that timed out or failed lacked, and what usually helps. */
export function whyNoConnection(facts: SetupFacts): string {
  if (facts.unanswered) {
    return "the peer never answered the offer (is it running, and announced to the " +
      "same signalling server?)";
  }
  if (facts.localCandidates === 0) {
    const refused = facts.localRefused
      ? ` (the candidate filter refused ${facts.localRefused})`
      : "";
    if (facts.relayWithoutTurn) {
      return `this node offered no ICE candidates${refused}: iceTransportPolicy is "relay" ` +
        "but no TURN server is configured (add one to iceServers, or use the policy all)";
    }
    return `this node offered no ICE candidates${refused}; on a machine with loopback ` +
      "only, use candidateFilters.loopbackOnly (and bindAddress 127.0.0.1 with " +
      "node-datachannel), otherwise configure a TURN server";
  }
  if (facts.remoteCandidates === 0) {
    const refused = facts.remoteRefused
      ? ` (this node's filter refused ${facts.remoteRefused})`
      : "";
    return `the peer sent no ICE candidates this node may use${refused}`;
  }
  const ice = facts.iceConnectionState;
  if (ice === "connected" || ice === "completed") {
    return "ICE connected, but the encrypted channel did not open (DTLS or SCTP " +
      `failed; connection state ${facts.connectionState ?? "unknown"})`;
  }
  return `ICE found no working path between ${facts.localCandidates} local and ` +
    `${facts.remoteCandidates} remote candidates (ICE ${ice}): a firewall in between, or NATs ` +
    "that need a TURN server";
}

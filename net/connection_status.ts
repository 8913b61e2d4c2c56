/**
 * The status of one WebRTC connection, read from `getStats()` the same way on every engine
 * (browsers, @roamhq/wrtc, node-datachannel), so an application can tell a direct path from a
 * relayed one and see its traffic and round-trip time.
 * @module
 */

import type { CandidateType, ParsedCandidate } from "./candidates.ts";

/** How a connection's setup travelled: through the signalling server or through the overlay. */
export type SetupVia = "server" | "overlay";

/** Where a connection stands. */
export type ConnectionState = "idle" | "connecting" | "open";

/** What is known about one connection. */
export interface ConnectionStatus {
  /** Idle (no peer connection), connecting, or open (the data channel is usable). */
  state: ConnectionState;
  /** How this end's selected candidate was found. */
  localCandidateType?: CandidateType;
  /** How the other end's selected candidate was found. */
  remoteCandidateType?: CandidateType;
  /** The protocol to the TURN server (`udp`, `tcp`, `tls`) when this end is relayed. */
  relayProtocol?: string;
  /** This end's selected address and port. */
  localAddress?: string;
  /** The other end's selected address and port. */
  remoteAddress?: string;
  /** Bytes sent on the selected path. */
  bytesSent: number;
  /** Bytes received on the selected path. */
  bytesReceived: number;
  /** Modules' messages handed to the data channel, over every connection to this node. */
  messagesSent?: number;
  /** Modules' messages received, over every connection to this node. */
  messagesReceived?: number;
  /** The current round-trip time of the selected path, in ms. */
  rttMs?: number;
  /** `RTCPeerConnection.signalingState`. */
  signalingState?: string;
  /** `RTCPeerConnection.iceConnectionState`. */
  iceConnectionState?: string;
  /** `RTCPeerConnection.connectionState`, where the engine has it. */
  connectionState?: string;
  /** `RTCDataChannel.readyState`. */
  dataChannelState?: string;
  /** How the connection was set up: its offer went through the signalling server or the overlay. */
  setupVia?: SetupVia;
}

type Stat = Record<string, unknown>;

/**
 * Reads the status of `pc` (and its data channel `dc`). `signalled` holds the candidates the
 * other end sent through signalling: engines report a remote candidate as `prflx` when its
 * connectivity check arrived before the candidate itself, and this corrects that.
 */
export async function readConnectionStatus(
  pc: RTCPeerConnection | undefined,
  dc: RTCDataChannel | undefined,
  state: ConnectionState,
  signalled: readonly ParsedCandidate[],
): Promise<ConnectionStatus> {
  const status: ConnectionStatus = { state, bytesSent: 0, bytesReceived: 0 };
  if (!pc) return status;
  status.signalingState = pc.signalingState;
  status.iceConnectionState = pc.iceConnectionState;
  if (typeof pc.connectionState === "string") status.connectionState = pc.connectionState;
  if (dc) status.dataChannelState = dc.readyState;
  let report: RTCStatsReport;
  try {
    report = await pc.getStats();
  } catch {
    return status; // closed while asking: the states above say what there is to say
  }
  const stats = new Map<string, Stat>();
  report.forEach((value: Stat, key: string) => stats.set(String(value.id ?? key), value));
  const pair = selectedPair(stats);
  if (!pair) return status;
  const local = stats.get(String(pair.localCandidateId));
  const remote = stats.get(String(pair.remoteCandidateId));
  if (local) {
    status.localCandidateType = candidateType(local);
    status.localAddress = addressOf(local);
    if (typeof local.relayProtocol === "string") {
      status.relayProtocol = local.relayProtocol;
      status.localCandidateType = "relay";
    }
  }
  if (remote) {
    status.remoteAddress = addressOf(remote);
    status.remoteCandidateType = candidateType(remote);
    if (status.remoteCandidateType === "prflx") {
      // libwebrtc hides a prflx candidate's address (it reports ""), but keeps its port.
      const address = remote.address ?? remote.ip;
      const known = signalled.find((c) =>
        c.port === remote.port && (!address || c.address === address)
      );
      if (known) {
        status.remoteCandidateType = known.type;
        status.remoteAddress ??= `${known.address}:${known.port}`;
      }
    }
  }
  const totals = transport(stats) ?? pair;
  status.bytesSent = numberOr(totals.bytesSent, pair.bytesSent);
  status.bytesReceived = numberOr(totals.bytesReceived, pair.bytesReceived);
  const rtt = pair.currentRoundTripTime;
  if (typeof rtt === "number" && rtt >= 0) status.rttMs = rtt * 1000;
  return status;
}

function transport(stats: Map<string, Stat>): Stat | undefined {
  for (const stat of stats.values()) if (stat.type === "transport") return stat;
  return undefined;
}

/**
 * The pair in use: the succeeded pair that carried the most bytes, else the one the transport
 * names. (@roamhq/wrtc's transport can name an idle pair while another carries the traffic.)
 */
function selectedPair(stats: Map<string, Stat>): Stat | undefined {
  let busiest: Stat | undefined;
  let most = 0;
  for (const stat of stats.values()) {
    if (stat.type !== "candidate-pair" || stat.state !== "succeeded") continue;
    const bytes = numberOr(stat.bytesSent) + numberOr(stat.bytesReceived);
    if (bytes > most) [busiest, most] = [stat, bytes];
  }
  if (busiest) return busiest;
  const selectedId = transport(stats)?.selectedCandidatePairId;
  if (typeof selectedId === "string" && stats.has(selectedId)) return stats.get(selectedId);
  for (const stat of stats.values()) {
    if (stat.type === "candidate-pair" && stat.state === "succeeded") return stat;
  }
  return undefined;
}

function candidateType(stat: Stat): CandidateType | undefined {
  const type = stat.candidateType;
  return type === "host" || type === "srflx" || type === "prflx" || type === "relay"
    ? type
    : undefined;
}

function addressOf(stat: Stat): string | undefined {
  const address = stat.address ?? stat.ip;
  return typeof address === "string" && address ? `${address}:${stat.port}` : undefined;
}

function numberOr(...values: unknown[]): number {
  for (const value of values) if (typeof value === "number") return value;
  return 0;
}

/**
 * ICE candidates: parsing the `candidate:` lines WebRTC exchanges, and filters that decide
 * which candidates a node offers and accepts ("loopback only", "relay only", "no IPv6").
 *
 * @example
 * ```ts
 * import { candidateFilters, parseCandidate } from "./candidates.ts";
 * const c = parseCandidate("candidate:1 1 udp 2122063615 127.0.0.1 50000 typ host");
 * console.log(c?.type, candidateFilters.loopbackOnly(c!)); // "host" true
 * ```
 * @module
 */

/** The kinds of ICE candidate. */
export type CandidateType = "host" | "srflx" | "prflx" | "relay";

/** The parts of a candidate line that matter to flnet. */
export interface ParsedCandidate {
  /** The transport address (IPv4, IPv6 or an mDNS `.local` name). */
  address: string;
  /** The port. */
  port: number;
  /** `udp` or `tcp`. */
  protocol: string;
  /** How the candidate was found. */
  type: CandidateType;
}

/** Decides whether a candidate may be used. */
export type CandidateFilter = (candidate: ParsedCandidate) => boolean;

const TYPES = new Set(["host", "srflx", "prflx", "relay"]);

/** Parses `candidate:… <address> <port> typ <type> …` (with or without `a=`); undefined if malformed. */
export function parseCandidate(line: string): ParsedCandidate | undefined {
  const parts = line.trim().replace(/^a=/, "").split(/\s+/);
  if (parts.length < 8 || !parts[0].startsWith("candidate:") || parts[6] !== "typ") {
    return undefined;
  }
  const port = Number(parts[5]);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !TYPES.has(parts[7])) return undefined;
  return {
    address: parts[4],
    port,
    protocol: parts[2].toLowerCase(),
    type: parts[7] as CandidateType,
  };
}

/** Ready-made filters; combine them with {@link allOf}. */
export const candidateFilters = {
  /** Every candidate. */
  all: (() => true) as CandidateFilter,
  /** Only IPv4 loopback addresses (127.0.0.0/8): traffic never leaves the machine. */
  loopbackOnly: ((c) => /^127\.\d+\.\d+\.\d+$/.test(c.address)) as CandidateFilter,
  /** Only candidates on a TURN relay. */
  relayOnly: ((c) => c.type === "relay") as CandidateFilter,
  /** No IPv6 addresses. */
  noIPv6: ((c) => !c.address.includes(":")) as CandidateFilter,
} as const;

/** A filter that passes what every one of `filters` passes. */
export function allOf(...filters: CandidateFilter[]): CandidateFilter {
  return (c) => filters.every((f) => f(c));
}

/** Removes the `a=candidate` lines of an SDP that `filter` refuses (or cannot parse). */
export function filterSdp(sdp: string, filter: CandidateFilter): string {
  return sdp.split("\r\n").filter((line) => {
    if (!line.startsWith("a=candidate:")) return true;
    const candidate = parseCandidate(line);
    return candidate !== undefined && filter(candidate);
  }).join("\r\n");
}

/** The candidates listed in an SDP. */
export function sdpCandidates(sdp: string): ParsedCandidate[] {
  return sdp.split("\r\n").filter((line) => line.startsWith("a=candidate:"))
    .map(parseCandidate).filter((c): c is ParsedCandidate => c !== undefined);
}

/**
 * What flnet reads from and changes in a session description besides its candidates
 * (net/candidates.ts): the largest message the peer accepts, and the DTLS role of an answer.
 * @module
 */

import { FRAME_BYTES } from "./framing.ts";

/**
 * The largest data-channel message an SDP accepts (`a=max-message-size`, RFC 8841: 64 KiB when
 * absent, 0 for no limit); never less than {@link FRAME_BYTES}, which every engine takes.
 */
export function maxMessageSize(sdp: string): number {
  const match = /^a=max-message-size:(\d+)\s*$/m.exec(sdp);
  const size = match ? Number(match[1]) : 64 * 1024;
  return size === 0 ? Infinity : Math.max(FRAME_BYTES, size);
}

/**
 * The offer as this node's engine is given it when answering: a standard offer leaves the DTLS
 * role open (`a=setup:actpass`), and the engine, told the offerer is the client (`active`),
 * answers `passive`: the answerer takes the DTLS server role. The offerer, as client, starts the
 * handshake only once it has the answer; when the answerer was the client, its first DTLS packet
 * could reach the offerer before the answer did, and libdatachannel dropped it and waited a 1 s
 * retransmit. (libdatachannel ignores a changed `a=setup` in its own answer, so the choice is made
 * on the offer it is given.) What travels on the wire stays standard.
 */
export function offerForAnswering(offerSdp: string): string {
  return offerSdp.replaceAll("a=setup:actpass", "a=setup:active");
}

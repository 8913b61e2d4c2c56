/**
 * Framing of messages on a data channel: each message (text or bytes, tagged with the module it
 * belongs to) travels as one or more binary frames of at most `frameBytes` ({@link FRAME_BYTES}
 * by default; a sender may use up to {@link MAX_FRAME_BYTES} when the receiver's SDP allows it
 * with `a=max-message-size`; receivers take frames of any size), so binary
 * payloads need no base64 and messages far larger than one SCTP message arrive whole.
 *
 * Frame layout (big-endian):
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 1 | format version (1) |
 * | 1 | 1 | flags: bit 0 set = bytes, clear = UTF-8 text |
 * | 2 | 4 | message id (per connection, increasing) |
 * | 6 | 4 | chunk index, from 0 |
 * | 10 | 4 | chunk count |
 * | 14 | 1 | module name length (chunk 0 only; 0 in later chunks) |
 * | 15 | n | module name (UTF-8), then payload bytes |
 *
 * A data-channel message whose first byte is 2 is a batch of frames: after that byte, each frame
 * follows its length (4 bytes). A sender batches small messages that wait together, so many
 * small messages cost few data-channel sends; a single message goes alone, without delay.
 *
 * @example
 * ```ts
 * import { encodeMessage } from "./framing.ts";
 * import { Reassembler } from "./reassembler.ts";
 * const reassembler = new Reassembler({ maxMessageBytes: 1 << 20, incompleteTimeoutMs: 1000 });
 * for (const frame of encodeMessage(1, { module: "chat", data: "x".repeat(40_000) })) {
 *   for (const result of reassembler.push(frame)) {
 *     if (result.kind === "message") console.log(result.module, result.data.length); // chat 40000
 *   }
 * }
 * reassembler.close();
 * ```
 * @module
 */

/** The largest frame sent: 16 KiB, safe on every WebRTC implementation. */
export const FRAME_BYTES = 16 * 1024;
/**
 * The largest frame a sender uses, when the receiver accepts such data-channel messages: a
 * 64 KiB payload fits in one frame with its header and module name.
 */
export const MAX_FRAME_BYTES = 65 * 1024;
/** Bytes of header before the module name. */
export const HEADER_BYTES = 15;
/** The format version of a frame (its first byte). */
export const VERSION = 1;
/** The first byte of a batch of frames. */
export const BATCH_VERSION = 2;
/** Flag bit 0: the payload is bytes (clear: UTF-8 text). */
export const FLAG_BYTES = 1;

/** What a message carries. */
export interface Payload {
  /** The module the message belongs to (at most 255 bytes of UTF-8; `""` for none). */
  module: string;
  /** Text or bytes. */
  data: string | Uint8Array;
}

const encoder = new TextEncoder();

/** Module names encoded lately (a few modules send most messages); cleared when full. */
const moduleNames = new Map<string, Uint8Array>();
const MODULE_NAMES_KEPT = 64;

function encodeModule(name: string): Uint8Array {
  let bytes = moduleNames.get(name);
  if (!bytes) {
    bytes = encoder.encode(name);
    if (moduleNames.size >= MODULE_NAMES_KEPT) moduleNames.clear();
    moduleNames.set(name, bytes);
  }
  return bytes;
}

/** The payload's size in bytes (UTF-8 for text). */
export function payloadBytes(data: string | Uint8Array): number {
  return typeof data === "string" ? encoder.encode(data).length : data.length;
}

/**
 * Splits a message into frames of at most `frameBytes`, lazily, so a large message is not
 * copied all at once.
 */
export function* encodeMessage(
  id: number,
  payload: Payload,
  frameBytes: number = FRAME_BYTES,
): Generator<Uint8Array> {
  const module = encodeModule(payload.module);
  if (module.length > 255) throw new RangeError("a module name may have at most 255 bytes");
  const body = typeof payload.data === "string" ? encoder.encode(payload.data) : payload.data;
  const firstRoom = frameBytes - HEADER_BYTES - module.length;
  const room = frameBytes - HEADER_BYTES;
  const count = body.length <= firstRoom ? 1 : 1 + Math.ceil((body.length - firstRoom) / room);
  let offset = 0;
  for (let index = 0; index < count; index++) {
    const take = Math.min(index === 0 ? firstRoom : room, body.length - offset);
    const head = index === 0 ? module.length : 0;
    const frame = new Uint8Array(HEADER_BYTES + head + take);
    const view = new DataView(frame.buffer);
    frame[0] = VERSION;
    frame[1] = typeof payload.data === "string" ? 0 : FLAG_BYTES;
    view.setUint32(2, id);
    view.setUint32(6, index);
    view.setUint32(10, count);
    frame[14] = head;
    if (head) frame.set(module, HEADER_BYTES);
    frame.set(body.subarray(offset, offset + take), HEADER_BYTES + head);
    offset += take;
    yield frame;
  }
}

/** Packs frames into one batch (see the module documentation). */
export function encodeBatch(frames: Uint8Array[]): Uint8Array {
  const batch = new Uint8Array(1 + frames.reduce((sum, f) => sum + 4 + f.length, 0));
  const view = new DataView(batch.buffer);
  batch[0] = BATCH_VERSION;
  let offset = 1;
  for (const frame of frames) {
    view.setUint32(offset, frame.length);
    batch.set(frame, offset + 4);
    offset += 4 + frame.length;
  }
  return batch;
}

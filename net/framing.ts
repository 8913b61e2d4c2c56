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
 * import { encodeMessage, Reassembler } from "./framing.ts";
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
const VERSION = 1;
const BATCH_VERSION = 2;
const FLAG_BYTES = 1;

/** What a message carries. */
export interface Payload {
  /** The module the message belongs to (at most 255 bytes of UTF-8; `""` for none). */
  module: string;
  /** Text or bytes. */
  data: string | Uint8Array;
}

/** What {@link Reassembler.push} can report. */
export type ReassemblyResult =
  | { kind: "message"; id: number; module: string; data: string | Uint8Array }
  | { kind: "error"; code: "bad-frame" | "message-too-large"; id?: number; message: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

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

/** Options of a {@link Reassembler}. */
export interface ReassemblerOptions {
  /** Messages larger than this are refused with `message-too-large`. */
  maxMessageBytes: number;
  /** An incomplete message that gets no chunk for this long is dropped and reported. */
  incompleteTimeoutMs: number;
  /** Called when an incomplete message times out. */
  onTimeout?: (report: { id: number; received: number; count: number; message: string }) => void;
  /**
   * A limit on the bytes of unfinished messages shared by several reassemblers (all the peers
   * of a node): a chunk that would go over it gets its message refused.
   */
  budget?: IncompleteBudget;
}

/** Bytes of unfinished messages held, against a limit; shared by the reassemblers of a node. */
export interface IncompleteBudget {
  /** Bytes held now. */
  held: number;
  /** The most that may be held. */
  readonly limit: number;
}

interface Incomplete {
  id: number;
  count: number;
  flags: number;
  module: string;
  chunks: Uint8Array[];
  received: number;
  bytes: number;
  /** Bytes counted against the budget. */
  held: number;
  /** Refused as too large: its remaining chunks are skipped. */
  refused: boolean;
}

/**
 * Rebuilds messages from the frames of one ordered data channel, checking every frame and
 * enforcing the size limit and the incomplete-message timeout.
 */
export class Reassembler {
  readonly #options: ReassemblerOptions;
  #current: Incomplete | undefined;
  /** A message found broken: its remaining chunks are skipped without more reports. */
  #skipping: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastModule: { bytes: Uint8Array; name: string } | undefined;

  /** Creates an empty reassembler. */
  constructor(options: ReassemblerOptions) {
    this.#options = options;
  }

  /**
   * Takes one data-channel message (a frame or a batch of frames); returns the messages it
   * completed and the errors it revealed.
   */
  push(frame: Uint8Array): ReassemblyResult[] {
    if (frame[0] === BATCH_VERSION) return this.#pushBatch(frame);
    if (frame.length < HEADER_BYTES || frame[0] !== VERSION) {
      return [this.#malformed(`a frame of ${frame.length} bytes with version ${frame[0]}`)];
    }
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const id = view.getUint32(2);
    const index = view.getUint32(6);
    const count = view.getUint32(10);
    const moduleLength = frame[14];
    if (count === 0 || index >= count || (index > 0 && moduleLength > 0)) {
      return [this.#malformed(`chunk ${index} of ${count} of message ${id}`, id)];
    }
    if (index > 0 && id === this.#skipping) {
      if (index === count - 1) this.#skipping = undefined;
      return [];
    }
    if (count === 1 && this.#current === undefined) {
      this.#skipping = undefined;
      return [this.#whole(id, frame, moduleLength)];
    }
    const results: ReassemblyResult[] = [];
    if (index === 0) {
      this.#skipping = undefined;
      const previous = this.#current;
      if (previous && !previous.refused) {
        results.push(this.#malformed(
          `message ${previous.id} stopped after ${previous.received} of ${previous.count} ` +
            `chunks when message ${id} began`,
          previous.id,
        ));
      }
      this.#current = {
        id,
        count,
        flags: frame[1],
        module: this.#moduleName(frame, moduleLength),
        chunks: [],
        received: 0,
        bytes: 0,
        held: 0,
        refused: false,
      };
      const atLeast = (count - 1) * (FRAME_BYTES - HEADER_BYTES);
      if (atLeast > this.#options.maxMessageBytes) {
        results.push(this.#refuse(id, `at least ${atLeast}`));
      }
    } else {
      const current = this.#current;
      if (!current || current.id !== id || current.received !== index) {
        if (index < count - 1) this.#skipping = id;
        return [this.#malformed(`chunk ${index} of message ${id} arrived out of order`, id)];
      }
    }
    const current = this.#current!;
    current.received++;
    if (!current.refused) {
      const body = frame.subarray(HEADER_BYTES + (index === 0 ? moduleLength : 0));
      const budget = this.#options.budget;
      if (budget && count > 1 && budget.held + body.length > budget.limit) {
        results.push(this.#refuse(id, String(current.bytes + body.length), budget));
      } else {
        // A message of several chunks is copied once, when joined; a lone chunk is copied here
        // so that the message owns its bytes (the frame may be a view into a larger buffer).
        current.chunks.push(count === 1 ? body.slice() : body);
        current.bytes += body.length;
        if (budget && count > 1) {
          budget.held += body.length;
          current.held += body.length;
        }
        if (current.bytes > this.#options.maxMessageBytes) {
          results.push(this.#refuse(id, String(current.bytes)));
        }
      }
    }
    if (current.received < count) {
      if (!current.refused) this.#arm();
      return results;
    }
    this.#dropCurrent();
    if (current.refused) return results;
    const bytes = join(current.chunks, current.bytes);
    if (current.flags & FLAG_BYTES) {
      results.push({ kind: "message", id, module: current.module, data: bytes });
    } else {
      const text = decodeText(bytes);
      results.push(
        text === undefined
          ? this.#malformed(`message ${id} is not valid UTF-8`, id)
          : { kind: "message", id, module: current.module, data: text },
      );
    }
    return results;
  }

  /** A message in one frame, with nothing incomplete before it: no bookkeeping needed. */
  #whole(id: number, frame: Uint8Array, moduleLength: number): ReassemblyResult {
    const module = this.#moduleName(frame, moduleLength);
    const body = frame.subarray(HEADER_BYTES + moduleLength);
    if (body.length > this.#options.maxMessageBytes) return this.#tooLarge(id, body.length);
    if (frame[1] & FLAG_BYTES) return { kind: "message", id, module, data: body.slice() };
    const text = decodeText(body);
    return text === undefined
      ? this.#malformed(`message ${id} is not valid UTF-8`, id)
      : { kind: "message", id, module, data: text };
  }

  /** The module name of a first frame; the last one is kept, as most messages repeat it. */
  #moduleName(frame: Uint8Array, length: number): string {
    if (length === 0) return "";
    const bytes = frame.subarray(HEADER_BYTES, HEADER_BYTES + length);
    const last = this.#lastModule;
    if (last && last.bytes.length === length && last.bytes.every((b, i) => b === bytes[i])) {
      return last.name;
    }
    const name = decodeText(bytes) ?? "";
    this.#lastModule = { bytes: bytes.slice(), name };
    return name;
  }

  /** Drops any incomplete message and stops the timer. */
  close(): void {
    this.#dropCurrent();
    this.#skipping = undefined;
  }

  /** Forgets the current message: its timer stops and its bytes leave the budget. */
  #dropCurrent(): void {
    this.#clear();
    this.#release();
    this.#current = undefined;
  }

  /** Gives the current message's bytes back to the budget. */
  #release(): void {
    const current = this.#current;
    if (!current || !this.#options.budget) return;
    this.#options.budget.held -= current.held;
    current.held = 0;
  }

  /**
   * Marks the current message refused (its later chunks are skipped) and reports it: over the
   * maximum, or over the `budget` of unfinished bytes when given.
   */
  #refuse(id: number, size: string, budget?: IncompleteBudget): ReassemblyResult {
    const wouldHold = budget && budget.held + Number(size) - this.#current!.bytes;
    this.#release();
    this.#current!.refused = true;
    this.#current!.chunks = [];
    this.#clear();
    if (!budget) return this.#tooLarge(id, size);
    return {
      kind: "error",
      code: "message-too-large",
      id,
      message: `message ${id} was dropped: with it this node would hold ${wouldHold} bytes of ` +
        `unfinished messages from its peers, its maximum is ${budget.limit}`,
    };
  }

  /** The report of a message over the maximum. */
  #tooLarge(id: number, size: string | number): ReassemblyResult {
    return {
      kind: "error",
      code: "message-too-large",
      id,
      message: `message ${id} has ${size} bytes, over this node's maximum of ` +
        `${this.#options.maxMessageBytes}; it was dropped`,
    };
  }

  #pushBatch(batch: Uint8Array): ReassemblyResult[] {
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    const results: ReassemblyResult[] = [];
    let offset = 1;
    while (offset < batch.length) {
      const length = offset + 4 <= batch.length ? view.getUint32(offset) : -1;
      const frame = batch.subarray(offset + 4, offset + 4 + length);
      if (length < 0 || frame.length !== length || frame[0] !== VERSION) {
        results.push(this.#malformed(`a batch of ${batch.length} bytes broken at byte ${offset}`));
        return results;
      }
      results.push(...this.push(frame));
      offset += 4 + length;
    }
    return results;
  }

  #malformed(what: string, id?: number): ReassemblyResult {
    this.#dropCurrent();
    return {
      kind: "error",
      code: "bad-frame",
      id,
      message: `malformed data from the peer: ${what}`,
    };
  }

  #arm(): void {
    this.#clear();
    this.#timer = setTimeout(() => {
      const current = this.#current;
      this.#dropCurrent();
      if (!current) return;
      this.#options.onTimeout?.({
        id: current.id,
        received: current.received,
        count: current.count,
        message: `message ${current.id} stayed incomplete (${current.received} of ` +
          `${current.count} chunks) for ${this.#options.incompleteTimeoutMs} ms; it was dropped`,
      });
    }, this.#options.incompleteTimeoutMs);
  }

  #clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function decodeText(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function join(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

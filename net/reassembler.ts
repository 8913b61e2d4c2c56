/**
 * Rebuilding messages from the frames of one ordered data channel (the layout is in
 * `framing.ts`): every frame is checked, chunks of two messages must not interleave, a message
 * over the size limit or the node-wide budget of unfinished bytes is refused, and one that stays
 * incomplete too long is dropped and reported.
 *
 * @example
 * ```ts
 * import { encodeMessage } from "./framing.ts";
 * import { Reassembler } from "./reassembler.ts";
 * const reassembler = new Reassembler({ maxMessageBytes: 1 << 20, incompleteTimeoutMs: 1000 });
 * for (const frame of encodeMessage(1, { module: "chat", data: "x".repeat(40_000) })) {
 *   for (const result of reassembler.push(frame)) console.log(result.kind); // "message"
 * }
 * reassembler.close();
 * ```
 * @module
 */

import { BATCH_VERSION, FLAG_BYTES, FRAME_BYTES, HEADER_BYTES, VERSION } from "./framing.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** What {@link Reassembler.push} can report. */
export type ReassemblyResult =
  | { kind: "message"; id: number; module: string; data: string | Uint8Array }
  | { kind: "error"; code: "bad-frame" | "message-too-large"; id?: number; message: string };

/** A message given up on before all its chunks arrived. */
export interface IncompleteReport {
  /** The message's id. */
  id: number;
  /** Chunks that arrived. */
  received: number;
  /** Chunks it has. */
  count: number;
  /** What happened, in words. */
  message: string;
}

/** Options of a {@link Reassembler}. */
export interface ReassemblerOptions {
  /** Messages larger than this are refused with `message-too-large`. */
  maxMessageBytes: number;
  /** An incomplete message that gets no chunk for this long is dropped and reported. */
  incompleteTimeoutMs: number;
  /** Called when an incomplete message times out. */
  onTimeout?: (report: IncompleteReport) => void;
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

  /**
   * Drops any incomplete message and stops the timer (the connection ended); returns the
   * report of the message it cut off, if one was arriving.
   */
  close(): IncompleteReport | undefined {
    this.#skipping = undefined;
    return this.#giveUp((received, count) =>
      `was cut off when the connection ended (${received} of ${count} chunks had arrived)`
    );
  }

  /** Drops the current message, if any, and reports it: `what` happened to it, in words. */
  #giveUp(what: (received: number, count: number) => string): IncompleteReport | undefined {
    const current = this.#current;
    this.#dropCurrent();
    if (!current) return undefined;
    const { id, received, count } = current;
    return {
      id,
      received,
      count,
      message: `message ${id} ${what(received, count)}; it was dropped`,
    };
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
      const report = this.#giveUp((received, count) =>
        `stayed incomplete (${received} of ${count} chunks) for ` +
        `${this.#options.incompleteTimeoutMs} ms`
      );
      if (report) this.#options.onTimeout?.(report);
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

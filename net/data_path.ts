/**
 * The data path of one peer connection: the send queue, batching of small messages,
 * backpressure, the graceful close, and reassembly of what arrives. It knows nothing of how
 * the connection was set up: it is handed an open data channel ({@link DataPath.attach}) and
 * told when that channel is gone ({@link DataPath.detach}); the queue outlives channels, so a
 * connection that replaces another picks up where the old one stopped.
 *
 * Every queued message ends in exactly one report: `sent` once all its frames were handed to
 * the channel, or `failed` (from {@link DataPath.failAll}). Frames are sent only while the
 * channel buffers at most `bufferHighBytes`; the sender then waits for the buffer to drain
 * to half of that, woken by `bufferedamountlow` where the engine has it and by polling where it
 * does not (@roamhq/wrtc).
 *
 * @example
 * ```ts
 * import { DataPath } from "./data_path.ts";
 * const path = new DataPath({}, {
 *   sent: (id) => console.log("sent", id),
 *   failed: (id, code) => console.log("failed", id, code),
 *   message: (module, data) => console.log(module, data),
 *   error: (code, message) => console.log(code, message),
 *   refusedByPeer: (id, code) => console.log("the peer refused", id, code),
 *   closedByPeer: () => console.log("the peer closed"),
 *   broken: (reason) => console.log("the channel broke:", reason),
 *   overlay: (module) => console.log("an overlay message", module),
 * });
 * path.enqueue({ id: 1, module: "chat", data: "hello" }); // waits for a channel
 * path.failAll("closed", "not needed after all"); // prints "failed 1 closed"
 * ```
 * @module
 */

import { Fifo } from "../core/fifo.ts";
import { TokenBucket } from "../core/token_bucket.ts";
import type { PeerErrorCode } from "./errors.ts";
import { encodeBatch, encodeMessage, FRAME_BYTES } from "./framing.ts";
import { type IncompleteBudget, Reassembler } from "./reassembler.ts";
import { Liveness, LIVENESS_TIMEOUT_MS } from "./liveness.ts";
import {
  BEAT_MODULE,
  CLOSE_MODULE,
  encodeRefusal,
  OVERLAY_MODULES,
  parseRefusal,
  type RefusalCode,
  REFUSED_MODULE,
  RESERVED_MODULE_PREFIX,
} from "./control.ts";

/** What the data path needs of an `RTCDataChannel`. */
export interface DataChannelLike {
  /** `connecting`, `open`, `closing` or `closed`. */
  readonly readyState: RTCDataChannelState;
  /** Bytes handed to the channel and not yet sent. */
  readonly bufferedAmount: number;
  /** Where `bufferedamountlow` fires; absent on engines without the event. */
  bufferedAmountLowThreshold?: number;
  /** The `bufferedamountlow` handler; absent on engines without the event. */
  onbufferedamountlow?: ((ev: Event) => unknown) | null;
  /** Hands one data-channel message to the engine; throws when the channel cannot take it. */
  send(data: Uint8Array<ArrayBuffer>): void;
}

/** A message waiting to be sent. */
export interface Outgoing {
  /** The caller's id; none for flnet's own control messages, which nobody waits for. */
  id?: number;
  /** The module it belongs to. */
  module: string;
  /** Text or bytes. */
  data: string | Uint8Array;
}

/** Settings of a {@link DataPath}. */
export interface DataPathOptions {
  /** The largest message accepted, in bytes (default 16 MiB). */
  maxMessageBytes?: number;
  /** Drop an incoming message that gets no chunk for this long (default 30 s). */
  incompleteTimeoutMs?: number;
  /** Stop sending while the channel buffers more than this (default 1 MiB). */
  bufferHighBytes?: number;
  /** The limit on unfinished incoming messages, shared with the node's other peers. */
  incompleteBudget?: IncompleteBudget;
  /**
   * Declare the peer gone when nothing came from it for this long (default 2.5 s; 0: never).
   * Both sides send heartbeats when idle, so only a dead peer or a broken path is this silent.
   */
  livenessTimeoutMs?: number;
  /** The clock of the budget of frames of no use, ms (default `Date.now`; for tests). */
  now?: () => number;
}

/** What a {@link DataPath} reports. */
export interface DataPathEvents {
  /** The message `id` was handed to the channel whole. */
  sent(id: number): void;
  /** The message `id` will never be sent. */
  failed(id: number, code: PeerErrorCode, message: string): void;
  /** A message from the peer; `ref` is its number on this path (to {@link DataPath.refuse} it). */
  message(module: string, data: string | Uint8Array, ref: number): void;
  /** Incoming data was refused (malformed, too large, incomplete). */
  error(code: PeerErrorCode, message: string): void;
  /**
   * The peer refused a message this side sent: `id` is the caller's id when the message was
   * among the last {@link RECENT_SENDS} sent, else undefined.
   */
  refusedByPeer(id: number | undefined, code: RefusalCode, message: string): void;
  /** The peer asked to close, after everything it sent before. */
  closedByPeer(): void;
  /** One of the overlay's control messages ({@link OVERLAY_MODULES}) from the peer. */
  overlay(module: string, data: string | Uint8Array): void;
  /** The channel refused a frame, or the peer fell silent: the connection is unusable. */
  broken(reason: string): void;
}

/** How many sent messages are remembered, to name the one a refusal of the peer is about. */
export const RECENT_SENDS = 1024;
/** The most refusals sent to the peer per second; refusals beyond are reported here only. */
export const REFUSALS_PER_SECOND = 10;
/**
 * Frames of no use to this node (heartbeats, malformed or unknown data) a peer may send a second,
 * reported each (in bursts of {@link WASTE_BURST}); beyond, as many again are dropped with no
 * report, and a peer that goes faster still (over twice this rate, or a burst twice as large) is
 * dropped: what a peer sends costs this node bounded work and memory however fast it comes.
 */
export const WASTE_PER_SECOND = 50;
/** The burst of frames of no use reported, and the burst dropped unreported beyond it. */
export const WASTE_BURST = 200;
/** Messages up to this size (encoded frame) are batched when several wait at once. */
const SMALL_MESSAGE_BYTES = 4096;
/** How often a graceful close looks whether the peer closed. */
const CLOSE_POLL_MS = 5;

/** The data path of one connection; see the module documentation. */
export class DataPath {
  readonly #events: DataPathEvents;
  readonly #maxMessageBytes: number;
  readonly #incompleteTimeoutMs: number;
  readonly #bufferHighBytes: number;
  readonly #budget: IncompleteBudget | undefined;
  readonly #queue = new Fifo<Outgoing>();
  #dc: DataChannelLike | undefined;
  #reassembler: Reassembler | undefined;
  #pumping = false;
  #frameId = 1;
  /** Bytes that may still be handed to the channel before its buffer is looked at again. */
  #room = 0;
  #frameBytes = FRAME_BYTES;
  #wakeSender: (() => void) | undefined;
  #wakeCloser: (() => void) | undefined;
  /** The caller's ids of the last messages sent, by their frame id, oldest first. */
  readonly #recent = new Map<number, number>();
  /** Refusals sent in the second that started at `#refusalSecond`. */
  #refusals = 0;
  #refusalSecond = 0;
  readonly #liveness: Liveness;
  /** Modules' messages handed to a channel and received, over every connection of the peer. */
  readonly counts = { sent: 0, received: 0 };
  /**
   * The budget of frames of no use reported, of those dropped unreported beyond it (once it is
   * spent the peer is dropped), and whether this channel's peer was dropped so.
   */
  readonly #waste: TokenBucket;
  readonly #wasteOver: TokenBucket;
  #wasteDropped = false;

  /** Creates an empty data path with no channel. */
  constructor(options: DataPathOptions, events: DataPathEvents) {
    this.#events = events;
    this.#maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
    this.#incompleteTimeoutMs = options.incompleteTimeoutMs ?? 30_000;
    this.#bufferHighBytes = options.bufferHighBytes ?? 1024 * 1024;
    this.#budget = options.incompleteBudget;
    this.#waste = new TokenBucket(WASTE_PER_SECOND, WASTE_BURST, options.now);
    this.#wasteOver = new TokenBucket(WASTE_PER_SECOND, WASTE_BURST, options.now);
    const timeoutMs = options.livenessTimeoutMs ?? LIVENESS_TIMEOUT_MS;
    this.#liveness = new Liveness(timeoutMs, {
      beat: () => {
        if (this.#queue.length > 0) return; // what waits will show the peer this side is alive
        this.#queue.push({ module: BEAT_MODULE, data: new Uint8Array(0) });
        void this.#pump();
      },
      silent: (ms) =>
        this.#events.broken(
          `nothing heard from the peer for ${ms} ms (over the liveness timeout of ${timeoutMs} ` +
            "ms): it stopped, or the path to it broke",
        ),
    });
  }

  /** The number of messages waiting. */
  get queued(): number {
    return this.#queue.length;
  }

  /** The largest message accepted, in bytes. */
  get maxMessageBytes(): number {
    return this.#maxMessageBytes;
  }

  /** Queues a message; call {@link flush} to send what waits (at once, or after a batch). */
  enqueue(item: Outgoing): void {
    this.#queue.push(item);
  }

  /** Sends what waits, if a channel is open. */
  flush(): void {
    void this.#pump();
  }

  /**
   * Starts using an open channel: a fresh reassembler, and the queue is sent in frames of at
   * most `frameBytes` (what the peer accepts in one data-channel message; 16 KiB by default).
   */
  attach(dc: DataChannelLike, frameBytes: number = FRAME_BYTES): void {
    this.#detachChannel();
    this.#dc = dc;
    this.#frameBytes = frameBytes;
    this.#reassembler = new Reassembler({
      maxMessageBytes: this.#maxMessageBytes,
      incompleteTimeoutMs: this.#incompleteTimeoutMs,
      onTimeout: (report) => this.#events.error("incomplete-message", report.message),
      budget: this.#budget,
    });
    this.#wasteDropped = false;
    this.#liveness.start();
    void this.#pump();
  }

  /** Stops using the channel; the queue stays for the next one. */
  detach(): void {
    this.#detachChannel();
    this.#wakeCloser?.();
  }

  /** Fails every queued message with `code` and `reason`. */
  failAll(code: PeerErrorCode, reason: string): void {
    for (const { id } of this.#queue.drain()) {
      if (id !== undefined) this.#events.failed(id, code, reason);
    }
  }

  /** Takes one data-channel message from the peer. */
  receive(data: unknown): void {
    this.#liveness.heard();
    const bytes = data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : undefined;
    if (!bytes || !this.#reassembler) {
      if (!this.#useless()) return;
      return this.#events.error(
        "bad-frame",
        "malformed data from the peer: a text frame where only binary frames are used",
      );
    }
    for (const result of this.#reassembler.push(bytes)) {
      if (result.kind === "error") {
        if (!this.#useless()) continue;
        this.#events.error(result.code, result.message);
        if (result.id !== undefined) this.refuse(result.id, result.code, result.message);
      } else if (!result.module.startsWith(RESERVED_MODULE_PREFIX)) {
        this.counts.received++;
        this.#events.message(result.module, result.data, result.id);
      } else if (result.module === CLOSE_MODULE) {
        return this.#events.closedByPeer();
      } else this.#control(result.module, result.data, result.id);
    }
  }

  /**
   * A control message other than close; one that is unknown or malformed is reported and refused
   * to the peer by its id (within the budgets of frames of no use and of refusals).
   */
  #control(module: string, data: string | Uint8Array, id: number): void {
    if (module === BEAT_MODULE) return void this.#useless(); // receive() took note
    if (OVERLAY_MODULES.has(module)) return this.#events.overlay(module, data);
    let problem: string;
    if (module === REFUSED_MODULE) {
      try {
        const refusal = parseRefusal(data);
        return this.#events.refusedByPeer(
          this.#recent.get(refusal.id),
          refusal.code,
          refusal.message,
        );
      } catch (error) {
        problem = `malformed refusal from the peer: ${(error as Error).message}`;
      }
    } else {problem = `malformed data from the peer: unknown control message ${
        JSON.stringify(module)
      }`;}
    if (!this.#useless()) return;
    this.#events.error("bad-frame", problem);
    this.refuse(id, "bad-frame", problem);
  }

  /**
   * Charges a frame of no use to the peer's budget ({@link WASTE_PER_SECOND}): true when it had
   * some left (report the frame), false when not (drop it with no word). A peer that spends the
   * budget beyond it too is dropped, once.
   */
  #useless(): boolean {
    if (this.#waste.take()) return true;
    if (!this.#wasteOver.take() && !this.#wasteDropped && this.#dc) {
      this.#wasteDropped = true;
      this.#events.broken(
        `the peer sent frames of no use (heartbeats, malformed or unknown data) faster than ` +
          `${2 * WASTE_PER_SECOND} a second (bursts of ${2 * WASTE_BURST}): dropped`,
      );
    }
    return false;
  }

  /** Tells the peer its message `id` was refused, unless it already heard of many this second. */
  refuse(id: number, code: RefusalCode, message: string): void {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.#refusalSecond) [this.#refusalSecond, this.#refusals] = [second, 0];
    if (++this.#refusals > REFUSALS_PER_SECOND) return;
    this.#queue.push({ module: REFUSED_MODULE, data: encodeRefusal(id, code, message) });
    void this.#pump();
  }

  /**
   * Sends a close message after everything queued and waits, at most `ms`, until the channel
   * is gone (the peer closed on it, or {@link detach} was called). The channel is ordered, so
   * the peer has taken every earlier message by then; closing at once could cut off data the
   * engine had accepted but not yet delivered (measured with @roamhq/wrtc).
   */
  async closeGracefully(ms: number): Promise<void> {
    const dc = this.#dc;
    if (!dc || dc.readyState !== "open") return;
    this.#queue.push({ module: CLOSE_MODULE, data: new Uint8Array(0) });
    void this.#pump();
    await new Promise<void>((resolve) => {
      const until = Date.now() + ms;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#wakeCloser = undefined;
        resolve();
      };
      const look = () => {
        if (dc !== this.#dc || dc.readyState !== "open" || Date.now() >= until) return done();
        timer = setTimeout(look, CLOSE_POLL_MS);
      };
      this.#wakeCloser = done;
      look();
    });
  }

  #detachChannel(): void {
    this.#liveness.stop();
    this.#dc = undefined;
    this.#room = 0;
    const cutOff = this.#reassembler?.close();
    this.#reassembler = undefined;
    if (cutOff) this.#events.error("incomplete-message", cutOff.message);
    this.#wakeSender?.();
  }

  /**
   * Sends queued messages while a channel is open. One loop at a time; it reads the current
   * channel on every turn, so a channel replaced while it waits is picked up by the same loop,
   * and it returns (never recurses) when there is no open channel: {@link attach} starts it
   * again.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const dc = this.#dc;
        if (!dc || dc.readyState !== "open" || this.#queue.length === 0) return;
        const batch = this.#smallBatch();
        if (batch) {
          const bytes = encodeBatch(batch);
          if (!this.#fits(dc, bytes.length)) {
            await this.#drained(dc);
            continue;
          }
          dc.send(bytes as Uint8Array<ArrayBuffer>);
          this.#liveness.sent();
          const first = this.#frameId;
          this.#frameId += batch.length;
          for (let i = 0; i < batch.length; i++) this.#sent(this.#queue.shift()!, first + i);
          continue;
        }
        const frameId = await this.#sendWhole(dc, this.#queue.peek()!);
        if (frameId !== undefined) this.#sent(this.#queue.shift()!, frameId);
      }
    } catch (error) {
      this.#events.broken(`the data channel refused a frame: ${(error as Error).message}`);
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Sends every frame of `item` on `dc` and returns the message's frame id; undefined when
   * the channel changed or closed meanwhile (the message stays queued and is sent whole, from
   * its first frame, on the next channel).
   */
  async #sendWhole(dc: DataChannelLike, item: Outgoing): Promise<number | undefined> {
    const frameId = this.#frameId++;
    for (const frame of encodeMessage(frameId, item, this.#frameBytes)) {
      while (!this.#fits(dc, frame.length)) {
        if (!(await this.#drained(dc))) return undefined;
      }
      if (dc !== this.#dc || dc.readyState !== "open") return undefined;
      dc.send(frame as Uint8Array<ArrayBuffer>);
      this.#liveness.sent();
    }
    return frameId;
  }

  /**
   * True when `bytes` may be handed to `dc` now: its buffer held at most `bufferHighBytes` when
   * last looked at, less what was handed over since. Looking costs a call across threads on
   * some engines (@roamhq/wrtc), so the buffer is looked at only when that room is used up.
   */
  #fits(dc: DataChannelLike, bytes: number): boolean {
    if (this.#room < bytes) {
      this.#room = this.#bufferHighBytes - dc.bufferedAmount;
      if (this.#room < 0) return false;
    }
    this.#room -= bytes;
    return true;
  }

  /**
   * Reports a message as handed to the channel (as frame `frameId`), unless it was flnet's
   * own, and remembers it for a while in case the peer refuses it.
   */
  #sent({ id }: Outgoing, frameId: number): void {
    if (id === undefined) return;
    this.counts.sent++;
    this.#recent.set(frameId, id);
    if (this.#recent.size > RECENT_SENDS) this.#recent.delete(this.#recent.keys().next().value!);
    this.#events.sent(id);
  }

  /**
   * The frames of the small messages at the front of the queue, when at least two wait: they
   * go in one data-channel send (see `encodeBatch`). Nothing is taken from the queue yet.
   */
  #smallBatch(): Uint8Array[] | undefined {
    if (this.#queue.length < 2) return undefined;
    const frames: Uint8Array[] = [];
    let bytes = 1;
    for (let i = 0; i < this.#queue.length; i++) {
      const item = this.#queue.at(i)!;
      if (item.data.length > SMALL_MESSAGE_BYTES) break; // UTF-16 length <= UTF-8 length
      const [frame] = encodeMessage(this.#frameId + frames.length, item);
      if (frame.length > SMALL_MESSAGE_BYTES || bytes + 4 + frame.length > FRAME_BYTES) break;
      frames.push(frame);
      bytes += 4 + frame.length;
    }
    return frames.length >= 2 ? frames : undefined;
  }

  /** Waits until `dc` buffers at most half the high mark; false if it is no longer ours. */
  #drained(dc: DataChannelLike): Promise<boolean> {
    const low = this.#bufferHighBytes / 2;
    const hasEvent = "bufferedAmountLowThreshold" in dc && "onbufferedamountlow" in dc;
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.#room = 0;
        this.#wakeSender = undefined;
        if (hasEvent) dc.onbufferedamountlow = null;
        resolve(ok);
      };
      const check = () => {
        if (dc !== this.#dc || dc.readyState !== "open") return finish(false);
        if (dc.bufferedAmount <= low) return finish(true);
        // Without the event, look often enough that the buffer never runs dry (half the high
        // mark lasts 12 ms at 40 MB/s), and seldom enough that looking costs little; with it,
        // look anyway now and then, as the event can come late.
        timer = setTimeout(check, hasEvent ? 10 : 4);
      };
      this.#wakeSender = () => finish(false);
      if (hasEvent) {
        dc.bufferedAmountLowThreshold = low;
        dc.onbufferedamountlow = check;
      }
      check();
    });
  }
}

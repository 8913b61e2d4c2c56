/**
 * A data channel in memory, for unit tests of the data path: it records what was sent, lets a
 * test set `readyState` and `bufferedAmount` as it likes (a stall, a channel closing), and can
 * drain its buffer on request. Real channels are covered by test/webrtc/.
 * @module
 */

import type { DataChannelLike } from "../../net/data_path.ts";

/** A fake `RTCDataChannel`; see the module documentation. */
export class FakeChannel implements DataChannelLike {
  readyState: RTCDataChannelState = "open";
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  onbufferedamountlow: ((ev: Event) => unknown) | null = null;
  /** Every data-channel message handed over, in order. */
  readonly sent: Uint8Array[] = [];
  /** When true, each send adds its bytes to `bufferedAmount` (nothing drains by itself). */
  buffers = false;
  /** When set, each data-channel message is also handed here (the other end, say). */
  deliver: ((data: ArrayBuffer) => void) | undefined;

  /** Takes a data-channel message; throws, as engines do, when not open. */
  send(data: Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== "open") throw new DOMException("not open", "InvalidStateError");
    this.sent.push(data.slice());
    this.deliver?.(data.slice().buffer);
    if (this.buffers) this.bufferedAmount += data.length;
  }

  /** Empties the buffer and fires `bufferedamountlow`. */
  drain(): void {
    this.bufferedAmount = 0;
    this.onbufferedamountlow?.(new Event("bufferedamountlow"));
  }
}

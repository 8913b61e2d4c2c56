/**
 * Liveness of an open connection: each side sends a heartbeat when it has sent nothing else for
 * a fifth of the timeout, and declares the peer gone when it has heard nothing from it, data or
 * heartbeat, for the whole timeout. A peer killed without a word (`kill -9`, a pulled cable, a
 * frozen tab) is noticed within the timeout plus a fifth of it, instead of after the ICE
 * timeouts (7-11 s measured).
 *
 * @example
 * ```ts
 * import { Liveness } from "./liveness.ts";
 * const liveness = new Liveness(2500, {
 *   beat: () => console.log("send a heartbeat"),
 *   silent: (ms) => console.log(`nothing heard for ${ms} ms`),
 * });
 * liveness.start();
 * liveness.heard(); // call on everything that arrives
 * liveness.stop();
 * ```
 * @module
 */

/** What a {@link Liveness} asks for and reports. */
export interface LivenessEvents {
  /** Send a heartbeat: nothing else was sent for a while. */
  beat(): void;
  /** Nothing came from the peer for `ms` (at least the timeout); the watch has stopped. */
  silent(ms: number): void;
}

/** The default time after which a silent peer counts as gone. */
export const LIVENESS_TIMEOUT_MS = 2_500;

/** The liveness watch of one connection; see the module documentation. */
export class Liveness {
  readonly #timeoutMs: number;
  readonly #events: LivenessEvents;
  #lastHeard = 0;
  #lastSent = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** A watch that declares the peer gone after `timeoutMs` of silence (0: never). */
  constructor(timeoutMs: number, events: LivenessEvents) {
    this.#timeoutMs = timeoutMs;
    this.#events = events;
  }

  /** Starts watching (again), counting from now. */
  start(): void {
    this.stop();
    if (this.#timeoutMs <= 0) return;
    this.#lastHeard = this.#lastSent = Date.now();
    const tick = this.#timeoutMs / 5;
    this.#timer = setInterval(() => {
      const now = Date.now();
      const silence = now - this.#lastHeard;
      if (silence >= this.#timeoutMs) {
        this.stop();
        return this.#events.silent(silence);
      }
      if (now - this.#lastSent >= tick) {
        this.#lastSent = now;
        this.#events.beat();
      }
    }, tick);
  }

  /** Something arrived from the peer. */
  heard(): void {
    this.#lastHeard = Date.now();
  }

  /** Something was sent to the peer. */
  sent(): void {
    this.#lastSent = Date.now();
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

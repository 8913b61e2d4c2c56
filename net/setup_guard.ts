/**
 * Where setup messages are signed on the way out and checked on the way in, each direction in
 * order (a candidate must not overtake its offer). An incoming message is applied only once
 * its signature by the claimed sender holds; offers also must be newer than the last offer or
 * answer accepted from the same node, so neither a replayed offer nor one held back (by a server
 * or a relay) until a connection exists can tear a working connection down: the answer that set
 * it up was signed later than any offer the node made before.
 * What waits for a check is bounded, in all and per sender, as is the memory of offer times.
 * @module
 */

import type { NodeConfig } from "../core/config.ts";
import { type NodeID, U256 } from "../core/ids.ts";
import {
  parseSetupSignal,
  SetupAuthError,
  type SetupSignal,
  type SignedSetup,
  signSetup,
  verifySetup,
} from "./setup_signal.ts";
import type { SetupVia } from "./connection_status.ts";

/** What a {@link SetupGuard} reports. */
export interface SetupGuardEvents {
  /** A signed message, ready to carry to `to`. */
  send(to: NodeID, signed: SignedSetup): void;
  /** A message from `from` whose signature holds; `route` is the way it came. */
  accept(from: NodeID, signal: SetupSignal, route: SetupVia): void;
  /** A message for `to` could not be signed or handed on: the attempt `session` cannot go on. */
  unsent(to: NodeID, session: string, reason: string): void;
  /**
   * A message from `from` that was refused: `bad-setup` for a malformed one,
   * `peer-auth-failed` for a proof that does not hold (then `signal` is the message as it
   * claimed to be, when its fields were well-formed).
   */
  reject(
    from: NodeID,
    code: "bad-setup" | "peer-auth-failed",
    message: string,
    signal?: SetupSignal,
  ): void;
}

/** The most incoming messages waiting for their signature check. */
export const MAX_PENDING_CHECKS = 1024;
/**
 * The most of them from one source: a setup needs an offer or an answer and a few candidates, so
 * one source (or a few) flooding the checks cannot crowd out everyone else's setups. The source
 * is what the sender cannot choose: the node the signalling server proved, or the neighbour that
 * carried the message through the overlay (not the `from` it names).
 */
export const MAX_PENDING_PER_SENDER = 32;
/** The most nodes whose last offer or answer time is remembered. */
export const MAX_OFFER_TIMES = 10_000;

/** Signs outgoing and checks incoming setup messages; see the module documentation. */
export class SetupGuard {
  readonly #config: NodeConfig;
  readonly #events: SetupGuardEvents;
  #outgoing: Promise<void> = Promise.resolve();
  #incoming: Promise<void> = Promise.resolve();
  #pending = 0;
  /** Messages waiting for their check, by source (see MAX_PENDING_PER_SENDER). */
  readonly #pendingFrom = new Map<NodeID, number>();
  /** The time of the last offer or answer accepted from each node, oldest entry first. */
  readonly #offerTimes = new Map<NodeID, number>();

  /** Creates a guard for the node `config`. */
  constructor(config: NodeConfig, events: SetupGuardEvents) {
    this.#config = config;
    this.#events = events;
  }

  /** Signs `signal` for `to`, then hands it to `send` (in the order of calls). */
  outgoing(to: NodeID, signal: SetupSignal): void {
    // one failure must not stop the chain: every later message would be lost without a word
    this.#outgoing = this.#outgoing
      .then(() => signSetup(this.#config, to, signal))
      .then((signed) => this.#events.send(to, signed))
      .catch((error) =>
        this.#events.unsent(to, signal.session, `a setup message failed: ${error.message}`)
      );
  }

  /**
   * Checks a message from `from` that came by `route` (through the overlay: carried by the
   * neighbour `via`), then accepts or rejects it (in the order of calls).
   */
  incoming(
    from: NodeID,
    value: Record<string, unknown>,
    route: SetupVia = "server",
    via: NodeID = from,
  ): void {
    const source = via;
    const mine = this.#pendingFrom.get(source) ?? 0;
    if (this.#pending >= MAX_PENDING_CHECKS || mine >= MAX_PENDING_PER_SENDER) {
      this.#events.reject(
        from,
        "bad-setup",
        `dropped a setup message of node ${U256.short(from)}: ${
          mine >= MAX_PENDING_PER_SENDER ? `${mine} of its` : `${this.#pending}`
        } are waiting for their signature check already`,
      );
      return;
    }
    this.#pending++;
    this.#pendingFrom.set(source, mine + 1);
    this.#incoming = this.#incoming
      .then(() => this.#check(from, value, route))
      .catch((error) =>
        this.#events.reject(
          from,
          "bad-setup",
          `handling a setup message of node ${U256.short(from)} failed: ${error.message}`,
        )
      )
      .finally(() => {
        this.#pending--;
        const left = this.#pendingFrom.get(source)! - 1;
        if (left > 0) this.#pendingFrom.set(source, left);
        else this.#pendingFrom.delete(source);
      });
  }

  async #check(from: NodeID, value: Record<string, unknown>, route: SetupVia): Promise<void> {
    const who = `node ${U256.short(from)}`;
    let signal;
    try {
      signal = await verifySetup(from, this.#config.id, value);
    } catch (error) {
      // a SetupAuthError comes only once the fields were found well-formed
      const auth = error instanceof SetupAuthError;
      return this.#events.reject(
        from,
        auth ? "peer-auth-failed" : "bad-setup",
        `refused a setup message said to be from ${who}: ${(error as Error).message}`,
        auth ? parseSetupSignal(value) : undefined,
      );
    }
    if (signal.kind === "offer" || signal.kind === "answer") {
      const last = this.#offerTimes.get(from);
      if (signal.kind === "offer" && last !== undefined && signal.time <= last) {
        return this.#events.reject(
          from,
          "peer-auth-failed",
          `refused an offer from ${who}: it is not newer than the last offer or answer accepted ` +
            "from it (a replay, or an offer held back)",
        );
      }
      this.#offerTimes.delete(from);
      this.#offerTimes.set(from, Math.max(signal.time, last ?? 0));
      if (this.#offerTimes.size > MAX_OFFER_TIMES) {
        this.#offerTimes.delete(this.#offerTimes.keys().next().value!);
      }
    }
    const { time: _, ...bare } = signal;
    this.#events.accept(from, bare as SetupSignal, route);
  }
}

/**
 * Where setup messages are signed on the way out and checked on the way in, each direction in
 * order (a candidate must not overtake its offer). An incoming message is applied only once
 * its signature by the claimed sender holds. An offer also must be fresh, so that neither a
 * replayed offer nor one held back (by a server or a relay) until a connection exists can tear a
 * working connection down: newer than the last offer or answer accepted from the same node (the
 * answer that set a connection up was signed later than any offer the node made before), or,
 * for a node no longer remembered, newer than every time forgotten. An offer that is not is
 * answered with a challenge: the sender makes it again with the guard's nonce in it, which only
 * the live sender can sign. So a replay is refused however many nodes came since, and a node
 * whose clock was set back still connects (one round trip more).
 * What waits for a check is bounded, in all and per sender, as are the memories of offer times
 * and of challenges.
 * @module
 */

import type { NodeConfig } from "../core/config.ts";
import { type NodeID, toHex, U256 } from "../core/ids.ts";
import { Logger } from "../core/log.ts";
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

const log = new Logger("setup-guard");

/** The most incoming messages waiting for their signature check. */
export const MAX_PENDING_CHECKS = 1024;
/**
 * The most of them from one source: a setup needs an offer or an answer and a few candidates, so
 * one source (or a few) flooding the checks cannot crowd out everyone else's setups. The source
 * is what the sender cannot choose: the node the signalling server proved, or the neighbour that
 * carried the message through the overlay (not the `from` it names).
 */
export const MAX_PENDING_PER_SENDER = 32;
/**
 * The most nodes whose last offer or answer time is remembered; the times of those forgotten
 * are summed up by the latest of them (offers of nodes not remembered must be newer).
 */
export const MAX_OFFER_TIMES = 10_000;
/** The most challenges waiting for their answer (the oldest is forgotten first). */
export const MAX_CHALLENGES = 1024;
/** How long a challenge waits for the offer that answers it. */
export const CHALLENGE_TTL_MS = 30_000;
/** The least time between two challenges to one node. */
export const CHALLENGE_RESEND_MS = 1_000;

/** Limits and the clock of a {@link SetupGuard} (the defaults are the constants above). */
export interface SetupGuardOptions {
  /** See {@link MAX_OFFER_TIMES}. */
  maxOfferTimes?: number;
  /** See {@link MAX_CHALLENGES}. */
  maxChallenges?: number;
  /** Milliseconds since 1970 (default `Date.now`). */
  now?: () => number;
}

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
  /** The latest time forgotten from {@link #offerTimes}. */
  #forgotten = 0;
  /** The challenge each node was sent and not answered yet, with when it ends; oldest first. */
  readonly #challenges = new Map<NodeID, { nonce: string; ends: number; sent: number }>();
  readonly #maxOfferTimes: number;
  readonly #maxChallenges: number;
  readonly #now: () => number;

  /** Creates a guard for the node `config`. */
  constructor(config: NodeConfig, events: SetupGuardEvents, options: SetupGuardOptions = {}) {
    this.#config = config;
    this.#events = events;
    this.#maxOfferTimes = options.maxOfferTimes ?? MAX_OFFER_TIMES;
    this.#maxChallenges = options.maxChallenges ?? MAX_CHALLENGES;
    this.#now = options.now ?? Date.now;
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
      signal = await verifySetup(from, this.#config.id, value, this.#now());
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
    if (signal.kind === "offer" && !this.#fresh(from, signal)) return;
    if (signal.kind === "offer" || signal.kind === "answer") this.#remember(from, signal.time);
    const { time: _, ...bare } = signal;
    this.#events.accept(from, bare as SetupSignal, route);
  }

  /**
   * Whether `offer` is fresh: its nonce answers the challenge `from` was sent, or it is newer
   * than what is remembered of `from`. Else `from` is challenged (or, for a nonce that answers
   * nothing, refused) and false returned.
   */
  #fresh(from: NodeID, offer: SetupSignal & { kind: "offer"; time: number }): boolean {
    const now = this.#now();
    if ((this.#challenges.get(from)?.ends ?? now) < now) this.#challenges.delete(from);
    const challenge = this.#challenges.get(from);
    if (offer.nonce !== undefined) {
      if (challenge?.nonce === offer.nonce) {
        this.#challenges.delete(from);
        return true;
      }
      this.#events.reject(
        from,
        "peer-auth-failed",
        `refused an offer from node ${U256.short(from)}: its nonce answers no challenge of this ` +
          `node (answered already, or older than ${CHALLENGE_TTL_MS / 1000} s)`,
        offer,
      );
      return false;
    }
    if (offer.time > (this.#offerTimes.get(from) ?? this.#forgotten)) return true;
    // a replay, an offer held back, or a clock set back: only the live sender can answer this.
    // A challenge is not renewed while it waits (replays cannot void the sender's answer), and
    // goes to one node at most once a second (replays cannot make this node flood it).
    if (challenge && now - challenge.sent < CHALLENGE_RESEND_MS) return false;
    const nonce = challenge?.nonce ?? toHex(crypto.getRandomValues(new Uint8Array(16)));
    this.#challenges.set(from, {
      nonce,
      ends: challenge?.ends ?? now + CHALLENGE_TTL_MS,
      sent: now,
    });
    if (this.#challenges.size > this.#maxChallenges) {
      this.#challenges.delete(this.#challenges.keys().next().value!);
    }
    log.debug(`challenged the offer ${offer.session} of node ${U256.short(from)}: not newer`);
    this.outgoing(from, { kind: "challenge", session: offer.session, nonce });
    return false;
  }

  /** Remembers `time` as the latest offer or answer of `from`, unless a later one is. */
  #remember(from: NodeID, time: number): void {
    const last = this.#offerTimes.get(from);
    this.#offerTimes.delete(from);
    this.#offerTimes.set(from, Math.max(time, last ?? 0));
    if (this.#offerTimes.size > this.#maxOfferTimes) {
      const [oldest, when] = this.#offerTimes.entries().next().value!;
      this.#offerTimes.delete(oldest);
      this.#forgotten = Math.max(this.#forgotten, when);
    }
  }
}

/**
 * A guard against two tabs (or workers) of one origin running the same identity at once, which
 * would make the signalling server replace one with the other again and again. In a browser it is
 * a Web Lock (`navigator.locks`, held while the identity runs): the browser gives it to one tab
 * at a time, with no window in which two can take it. Where there are no Web Locks (Deno, Node)
 * it speaks over a `BroadcastChannel`: a tab that wants an identity asks the channel; the tab
 * that holds it answers. Two asking at the same moment compare random tickets and the lower one
 * wins (a claim delayed past the wait, by a throttled tab, could still be missed there).
 *
 * @example
 * ```ts
 * import { claimIdentity, IdentityInUseError } from "./identity_guard.ts";
 * try {
 *   const claim = await claimIdentity("flnet/node");
 *   // ... run the node, then:
 *   await claim.release();
 * } catch (error) {
 *   if (error instanceof IdentityInUseError) console.log(error.message);
 * }
 * ```
 * @module
 */

/** Options of {@link claimIdentity}. */
export interface ClaimOptions {
  /** How long to wait for a holder to answer, ms (default 250). */
  waitMs?: number;
}

/** A held identity; `release` lets another tab take it. */
export interface IdentityClaim {
  /** The identity's name. */
  readonly name: string;
  /** Gives the identity up; resolves once another tab may take it. */
  release(): Promise<void>;
}

/** Thrown by {@link claimIdentity} when another tab holds the identity. */
export class IdentityInUseError extends Error {
  /** Says which identity is taken and what to do. */
  constructor(readonly identity: string) {
    super(
      `the identity "${identity}" is in use by another tab or window of this site: close it ` +
        `first, or start this one with its own identity`,
    );
    this.name = "IdentityInUseError";
  }
}

type GuardMessage = { type: "claim"; ticket: number } | { type: "held" };

/** The part of the Web Locks API the guard uses. */
interface WebLocks {
  request(
    name: string,
    options: { ifAvailable: boolean },
    callback: (lock: unknown) => Promise<void> | void,
  ): Promise<unknown>;
}

/**
 * Claims the identity `name` among the tabs of this origin; throws {@link IdentityInUseError}
 * when another tab holds it or wins a simultaneous claim.
 */
export function claimIdentity(name: string, options: ClaimOptions = {}): Promise<IdentityClaim> {
  const locks = (globalThis.navigator as { locks?: WebLocks } | undefined)?.locks;
  return locks ? claimWithLock(locks, name) : claimOverChannel(name, options);
}

/** Takes the Web Lock of `name` if no other tab holds it, and holds it until released. */
function claimWithLock(locks: WebLocks, name: string): Promise<IdentityClaim> {
  return new Promise((resolve, reject) => {
    let free = () => {};
    const held = new Promise<void>((done) => free = done);
    const request = locks.request(`flnet-identity:${name}`, { ifAvailable: true }, (lock) => {
      if (!lock) return reject(new IdentityInUseError(name));
      resolve({ name, release: () => (free(), request.then(() => undefined)) });
      return held;
    });
    request.catch(reject);
  });
}

/** The guard over a BroadcastChannel, where there are no Web Locks. */
async function claimOverChannel(name: string, options: ClaimOptions): Promise<IdentityClaim> {
  const channel = new BroadcastChannel(`flnet-identity:${name}`);
  const ticket = crypto.getRandomValues(new Uint32Array(1))[0];
  const me: { state: "claiming" | "held" | "lost" } = { state: "claiming" };
  channel.onmessage = (event: MessageEvent<GuardMessage>) => {
    const message = event.data;
    if (message?.type === "held" && me.state === "claiming") me.state = "lost";
    else if (message?.type === "claim") {
      if (me.state === "held") channel.postMessage({ type: "held" } satisfies GuardMessage);
      else if (me.state === "claiming" && message.ticket <= ticket) me.state = "lost";
      // a channel made after ours missed our claim: tell it
      else if (me.state === "claiming") {
        channel.postMessage({ type: "claim", ticket } satisfies GuardMessage);
      }
    }
  };
  channel.postMessage({ type: "claim", ticket } satisfies GuardMessage);
  await new Promise((resolve) => setTimeout(resolve, options.waitMs ?? 250));
  if (me.state === "lost") {
    channel.close();
    throw new IdentityInUseError(name);
  }
  me.state = "held";
  return { name, release: () => Promise.resolve(channel.close()) };
}

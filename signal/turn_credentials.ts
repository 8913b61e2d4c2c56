/**
 * Short-lived TURN credentials in the scheme of the TURN REST API draft, as coturn implements it
 * with `use-auth-secret` and `static-auth-secret`: the user name is the expiry time (Unix
 * seconds) and an id, joined by a colon; the password is the Base64 of the HMAC-SHA1 of the user
 * name under the secret shared with the TURN server. The TURN server checks both without asking
 * anyone, and refuses them once the time has passed.
 * @module
 */

/**
 * How long TURN credentials stay valid by default: ten minutes, so that credentials a node leaks
 * or keeps after it left are soon worth nothing.
 */
export const DEFAULT_TURN_TTL_SECONDS = 600;

/** What the signalling server needs to hand out TURN credentials. */
export interface TurnGrantOptions {
  /** The secret shared with the TURN server (coturn's `static-auth-secret`). */
  secret: string;
  /** The TURN (and STUN) URLs the credentials are for, e.g. `turn:turn.example.org:3478`. */
  urls: string[];
  /**
   * How long credentials stay valid (default {@link DEFAULT_TURN_TTL_SECONDS}); a server renews
   * a node's at half that while the node stays.
   */
  ttlSeconds?: number;
}

/** A TURN server entry with credentials, as `RTCPeerConnection` takes it. */
export interface TurnGrant {
  /** The TURN URLs. */
  urls: string[];
  /** `<expiry in Unix seconds>:<user>`. */
  username: string;
  /** Base64 HMAC-SHA1 of `username` under the shared secret. */
  credential: string;
}

/**
 * Credentials for `user` valid until `nowMs + ttlSeconds`.
 *
 * @example
 * ```ts
 * import { turnCredentials } from "./turn_credentials.ts";
 * const grant = await turnCredentials(
 *   { secret: "s3cret", urls: ["turn:127.0.0.1:3478"], ttlSeconds: 3600 },
 *   "node-1",
 *   0,
 * );
 * console.log(grant.username); // "3600:node-1"
 * ```
 */
export async function turnCredentials(
  options: TurnGrantOptions,
  user: string,
  nowMs: number = Date.now(),
): Promise<TurnGrant> {
  const username = `${
    Math.floor(nowMs / 1000) + (options.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS)
  }:${user}`;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(options.secret),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(username)),
  );
  return { urls: [...options.urls], username, credential: btoa(String.fromCharCode(...mac)) };
}

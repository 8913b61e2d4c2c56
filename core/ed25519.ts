/**
 * Checks WebCrypto leaves to the caller. Node 20 and Deno 2.9 verify Ed25519 signatures under
 * small-order public keys (for chosen messages, without any private key) and under keys and
 * signatures that are not in canonical form; flnet refuses such keys and signatures before it
 * asks WebCrypto (RFC 8032 5.1.7; the eight small-order points as libsodium lists them).
 *
 * @example
 * ```ts
 * import { fromHex } from "./ids.ts";
 * import { weakPublicKey } from "./ed25519.ts";
 * const identity = fromHex("01" + "00".repeat(31));
 * console.log(weakPublicKey(identity)); // "a small-order point"
 * ```
 * @module
 */

import { fromHex } from "./ids.ts";

/** The field prime 2^255 - 19. */
const P = (1n << 255n) - 19n;
/** The group order 2^252 + 27742317777372353535851937790883648493. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/** The canonical encodings of the eight points of order 1, 2, 4 and 8. */
export const SMALL_ORDER_POINTS: readonly string[] = [
  "0100000000000000000000000000000000000000000000000000000000000000", // order 1
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
  "0000000000000000000000000000000000000000000000000000000000000000", // order 4
  "0000000000000000000000000000000000000000000000000000000000000080", // order 4
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
];

const SMALL_ORDER = new Set(SMALL_ORDER_POINTS.map((hex) => fromHex(hex).join()));

/** Little-endian bytes as a number. */
function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

/**
 * Why the 32 bytes `key` must not be trusted as an Ed25519 public key, or undefined when they
 * may: a small-order point (or the same point with its sign bit flipped), or a y coordinate not
 * below the field prime (a non-canonical encoding).
 */
export function weakPublicKey(key: Uint8Array): string | undefined {
  if (key.length !== 32) return `${key.length} bytes instead of 32`;
  const unsigned = key.slice();
  unsigned[31] &= 0x7f;
  if (SMALL_ORDER.has(key.join()) || SMALL_ORDER.has(unsigned.join())) return "a small-order point";
  if (littleEndian(unsigned) >= P) return "a non-canonical encoding";
  return undefined;
}

/** True when the 64-byte `signature` has its scalar half in canonical form (below the order). */
export function canonicalSignature(signature: Uint8Array): boolean {
  return signature.length === 64 && littleEndian(signature.subarray(32)) < L;
}

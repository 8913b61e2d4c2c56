/**
 * 256-bit identifiers: {@link U256}, the {@link NodeID} of a node, and {@link NodeIDs} sets.
 *
 * A U256 is a lowercase 64-character hex string with a type brand. Strings compare with `===`,
 * key a `Map` directly, sort in numeric order and pass through JSON and `postMessage`
 * unchanged, so messages that carry ids stay plain data.
 *
 * @example
 * ```ts
 * import { U256 } from "./ids.ts";
 * const id = U256.fromHex("00".repeat(31) + "2a");
 * console.log(U256.short(id), U256.toBytes(id)[31]); // "00000000" 42
 * ```
 * @module
 */

/** 32 bytes as 64 lowercase hex characters. Build one with the {@link U256} functions. */
export type U256 = string & { readonly __brand: "U256" };

/** The id of a node: its Ed25519 public key (see `core/config.ts`). */
export type NodeID = U256;

const HEX_LENGTH = 64;
const HEX_DIGITS = "0123456789abcdef";

function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += HEX_DIGITS[byte >> 4] + HEX_DIGITS[byte & 15];
  return hex;
}

/** The functions in {@link U256}. */
export interface U256Functions {
  /** The all-zero id. */
  readonly zero: U256;
  /** Parses 64 hex characters; throws a TypeError saying what is wrong. */
  fromHex(hex: string): U256;
  /** True when `value` is a canonical U256 string. */
  is(value: unknown): value is U256;
  /** Wraps exactly 32 bytes. */
  fromBytes(bytes: Uint8Array): U256;
  /** The 32 bytes of an id. */
  toBytes(id: U256): Uint8Array;
  /** A fresh random id. */
  random(): U256;
  /** The SHA-256 of `data`. */
  hash(data: Uint8Array | string): Promise<U256>;
  /** Numeric order. */
  compare(a: U256, b: U256): number;
  /** The first 8 hex characters. */
  short(id: U256): string;
}

/** 64 lower-case hex digits: an id as flnet writes it. */
const LOWER_HEX = /^[0-9a-f]{64}$/;

/** Functions to make, check and compare {@link U256} values. */
export const U256: U256Functions = {
  /** The all-zero id. */
  zero: "0".repeat(HEX_LENGTH) as U256,

  /**
   * Parses 64 hex characters (either case). Throws a `TypeError` that says what is wrong:
   * not a string, the wrong length, or the first character that is not hex.
   */
  fromHex(hex: string): U256 {
    if (typeof hex === "string" && LOWER_HEX.test(hex)) return hex as U256; // the usual case
    if (typeof hex !== "string") {
      throw new TypeError(`a U256 must be a hex string, got ${typeof hex}`);
    }
    if (hex.length !== HEX_LENGTH) {
      throw new TypeError(
        `a U256 must be ${HEX_LENGTH} hex characters (32 bytes), got ${hex.length}`,
      );
    }
    const lower = hex.toLowerCase();
    for (let i = 0; i < HEX_LENGTH; i++) {
      if (!HEX_DIGITS.includes(lower[i])) {
        throw new TypeError(`a U256 must be hex, but character ${i} is ${JSON.stringify(hex[i])}`);
      }
    }
    return lower as U256;
  },

  /** True when `value` is a string that {@link U256.fromHex} would return unchanged. */
  is(value: unknown): value is U256 {
    return typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
  },

  /** Wraps exactly 32 bytes. */
  fromBytes(bytes: Uint8Array): U256 {
    if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
      throw new TypeError(`a U256 needs exactly 32 bytes, got ${describeBytes(bytes)}`);
    }
    return bytesToHex(bytes) as U256;
  },

  /** The 32 bytes of an id. */
  toBytes(id: U256): Uint8Array {
    const bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i++) bytes[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
    return bytes;
  },

  /** A fresh random id from `crypto.getRandomValues`. */
  random(): U256 {
    return bytesToHex(crypto.getRandomValues(new Uint8Array(32))) as U256;
  },

  /** The SHA-256 of `data` (a string is hashed as UTF-8). */
  async hash(data: Uint8Array | string): Promise<U256> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
    return bytesToHex(new Uint8Array(digest)) as U256;
  },

  /** Numeric order: negative when `a < b`, zero when equal, positive when `a > b`. */
  compare(a: U256, b: U256): number {
    return a < b ? -1 : a > b ? 1 : 0;
  },

  /** The first 8 hex characters, for logs and user interfaces. */
  short(id: U256): string {
    return id.slice(0, 8);
  },
};

function describeBytes(value: unknown): string {
  return value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
}

/** Lowercase hex of any byte array (for keys, signatures and digests). */
export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** Parses hex of any even length into bytes; throws a `TypeError` that says what is wrong. */
export function fromHex(hex: string, what = "value"): Uint8Array {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`${what} must be an even-length hex string`);
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

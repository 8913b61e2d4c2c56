/**
 * A node's identity: {@link NodeInfo} (public, sent to others) and {@link NodeConfig} (the
 * info plus the private Ed25519 key, kept on the node).
 *
 * The {@link NodeID} of a node is its 32-byte Ed25519 public key, so a signature can be checked
 * against a NodeID alone and no node can claim an id it has no key for.
 *
 * A config is stored as versioned JSON. Older versions are migrated when decoded; a config that
 * cannot be decoded is an error that names what is wrong. It is never replaced by a fresh
 * identity behind the user's back.
 *
 * @example
 * ```ts
 * import { NodeConfig, verifySignature } from "./config.ts";
 * const config = await NodeConfig.create({ name: "alice" });
 * const data = new TextEncoder().encode("hello");
 * const signature = await config.sign(data);
 * console.log(await verifySignature(config.id, data, signature)); // true
 * const again = await NodeConfig.decode(config.encode()); // same identity
 * ```
 * @module
 */

import { fromHex, type NodeID, toHex, U256 } from "./ids.ts";
import { type Rng, sample, secureRandom } from "./random.ts";
import type { DataStorage } from "./storage.ts";
import { canonicalSignature, weakPublicKey } from "./ed25519.ts";

/**
 * What a node tells others about itself. Plain data: it travels in JSON as it is.
 * `modules` may hold names this version does not know (announced by newer nodes).
 */
export interface NodeInfo {
  /** A human-readable name; not unique. */
  name: string;
  /** The software and runtime, e.g. `"flnet/deno"`. */
  client: string;
  /** The Ed25519 public key as 64 lowercase hex characters; also the node's id. */
  pubkey: string;
  /** The modules the node runs. */
  modules: string[];
}

/** Limits that keep a NodeInfo small on the wire; {@link parseNodeInfo} enforces them. */
export const NODE_INFO_LIMITS = { name: 64, client: 64, modules: 16, moduleName: 32 } as const;

/** Why a {@link NodeConfig} (or a NodeInfo inside it) could not be decoded. */
export class NodeConfigError extends Error {
  /** Describes the problem.
   * @param message what is wrong, in words a user can act on. */
  constructor(message: string) {
    super(message);
    this.name = "NodeConfigError";
  }
}

/** The id of the node described by `info`. */
export function nodeIdOf(info: NodeInfo): NodeID {
  return U256.fromHex(info.pubkey);
}

/**
 * Checks that `value` is a well-formed {@link NodeInfo} within {@link NODE_INFO_LIMITS} and
 * returns a clean copy (only the known fields, pubkey in lowercase). Throws a
 * {@link NodeConfigError} naming the first bad field; `where` prefixes the message.
 */
export function parseNodeInfo(value: unknown, where = "node info"): NodeInfo {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new NodeConfigError(`${where} must be an object`);
  }
  const v = value as Record<string, unknown>;
  const text = (field: "name" | "client", max: number): string => {
    const s = v[field];
    if (typeof s !== "string" || s.length === 0 || s.length > max) {
      throw new NodeConfigError(`${where}.${field} must be a string of 1 to ${max} characters`);
    }
    return s;
  };
  const name = text("name", NODE_INFO_LIMITS.name);
  const client = text("client", NODE_INFO_LIMITS.client);
  if (!U256.is(typeof v.pubkey === "string" ? v.pubkey.toLowerCase() : v.pubkey)) {
    throw new NodeConfigError(`${where}.pubkey must be 64 hex characters (an Ed25519 key)`);
  }
  const weak = weakPublicKey(fromHex(v.pubkey as string));
  if (weak) {
    throw new NodeConfigError(`${where}.pubkey is ${weak}, not a usable Ed25519 key`);
  }
  const modules = v.modules;
  if (
    !Array.isArray(modules) || modules.length > NODE_INFO_LIMITS.modules ||
    !modules.every((m) =>
      typeof m === "string" && m.length > 0 && m.length <= NODE_INFO_LIMITS.moduleName
    )
  ) {
    throw new NodeConfigError(
      `${where}.modules must be a list of at most ${NODE_INFO_LIMITS.modules} module names`,
    );
  }
  return { name, client, pubkey: (v.pubkey as string).toLowerCase(), modules: [...modules] };
}

/**
 * Checks an Ed25519 `signature` of `data` by the node `id`. False for a wrong signature, a
 * signature of the wrong length or not in canonical form, or an id that is not a valid public
 * key, or a weak one (small order, non-canonical: see `core/ed25519.ts`).
 */
export async function verifySignature(
  id: NodeID,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (!canonicalSignature(signature)) return false;
  let key: Uint8Array;
  try {
    key = U256.toBytes(id);
  } catch {
    return false;
  }
  if (weakPublicKey(key) !== undefined) return false;
  try {
    const cryptoKey = await crypto.subtle.importKey("raw", buffer(key), "Ed25519", false, [
      "verify",
    ]);
    return await crypto.subtle.verify("Ed25519", cryptoKey, buffer(signature), buffer(data));
  } catch {
    return false;
  }
}

/** The options of {@link NodeConfig.create}. */
export interface NodeConfigOptions {
  /** A human-readable name; a random one like `"calm-otter"` by default. */
  name?: string;
  /** The software and runtime; the entry points set it (`"flnet"` by default). */
  client?: string;
  /** The modules the node runs and announces (none by default; a `Node` fills in its own). */
  modules?: string[];
  /** Randomness for the default name (tests pass a seeded one). */
  rng?: Rng;
}

/** The current format version written by {@link NodeConfig.encode}. */
export const NODE_CONFIG_VERSION = 2;
const FORMAT = "flnet/node-config";
// An Ed25519 PKCS#8 private key is this fixed prefix followed by the 32-byte seed.
const PKCS8_PREFIX = fromHex("302e020100300506032b657004220420");
// Version 1 stored the modules as a bit mask, as fledger's NodeInfo does.
const V1_MODULE_BITS: [number, string][] = [[1, "stat"], [2, "random"], [4, "gossip"], [
  8,
  "ping",
]];

/**
 * A node's identity and settings: its {@link NodeInfo} and its private key. Create one with
 * {@link NodeConfig.create}, keep it with {@link NodeConfig.load} or {@link NodeConfig.encode}.
 */
export class NodeConfig {
  readonly #seed: Uint8Array;
  readonly #key: CryptoKey;

  private constructor(readonly info: NodeInfo, seed: Uint8Array, key: CryptoKey) {
    this.#seed = seed;
    this.#key = key;
  }

  /** This node's id (its public key). */
  get id(): NodeID {
    return nodeIdOf(this.info);
  }

  /** A new identity with a fresh Ed25519 key pair. */
  static async create(options: NodeConfigOptions = {}): Promise<NodeConfig> {
    const pair = await crypto.subtle.generateKey("Ed25519", true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    const seed = pkcs8.slice(PKCS8_PREFIX.length);
    const info = parseNodeInfo({
      name: options.name ?? randomName(options.rng),
      client: options.client ?? "flnet",
      pubkey: toHex(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey))),
      modules: options.modules ?? [],
    }, "new node config");
    return await NodeConfig.#fromSeed(info, seed, "new node config");
  }

  /**
   * Decodes what {@link encode} wrote (any version), checking every field and that the public
   * key matches the private key. Throws a {@link NodeConfigError} that says what is wrong.
   */
  static async decode(text: string): Promise<NodeConfig> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new NodeConfigError(`node config is not valid JSON (${(error as Error).message})`);
    }
    if (
      typeof json !== "object" || json === null || (json as { format?: unknown }).format !== FORMAT
    ) {
      throw new NodeConfigError(`node config must be a JSON object with "format": "${FORMAT}"`);
    }
    const record = json as Record<string, unknown>;
    switch (record.version) {
      case 1:
        return await NodeConfig.#decodeV1(record);
      case 2: {
        const info = parseNodeInfo(record.info, "node config info");
        const seed = decodeSeed(record.secretKey, "node config secretKey");
        return await NodeConfig.#fromSeed(info, seed, "node config");
      }
      default:
        throw new NodeConfigError(
          typeof record.version === "number" && record.version > NODE_CONFIG_VERSION
            ? `node config version ${record.version} is newer than this flnet understands ` +
              `(up to ${NODE_CONFIG_VERSION}); upgrade flnet to read it`
            : `node config has no valid version (got ${JSON.stringify(record.version)})`,
        );
    }
  }

  /**
   * Reads the config stored under `key`, or creates one with `options` and stores it when
   * there is none. A stored config that cannot be decoded throws: it is never overwritten.
   */
  static async load(
    storage: DataStorage,
    key = "nodeConfig",
    options: NodeConfigOptions = {},
  ): Promise<NodeConfig> {
    const stored = await storage.get(key);
    if (stored !== undefined) {
      try {
        return await NodeConfig.decode(stored);
      } catch (error) {
        throw new NodeConfigError(
          `the node config stored under "${key}" is damaged: ${(error as Error).message}. ` +
            `Restore it from a backup, or remove it to start with a new identity.`,
        );
      }
    }
    const config = await NodeConfig.create(options);
    await storage.set(key, config.encode());
    return config;
  }

  /** The config as JSON in the current version, private key included: keep it secret. */
  encode(): string {
    return JSON.stringify({
      format: FORMAT,
      version: NODE_CONFIG_VERSION,
      info: this.info,
      secretKey: toHex(this.#seed),
    });
  }

  /** The same identity with a new name, client or module list. */
  async with(changes: Omit<NodeConfigOptions, "rng">): Promise<NodeConfig> {
    const info = parseNodeInfo({ ...this.info, ...changes }, "node config change");
    return await NodeConfig.#fromSeed(info, this.#seed, "node config change");
  }

  /** Signs `data` with this node's private key (64-byte Ed25519 signature). */
  async sign(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign("Ed25519", this.#key, buffer(data)));
  }

  static async #decodeV1(record: Record<string, unknown>): Promise<NodeConfig> {
    const keypair = typeof record.keypair === "string" ? base64Decode(record.keypair) : undefined;
    if (!keypair || keypair.length !== 64) {
      throw new NodeConfigError(
        "node config (version 1) keypair must be 64 bytes in base64 (seed and public key)",
      );
    }
    const bits = record.modules;
    if (typeof bits !== "number" || !Number.isInteger(bits) || bits < 0) {
      throw new NodeConfigError("node config (version 1) modules must be a bit mask");
    }
    const info = parseNodeInfo({
      name: record.name,
      client: record.client,
      pubkey: toHex(keypair.slice(32)),
      modules: V1_MODULE_BITS.filter(([bit]) => bits & bit).map(([, name]) => name),
    }, "node config (version 1)");
    return await NodeConfig.#fromSeed(info, keypair.slice(0, 32), "node config (version 1)");
  }

  /** Imports the key and checks that `info.pubkey` is its public key. */
  static async #fromSeed(info: NodeInfo, seed: Uint8Array, where: string): Promise<NodeConfig> {
    const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + seed.length);
    pkcs8.set(PKCS8_PREFIX);
    pkcs8.set(seed, PKCS8_PREFIX.length);
    let key: CryptoKey;
    let pubkey: string;
    try {
      key = await crypto.subtle.importKey("pkcs8", pkcs8, "Ed25519", true, ["sign"]);
      const jwk = await crypto.subtle.exportKey("jwk", key);
      pubkey = toHex(base64Decode(jwk.x ?? "") ?? new Uint8Array());
    } catch (error) {
      throw new NodeConfigError(
        `${where} has an unusable private key (${(error as Error).message})`,
      );
    }
    if (pubkey !== info.pubkey) {
      throw new NodeConfigError(
        `${where} is damaged: its public key does not match its private key`,
      );
    }
    key = await crypto.subtle.importKey("pkcs8", pkcs8, "Ed25519", false, ["sign"]);
    return new NodeConfig(info, seed, key);
  }
}

function decodeSeed(value: unknown, where: string): Uint8Array {
  if (typeof value !== "string" || !/^[0-9a-fA-F]{64}$/.test(value)) {
    throw new NodeConfigError(`${where} must be 64 hex characters (an Ed25519 private key)`);
  }
  return fromHex(value);
}

function base64Decode(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function buffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

const ADJECTIVES = [
  "brave",
  "calm",
  "clever",
  "eager",
  "gentle",
  "happy",
  "keen",
  "lively",
  "merry",
  "quick",
  "quiet",
  "swift",
  "bright",
  "bold",
  "kind",
  "wise",
];
const ANIMALS = [
  "otter",
  "falcon",
  "badger",
  "heron",
  "lynx",
  "panda",
  "raven",
  "tiger",
  "whale",
  "fox",
  "owl",
  "seal",
  "wolf",
  "yak",
  "ibis",
  "crane",
];

/** A readable random name such as `"calm-otter"`. */
export function randomName(rng: Rng = secureRandom): string {
  return `${sample(ADJECTIVES, 1, rng)[0]}-${sample(ANIMALS, 1, rng)[0]}`;
}

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  NODE_CONFIG_VERSION,
  NodeConfig,
  NodeConfigError,
  nodeIdOf,
  parseNodeInfo,
  randomName,
  verifySignature,
} from "../../core/config.ts";
import { U256 } from "../../core/ids.ts";
import { seededRandom } from "../../core/random.ts";
import { MemoryStorage } from "../../core/storage.ts";
import v1Fixture from "./fixtures/node_config_v1.json" with { type: "json" };

const V1_ID = U256.fromHex("79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664");
const data = new TextEncoder().encode("challenge");

describe("NodeConfig", () => {
  it("creates an identity whose NodeID is its public key", async () => {
    const config = await NodeConfig.create({ client: "flnet/test", rng: seededRandom(3) });
    assert.ok(U256.is(config.id));
    assert.equal(config.id, config.info.pubkey);
    assert.equal(nodeIdOf(config.info), config.id);
    assert.match(config.info.name, /^[a-z]+-[a-z]+$/);
    assert.equal(config.info.client, "flnet/test");
    assert.deepEqual(config.info.modules, [], "a bare config runs no module; a Node adds its own");
    assert.notEqual((await NodeConfig.create()).id, config.id);
  });

  it("signs, and verifySignature accepts only the right data, signer and length", async () => {
    const config = await NodeConfig.create();
    const other = await NodeConfig.create();
    const signature = await config.sign(data);
    assert.equal(signature.length, 64);
    assert.equal(await verifySignature(config.id, data, signature), true);
    assert.equal(await verifySignature(other.id, data, signature), false);
    assert.equal(
      await verifySignature(config.id, new TextEncoder().encode("other"), signature),
      false,
    );
    assert.equal(await verifySignature(config.id, data, signature.slice(1)), false);
    const flipped = signature.slice();
    flipped[10] ^= 1;
    assert.equal(await verifySignature(config.id, data, flipped), false);
  });

  it("encodes and decodes to the same identity", async () => {
    const config = await NodeConfig.create({ name: "alice", modules: ["gossip"] });
    const text = config.encode();
    assert.equal(JSON.parse(text).version, NODE_CONFIG_VERSION);
    const again = await NodeConfig.decode(text);
    assert.deepEqual(again.info, config.info);
    assert.equal(await verifySignature(config.id, data, await again.sign(data)), true);
  });

  it("migrates the version 1 fixture", async () => {
    const config = await NodeConfig.decode(JSON.stringify(v1Fixture));
    assert.equal(config.id, V1_ID);
    assert.deepEqual(config.info, {
      name: "fixture-node",
      client: "flnet/0.0",
      pubkey: V1_ID,
      modules: ["stat", "random", "gossip"],
    });
    const upgraded = JSON.parse(config.encode());
    assert.equal(upgraded.version, 2);
    assert.equal((await NodeConfig.decode(config.encode())).id, V1_ID);
    assert.equal(await verifySignature(V1_ID, data, await config.sign(data)), true);
  });

  it("names what is wrong with a damaged config", async () => {
    const good = JSON.parse((await NodeConfig.create()).encode());
    const foreign = JSON.parse((await NodeConfig.create()).encode());
    const cases: [unknown, RegExp][] = [
      ["{not json", /not valid JSON/],
      [{ ...good, format: "other" }, /"format": "flnet\/node-config"/],
      [{ ...good, version: 3 }, /version 3 is newer than this flnet understands \(up to 2\)/],
      [{ ...good, version: undefined }, /no valid version \(got undefined\)/],
      [{ ...good, info: { ...good.info, name: "" } }, /info\.name must be a string of 1 to 64/],
      [{ ...good, info: { ...good.info, pubkey: "xyz" } }, /info\.pubkey must be 64 hex/],
      [{ ...good, info: { ...good.info, modules: "all" } }, /info\.modules must be a list/],
      [{ ...good, secretKey: "00" }, /secretKey must be 64 hex characters/],
      [{ ...good, info: foreign.info }, /public key does not match its private key/],
      [{ ...v1Fixture, keypair: "AAAA" }, /keypair must be 64 bytes in base64/],
      [{ ...v1Fixture, modules: "7" }, /modules must be a bit mask/],
    ];
    for (const [input, message] of cases) {
      const text = typeof input === "string" ? input : JSON.stringify(input);
      await assert.rejects(NodeConfig.decode(text), (error: Error) => {
        assert.ok(error instanceof NodeConfigError, `${text} gave ${error}`);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  it("load() creates and stores a config once, then keeps it", async () => {
    const storage = new MemoryStorage();
    const first = await NodeConfig.load(storage, "nodeConfig", { name: "bob" });
    assert.equal(first.info.name, "bob");
    const second = await NodeConfig.load(storage);
    assert.equal(second.id, first.id);
  });

  it("load() refuses a damaged stored config and never replaces it", async () => {
    const storage = new MemoryStorage();
    await storage.set("nodeConfig", '{"format":"flnet/node-config","version":2}');
    await assert.rejects(
      NodeConfig.load(storage),
      /stored under "nodeConfig" is damaged: node config info must be an object\. Restore it/,
    );
    assert.equal(
      await storage.get("nodeConfig"),
      '{"format":"flnet/node-config","version":2}',
      "the damaged config is left for the user to repair",
    );
  });

  it("with() changes the info but keeps the identity", async () => {
    const config = await NodeConfig.create({ name: "old" });
    const renamed = await config.with({ name: "new", modules: ["ping"] });
    assert.equal(renamed.id, config.id);
    assert.equal(renamed.info.name, "new");
    assert.deepEqual(renamed.info.modules, ["ping"]);
    await assert.rejects(config.with({ name: "x".repeat(65) }), /name must be a string of 1 to 64/);
  });
});

describe("parseNodeInfo", () => {
  it("returns a clean copy with the pubkey in lower case", () => {
    const info = parseNodeInfo({
      name: "n",
      client: "c",
      pubkey: "AB".repeat(32),
      modules: ["gossip", "future-module"],
      extra: "dropped",
    });
    assert.deepEqual(info, {
      name: "n",
      client: "c",
      pubkey: "ab".repeat(32),
      modules: ["gossip", "future-module"],
    });
  });

  it("enforces the size limits and says where", () => {
    const base = { name: "n", client: "c", pubkey: "ab".repeat(32), modules: [] };
    assert.throws(() => parseNodeInfo(null, "announce"), /announce must be an object/);
    assert.throws(() => parseNodeInfo({ ...base, client: "c".repeat(65) }), /client must be/);
    assert.throws(
      () => parseNodeInfo({ ...base, modules: Array(17).fill("m") }),
      /at most 16 module names/,
    );
    assert.throws(() => parseNodeInfo({ ...base, modules: [""] }), /modules must be a list/);
  });

  it("takes each field at its limit and refuses it one step beyond, with the error's name", async () => {
    const { pubkey } = (await NodeConfig.create()).info;
    const base = { name: "n", client: "c", pubkey, modules: [] };
    const ok = (changes: Record<string, unknown>) => parseNodeInfo({ ...base, ...changes });
    const refused = (changes: Record<string, unknown>, why: RegExp) =>
      assert.throws(() => parseNodeInfo({ ...base, ...changes }), (error: Error) => {
        assert.ok(error instanceof NodeConfigError);
        assert.equal(error.name, "NodeConfigError");
        assert.match(error.message, why);
        return true;
      });
    assert.equal(ok({ name: "n".repeat(64) }).name.length, 64);
    refused({ name: "n".repeat(65) }, /^node info\.name must be a string of 1 to 64 characters$/);
    refused({ name: "" }, /name must be a string of 1 to 64/);
    assert.equal(ok({ client: "c".repeat(64) }).client.length, 64);
    refused({ pubkey: "zz".repeat(32) }, /^node info\.pubkey must be 64 hex characters/);
    refused({ pubkey: 7 }, /pubkey must be 64 hex characters/);
    assert.equal(ok({ pubkey: pubkey.toUpperCase() }).pubkey, pubkey);
    refused({ pubkey: "00".repeat(32) }, /^node info\.pubkey is .+, not a usable Ed25519 key$/);
    assert.equal(ok({ modules: Array(16).fill("m".repeat(32)) }).modules.length, 16);
    refused({ modules: ["m".repeat(33)] }, /modules must be a list of at most 16 module names/);
    refused({ modules: [7] }, /modules must be a list/);
    refused({ modules: "gossip" }, /modules must be a list/);
    assert.equal(ok({ modules: ["a"] }).modules[0], "a");
  });

  it("makes names of an adjective and an animal, each a real word", () => {
    const rng = seededRandom(5);
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const name = randomName(rng);
      assert.match(name, /^[a-z]{2,}-[a-z]{2,}$/, name);
      assert.ok(!name.includes("undefined"), name);
      seen.add(name);
    }
    assert.ok(seen.size > 100, `${seen.size} different names`);
  });
});

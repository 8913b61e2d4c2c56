import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NodeConfig, NodeConfigError, parseNodeInfo, verifySignature } from "../../core/config.ts";
import { canonicalSignature, SMALL_ORDER_POINTS, weakPublicKey } from "../../core/ed25519.ts";
import { fromHex, type U256 } from "../../core/ids.ts";

const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/** `bytes` (little-endian) plus `n`. */
function plus(bytes: Uint8Array, n: bigint): Uint8Array {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  value += n;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

describe("Ed25519 keys and signatures WebCrypto would accept", () => {
  it("refuses the eight small-order points, with either sign bit", () => {
    for (const hex of SMALL_ORDER_POINTS) {
      const key = fromHex(hex);
      assert.equal(weakPublicKey(key), "a small-order point", hex);
      key[31] ^= 0x80;
      assert.equal(weakPublicKey(key), "a small-order point", `${hex} with its sign bit flipped`);
    }
  });

  it("refuses y coordinates at or above the field prime, and takes real keys", async () => {
    const p = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
    const pPlus2 = "efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
    assert.equal(weakPublicKey(fromHex(p)), "a non-canonical encoding");
    assert.equal(weakPublicKey(fromHex(pPlus2)), "a non-canonical encoding");
    assert.equal(weakPublicKey(new Uint8Array(31)), "31 bytes instead of 32");
    const config = await NodeConfig.create();
    assert.equal(weakPublicKey(fromHex(config.id)), undefined);
  });

  it("does not let the identity point 'sign' any message (WebCrypto verifies such forgeries)", async () => {
    const identity = SMALL_ORDER_POINTS[0] as U256;
    const forged = fromHex(SMALL_ORDER_POINTS[0] + "00".repeat(32)); // R = identity, S = 0
    const message = new TextEncoder().encode("I am whoever you like");
    assert.equal(await verifySignature(identity, message, forged), false);
  });

  it("refuses a signature whose scalar is not reduced (S + L)", async () => {
    const config = await NodeConfig.create();
    const data = new TextEncoder().encode("data");
    const signature = await config.sign(data);
    assert.ok(await verifySignature(config.id, data, signature));
    assert.ok(canonicalSignature(signature));
    const malleated = new Uint8Array(64);
    malleated.set(signature.subarray(0, 32));
    malleated.set(plus(signature.subarray(32), L), 32);
    assert.equal(canonicalSignature(malleated), false);
    assert.equal(await verifySignature(config.id, data, malleated), false);
  });

  it("refuses a node info that names a weak key, and says why", () => {
    const info = { name: "eve", client: "x", pubkey: SMALL_ORDER_POINTS[4], modules: [] };
    assert.throws(
      () => parseNodeInfo(info, "announce.info"),
      (e: Error) =>
        e instanceof NodeConfigError &&
        /announce\.info\.pubkey is a small-order point, not a usable Ed25519 key/.test(e.message),
    );
  });
});

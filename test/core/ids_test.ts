import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fromHex, toHex, U256 } from "../../core/ids.ts";
import { sample, seededRandom } from "../../core/random.ts";

describe("U256", () => {
  it("round-trips hex and bytes, lower-casing input", () => {
    const hex = "AB".repeat(32);
    const id = U256.fromHex(hex);
    assert.equal(id, "ab".repeat(32));
    assert.equal(U256.fromBytes(U256.toBytes(id)), id);
    assert.equal(U256.toBytes(id).length, 32);
    assert.ok(U256.is(id));
    assert.ok(!U256.is(hex), "upper case is not the canonical form");
  });

  it("says why hex is invalid", () => {
    assert.throws(() => U256.fromHex("abc"), /64 hex characters \(32 bytes\), got 3/);
    assert.throws(() => U256.fromHex("0".repeat(63) + "g"), /character 63 is "g"/);
    assert.throws(() => U256.fromHex(42 as unknown as string), /hex string, got number/);
    assert.throws(() => U256.fromBytes(new Uint8Array(31)), /exactly 32 bytes, got 31 bytes/);
  });

  it("makes distinct random ids and stable SHA-256 hashes", async () => {
    assert.notEqual(U256.random(), U256.random());
    assert.equal(
      await U256.hash("abc"),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    assert.equal(await U256.hash(new TextEncoder().encode("abc")), await U256.hash("abc"));
  });

  it("orders numerically and shortens for display", () => {
    const small = U256.fromHex("0f" + "ff".repeat(31));
    const big = U256.fromHex("10" + "00".repeat(31));
    assert.ok(U256.compare(small, big) < 0);
    assert.ok(U256.compare(big, small) > 0);
    assert.equal(U256.compare(big, big), 0);
    assert.deepEqual([big, small, U256.zero].sort(U256.compare), [U256.zero, small, big]);
    assert.equal(U256.short(big), "10000000");
  });

  it("converts hex of any even length, with errors that name the value", () => {
    assert.equal(toHex(fromHex("00ff10")), "00ff10");
    assert.throws(() => fromHex("abc", "signature"), /signature must be an even-length hex/);
  });
});

describe("random", () => {
  it("seeded sequences repeat; sample covers every element over many draws", () => {
    const one = seededRandom(42);
    const two = seededRandom(42);
    const draws = Array.from({ length: 5 }, () => one());
    assert.deepEqual(draws, Array.from({ length: 5 }, () => two()));
    assert.ok(draws.every((x) => x >= 0 && x < 1));
    const seen = new Set<number>();
    const rng = seededRandom(1);
    for (let i = 0; i < 200; i++) seen.add(sample([1, 2, 3, 4], 1, rng)[0]);
    assert.deepEqual([...seen].sort(), [1, 2, 3, 4]);
  });
});

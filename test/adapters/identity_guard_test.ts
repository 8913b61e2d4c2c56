import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { claimIdentity, IdentityInUseError } from "../../adapters/browser/identity_guard.ts";

// Deno has Web Locks, shared by the whole process as by a browser's tabs, so these run the
// guard as a page runs it; the browser tests (test/browser) cover real tabs, and the last test
// here the BroadcastChannel guard of runtimes without Web Locks.
describe("identity guard", () => {
  it("refuses a held identity with a message that says what to do, until it is released", async () => {
    const first = await claimIdentity("guard-test-a", { waitMs: 50 });
    await assert.rejects(claimIdentity("guard-test-a", { waitMs: 50 }), (error) => {
      assert.ok(error instanceof IdentityInUseError);
      assert.match(error.message, /"guard-test-a" is in use by another tab.*close it/);
      return true;
    });
    const other = await claimIdentity("guard-test-b", { waitMs: 50 });
    await first.release();
    const again = await claimIdentity("guard-test-a", { waitMs: 50 });
    await again.release();
    await other.release();
  });

  it("gives a simultaneously claimed identity to exactly one claimant", async () => {
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, () => claimIdentity(`guard-race-${round}`, { waitMs: 50 })),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      assert.equal(won.length, 1, `round ${round}: ${won.length} winners`);
      for (const r of results) {
        if (r.status === "rejected") assert.ok(r.reason instanceof IdentityInUseError);
        else await r.value.release();
      }
    }
  });

  it("without Web Locks, gives a simultaneously claimed identity to one claimant over a channel", async () => {
    const locks = Object.getOwnPropertyDescriptor(globalThis.navigator ?? {}, "locks");
    if (globalThis.navigator) {
      Object.defineProperty(globalThis.navigator, "locks", {
        value: undefined,
        configurable: true,
      });
    }
    try {
      for (let round = 0; round < 3; round++) {
        const results = await Promise.allSettled(
          Array.from({ length: 4 }, () => claimIdentity(`channel-race-${round}`, { waitMs: 50 })),
        );
        assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, `round ${round}`);
        for (const r of results) if (r.status === "fulfilled") await r.value.release();
      }
    } finally {
      if (globalThis.navigator) {
        if (locks) Object.defineProperty(globalThis.navigator, "locks", locks);
        else delete (globalThis.navigator as { locks?: unknown }).locks;
      }
    }
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { claimIdentity, IdentityInUseError } from "../../adapters/browser/identity_guard.ts";

// BroadcastChannel delivers between instances in one process as between tabs, so these run the
// real guard; the browser test (test/browser) covers real tabs.
describe("identity guard", () => {
  it("refuses a held identity with a message that says what to do, until it is released", async () => {
    const first = await claimIdentity("guard-test-a", { waitMs: 50 });
    await assert.rejects(claimIdentity("guard-test-a", { waitMs: 50 }), (error) => {
      assert.ok(error instanceof IdentityInUseError);
      assert.match(error.message, /"guard-test-a" is in use by another tab.*close it/);
      return true;
    });
    const other = await claimIdentity("guard-test-b", { waitMs: 50 });
    first.release();
    const again = await claimIdentity("guard-test-a", { waitMs: 50 });
    again.release();
    other.release();
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
        else r.value.release();
      }
    }
  });
});

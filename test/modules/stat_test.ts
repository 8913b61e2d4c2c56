import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { U256 } from "../../core/ids.ts";
import type { StatOut } from "../../modules/stat/messages.ts";
import { startStat } from "../../modules/stat/module.ts";

describe("stat module", () => {
  it("asks for statuses on its interval, keeps them with ping's RTT, and uploads a summary", async () => {
    const stat = startStat({ intervalTicks: 2 });
    const outs: StatOut[] = [];
    stat.tapOut((out) => void outs.push(out));
    await stat.emitIn({ type: "tick", tick: 1 });
    assert.equal(outs.length, 0);
    await stat.emitIn({ type: "tick", tick: 2 });
    assert.deepEqual(outs, [{ type: "network", in: { type: "status" } }]);
    const [a, b] = [U256.random(), U256.random()];
    const base = { bytesSent: 100, bytesReceived: 50, localCandidateType: "host" as const };
    await stat.emitIn({
      type: "network",
      out: {
        type: "connections",
        connections: [
          { id: a, status: { ...base, state: "open", rttMs: 4 } },
          { id: b, status: { ...base, state: "open", localCandidateType: "relay" } },
        ],
      },
    });
    assert.deepEqual(outs[1], {
      type: "network",
      in: {
        type: "stats",
        stats: { connections: 2, relayed: 1, bytesSent: 200, bytesReceived: 100, rttMs: 4 },
      },
    });
    await stat.emitIn({ type: "rtt", id: b, ms: 10 });
    const last = outs.at(-1)!;
    assert.equal(last.type === "state" && last.state.connections[b].pingMs, 10);
    await stat.emitIn({ type: "network", out: { type: "disconnected", id: a, reason: "gone" } });
    const after = outs.at(-1)!;
    assert.equal(after.type === "state" && after.state.connections[a].state, "idle");
  });
});

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import type { NodeID } from "../../core/ids.ts";
import { Network, NetworkError } from "../../net/api.ts";
import { NetworkSim } from "../../testing/network_sim.ts";
import { captureLogs } from "../support/log_capture.ts";

/** Two Networks on a simulated network; b keeps at most 3 unread messages. */
function pair() {
  const sim = new NetworkSim();
  const [ab, bb] = [sim.join(), sim.join()];
  const [aId, bId] = sim.ids() as NodeID[];
  const a = new Network(aId, ab);
  const b = new Network(bId, bb, { receiveBuffer: { messages: 3 } });
  const errors = { a: [] as NetworkError[], b: [] as NetworkError[] };
  a.onError((e) => errors.a.push(e));
  b.onError((e) => errors.b.push(e));
  const deliver = async () => {
    while (sim.pending > 0) await sim.round();
  };
  return { a, b, errors, deliver };
}

describe("the messages waiting for recv (simulated network)", () => {
  it("are bounded: one beyond is refused, and both ends hear why", async () => {
    const { a, b, errors, deliver } = pair();
    for (let i = 0; i < 5; i++) await a.send(b.id, `m${i}`);
    await deliver();
    assert.deepEqual(errors.b.map((e) => [e.code, e.to]), [
      ["receive-buffer-full", a.id],
      ["receive-buffer-full", a.id],
    ]);
    assert.match(errors.b[0].message, /3 messages, 1 KiB wait unread; read with recv\(\)/);
    assert.deepEqual(errors.a.map((e) => [e.code, e.to]), [
      ["receive-buffer-full", b.id],
      ["receive-buffer-full", b.id],
    ]);
    assert.match(errors.a[0].message, /refused message \d+/);
    const read = [await b.recv(), await b.recv(), await b.recv()].map((m) => m.data);
    assert.deepEqual(read, ["m0", "m1", "m2"]);
    await a.send(b.id, "after reading");
    await deliver();
    assert.equal((await b.recv()).data, "after reading");
  });

  it("are not kept while onMessage listens and nothing reads, and are once something does", async () => {
    const { a, b, errors, deliver } = pair();
    const heard: unknown[] = [];
    const listening = b.onMessage((m) => heard.push(m.data));
    for (let i = 0; i < 5; i++) await a.send(b.id, `m${i}`);
    await deliver();
    assert.equal(heard.length, 5);
    assert.deepEqual([...errors.a, ...errors.b], [], "nothing refused, nothing piled up");
    const next = b.recv(); // from now on messages are kept for reading too
    await a.send(b.id, "read me");
    await deliver();
    assert.equal((await next).data, "read me");
    assert.equal(heard.length, 6);
    listening.remove();
    listening.remove(); // twice is harmless
  });

  it("logs refusals nobody listens to at most once a second, with how many were not", async () => {
    const sim = new NetworkSim();
    const [ab, bb] = [sim.join(), sim.join()];
    const [aId, bId] = sim.ids() as NodeID[];
    const a = new Network(aId, ab);
    const b = new Network(bId, bb, { receiveBuffer: { messages: 1 } });
    a.onError(() => {}); // the sender's side is not what this test reads
    const lines = await captureLogs(async () => {
      for (let i = 0; i < 30; i++) await a.send(b.id, `m${i}`);
      while (sim.pending > 0) await sim.round();
    }, "warn");
    const refusals = lines.filter((line) => /refused a message/.test(String(line.args[0])));
    assert.equal(refusals.length, 1, "29 refused within a second: one line");
    assert.doesNotMatch(String(refusals[0].args[0]), /more since/);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    const later = await captureLogs(async () => {
      await a.send(b.id, "one more");
      while (sim.pending > 0) await sim.round();
    }, "warn");
    assert.match(String(later[0]?.args[0]), /\(and 28 more since the last such line\)$/);
  });
});

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Fifo } from "../../core/fifo.ts";

describe("Fifo", () => {
  it("keeps order across many pushes and shifts, and its length", () => {
    const queue = new Fifo<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) queue.push(next++);
      for (let i = 0; i < 200; i++) assert.equal(queue.shift(), expected++);
      assert.equal(queue.length, next - expected);
      assert.equal(queue.peek(), expected);
    }
    assert.deepEqual(
      queue.drain(),
      Array.from({ length: next - expected }, (_, i) => expected + i),
    );
    assert.equal(queue.length, 0);
    assert.equal(queue.shift(), undefined);
    assert.equal(queue.peek(), undefined);
  });

  it("drains a queue of 200,000 items in order", () => {
    const queue = new Fifo<number>();
    for (let i = 0; i < 200_000; i++) queue.push(i);
    for (let i = 0; i < 200_000; i++) assert.equal(queue.shift(), i);
    assert.equal(queue.length, 0);
  });
});

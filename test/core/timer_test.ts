import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../../core/broker.ts";
import { IntervalTimer, SimulatedTimer, type Tick } from "../../core/timer.ts";

describe("SimulatedTimer", () => {
  it("ticks by hand and settles linked modules after each tick", async () => {
    const timer = new SimulatedTimer();
    const module = new Broker<Tick, string>("module");
    const log: string[] = [];
    module.addHandler({
      messages: async (batch) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return batch.map(({ tick }) => `handled ${tick}`);
      },
    });
    module.tapOut((m) => void log.push(m));
    timer.broker.linkOutToIn(module, (tick) => tick);
    await timer.tick(3);
    assert.equal(timer.count, 3);
    assert.deepEqual(log, ["handled 1", "handled 2", "handled 3"]);
  });
});

describe("IntervalTimer", () => {
  it("ticks on its own, counting from 1, until closed", async () => {
    const timer = new IntervalTimer(5);
    const ticks: number[] = [];
    timer.broker.tapOut(({ tick }) => void ticks.push(tick));
    try {
      const channel = timer.broker.channelOut();
      await channel.recv();
      await channel.recv();
      await channel.recv();
      channel.close();
    } finally {
      timer.close();
    }
    assert.deepEqual(ticks.slice(0, 3), [1, 2, 3]);
    const count = ticks.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(ticks.length, count, "no ticks after close()");
  });

  it("refuses an interval that is not positive", () => {
    assert.throws(() => new IntervalTimer(0), /positive number/);
  });
});

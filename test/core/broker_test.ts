import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Broker, BrokerClosedError, type BrokerErrorReport } from "../../core/broker.ts";
import { captureLogs } from "../support/log_capture.ts";

type Num = { n: number };

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function outputs<In, Out>(broker: Broker<In, Out>): Out[] {
  const seen: Out[] = [];
  broker.tapOut((m) => void seen.push(m));
  return seen;
}

function inputs<In, Out>(broker: Broker<In, Out>): In[] {
  const seen: In[] = [];
  broker.tapIn((m) => void seen.push(m));
  return seen;
}

function doubler(name = "doubler"): Broker<Num, Num> {
  const broker = new Broker<Num, Num>(name);
  broker.addHandler({ messages: (batch) => batch.map(({ n }) => ({ n: n * 2 })) });
  return broker;
}

describe("Broker: processing now and later", () => {
  it("emitIn resolves after the handler ran and its outputs reached the taps", async () => {
    const broker = doubler();
    const outs = outputs(broker);
    await broker.emitIn({ n: 21 });
    assert.deepEqual(outs, [{ n: 42 }]);
  });

  it("emitOut goes to output taps without touching handlers", async () => {
    const broker = doubler();
    const outs = outputs(broker);
    await broker.emitOut({ n: 5 });
    assert.deepEqual(outs, [{ n: 5 }]);
  });

  it("enqueue does not run synchronously; process() runs the queue", async () => {
    const broker = doubler();
    const outs = outputs(broker);
    broker.enqueueIn({ n: 1 });
    broker.enqueueIn({ n: 2 });
    assert.deepEqual(outs, []);
    await broker.process();
    assert.deepEqual(outs, [{ n: 2 }, { n: 4 }]);
  });

  it("enqueued messages are processed on their own when nobody calls process()", async () => {
    const broker = doubler();
    const outs = outputs(broker);
    broker.enqueueIn({ n: 3 });
    await delay(0);
    assert.deepEqual(outs, [{ n: 6 }]);
  });

  it("consecutive enqueued inputs reach a handler as one batch", async () => {
    const broker = new Broker<Num, Num>("batch");
    const batches: number[][] = [];
    broker.addHandler({
      messages: (batch) => {
        batches.push(batch.map((m) => m.n));
        return [];
      },
    });
    for (let n = 0; n < 5; n++) broker.enqueueIn({ n });
    await broker.process();
    assert.deepEqual(batches, [[0, 1, 2, 3, 4]]);
  });

  it("keeps FIFO order across emit, enqueue and handler outputs", async () => {
    const broker = new Broker<string, string>("fifo");
    broker.addHandler({ messages: (batch) => batch.map((m) => `handled ${m}`) });
    const order: string[] = [];
    broker.tapIn((m) => void order.push(`in ${m}`));
    broker.tapOut((m) => void order.push(`out ${m}`));
    broker.enqueueIn("a");
    broker.enqueueOut("b");
    const c = broker.emitIn("c");
    broker.enqueueOut("d");
    await c;
    await broker.process();
    assert.deepEqual(order, [
      "in a",
      "out b",
      "in c",
      "out d",
      "out handled a",
      "out handled c",
    ]);
  });

  it("awaits async handlers and async taps before resolving an emit", async () => {
    const broker = new Broker<Num, Num>("async");
    broker.addHandler({
      messages: async (batch) => {
        await delay(5);
        return batch.map(({ n }) => ({ n: n + 1 }));
      },
    });
    const seen: number[] = [];
    broker.tapOut(async ({ n }) => {
      await delay(5);
      seen.push(n);
    });
    await broker.emitIn({ n: 1 });
    assert.deepEqual(seen, [2]);
  });

  it("runs several handlers in the order they were added", async () => {
    const broker = new Broker<Num, string>("two-handlers");
    broker.addHandler({
      messages: async (batch) => {
        await delay(3);
        return batch.map(({ n }) => `first ${n}`);
      },
    });
    broker.addHandler({ messages: (batch) => batch.map(({ n }) => `second ${n}`) });
    const outs = outputs(broker);
    await broker.emitIn({ n: 1 });
    assert.deepEqual(outs, ["first 1", "second 1"]);
  });
});

describe("Broker: channels", () => {
  it("delivers outputs to for-await loops; break unsubscribes", async () => {
    const broker = doubler();
    const channel = broker.channelOut();
    for (let n = 1; n <= 3; n++) broker.enqueueIn({ n });
    const got: number[] = [];
    for await (const { n } of channel) {
      got.push(n);
      if (got.length === 3) break;
    }
    assert.deepEqual(got, [2, 4, 6]);
    assert.equal(channel.closed, true);
    await broker.emitIn({ n: 4 });
    assert.equal(channel.size, 0, "a closed channel receives nothing more");
  });

  it("recv() waits for the next input; close() ends pending readers", async () => {
    const broker = new Broker<string, never>("inputs");
    const channel = broker.channelIn();
    const next = channel.recv();
    await broker.emitIn("hello");
    assert.equal(await next, "hello");
    const pending = channel.next();
    channel.close();
    assert.deepEqual(await pending, { value: undefined, done: true });
    await assert.rejects(channel.recv(), /closed/);
  });
});

describe("Broker: translators and links", () => {
  it("links outputs to inputs and outputs to outputs; undefined drops", async () => {
    const source = new Broker<never, Num>("source");
    const toIn = doubler("to-in");
    const toOut = new Broker<never, string>("to-out");
    source.linkOutToIn(toIn, (m) => (m.n % 2 === 0 ? m : undefined));
    source.linkOutToOut(toOut, (m) => `n=${m.n}`);
    const doubled = outputs(toIn);
    const texts = outputs(toOut);
    await source.emitOut({ n: 1 });
    await source.emitOut({ n: 2 });
    assert.deepEqual(doubled, [{ n: 4 }], "the odd message was dropped by the translator");
    assert.deepEqual(texts, ["n=1", "n=2"]);
  });

  it("links inputs to inputs and inputs to outputs", async () => {
    const front = new Broker<Num, never>("front");
    const mirrorIn = doubler("mirror-in");
    const mirrorOut = new Broker<never, Num>("mirror-out");
    front.linkInToIn(mirrorIn, (m) => m);
    front.linkInToOut(mirrorOut, (m) => ({ n: -m.n }));
    const doubled = outputs(mirrorIn);
    const negated = outputs(mirrorOut);
    await front.emitIn({ n: 7 });
    assert.deepEqual(doubled, [{ n: 14 }]);
    assert.deepEqual(negated, [{ n: -7 }]);
  });

  it("chain form: an upper module talks to the module below it and hears back", async () => {
    type UpIn = { reply: number };
    type UpOut = { request: number };
    const upper = new Broker<UpIn | { start: number }, UpOut>("upper");
    upper.addHandler({
      messages: (batch) => batch.flatMap((m) => ("start" in m ? [{ request: m.start }] : [])),
    });
    const lower = doubler("lower");
    upper.linkChain(lower, (out) => ({ n: out.request }), (out) => ({ reply: out.n }));
    const replies = inputs(upper);
    await upper.emitIn({ start: 10 });
    assert.deepEqual(replies, [{ start: 10 }, { reply: 20 }]);
  });

  it("facade form: an outer broker fronts an inner one", async () => {
    const facade = new Broker<{ value: number }, { result: number }>("facade");
    const inner = doubler("inner");
    facade.linkFacade(inner, (m) => ({ n: m.value }), (out) => ({ result: out.n }));
    const results = outputs(facade);
    await facade.emitIn({ value: 4 });
    assert.deepEqual(results, [{ result: 8 }]);
  });

  it("carries a message through a chain of 10 brokers before emit resolves", async () => {
    const chain = Array.from({ length: 10 }, (_, i) => new Broker<Num, Num>(`link${i}`));
    for (const broker of chain) {
      broker.addHandler({ messages: (batch) => batch.map(({ n }) => ({ n: n + 1 })) });
    }
    for (let i = 0; i < 9; i++) chain[i].linkOutToIn(chain[i + 1], (m) => m);
    const last = outputs(chain[9]);
    await chain[0].emitIn({ n: 0 });
    assert.deepEqual(last, [{ n: 10 }]);
  });

  it("stops a message that comes around a loop of 3 brokers", async () => {
    const [a, b, c] = ["a", "b", "c"].map((name) => new Broker<never, string>(name));
    a.linkOutToOut(b, (m) => m);
    b.linkOutToOut(c, (m) => m);
    c.linkOutToOut(a, (m) => m);
    const seen = {
      a: outputs(a),
      b: outputs(b),
      c: outputs(c),
    };
    const lines = await captureLogs(() => a.emitOut("round"));
    assert.deepEqual(seen, { a: ["round"], b: ["round"], c: ["round"] });
    assert.ok(lines.some((l) => String(l.args[0]).includes("loop")), "the stop is traced");
  });

  it("stops loops between two facades that forward inputs to each other", async () => {
    const a = new Broker<string, never>("a");
    const b = new Broker<string, never>("b");
    a.linkInToIn(b, (m) => m);
    b.linkInToIn(a, (m) => m);
    const seenA = inputs(a);
    const seenB = inputs(b);
    await a.emitIn("x");
    await b.emitIn("y");
    assert.deepEqual(seenA, ["x", "y"]);
    assert.deepEqual(seenB, ["x", "y"]);
  });

  it("settle() waits for every linked broker, in either direction of the link", async () => {
    const a = new Broker<Num, Num>("a");
    a.addHandler({ messages: (batch) => batch });
    const b = new Broker<Num, Num>("b");
    b.addHandler({
      messages: async (batch) => {
        await delay(10);
        return batch;
      },
    });
    const c = new Broker<Num, never>("c");
    a.linkOutToIn(b, (m) => m);
    b.linkOutToIn(c, (m) => m);
    const atC = inputs(c);
    for (let n = 0; n < 3; n++) a.enqueueIn({ n });
    await c.settle();
    assert.deepEqual(atC.map((m) => m.n), [0, 1, 2]);
  });
});

describe("Broker: removing subsystems", () => {
  it("removes taps, handlers, channels and links", async () => {
    const broker = doubler();
    const target = new Broker<Num, never>("target");
    const seen: number[] = [];
    const tap = broker.tapOut(({ n }) => void seen.push(n));
    const link = broker.linkOutToIn(target, (m) => m);
    const atTarget = inputs(target);
    await broker.emitIn({ n: 1 });
    tap.remove();
    link.remove();
    await broker.emitIn({ n: 2 });
    assert.deepEqual(seen, [2]);
    assert.deepEqual(atTarget, [{ n: 2 }]);

    const handler = broker.addHandler({ messages: () => [{ n: 100 }] });
    const outs = outputs(broker);
    await broker.emitIn({ n: 3 });
    handler.remove();
    await broker.emitIn({ n: 4 });
    assert.deepEqual(outs, [{ n: 6 }, { n: 100 }, { n: 8 }]);
  });

  it("close() finishes the queue, then refuses new messages with a clear error", async () => {
    const broker = doubler();
    const outs = outputs(broker);
    broker.enqueueIn({ n: 1 });
    await broker.close();
    assert.deepEqual(outs, [{ n: 2 }]);
    assert.throws(() => broker.enqueueIn({ n: 2 }), BrokerClosedError);
    assert.throws(() => broker.emitIn({ n: 2 }), /broker "doubler" is closed/);
  });

  it("close() removes the links other brokers had to it", async () => {
    const source = new Broker<never, Num>("source");
    const target = new Broker<Num, never>("target");
    let translated = 0;
    source.linkOutToIn(target, (m) => {
      translated++;
      return m;
    });
    await source.emitOut({ n: 1 });
    await target.close();
    await source.emitOut({ n: 2 });
    assert.equal(translated, 1, "the link to the closed broker is gone");
  });
});

describe("Broker: failing subsystems", () => {
  it("reports a throwing handler with the failed message and keeps working", async () => {
    const broker = new Broker<Num, Num>("fragile");
    broker.addHandler({
      messages: (batch) => {
        if (batch.some((m) => m.n < 0)) throw new Error("negative");
        return batch;
      },
    });
    const reports: BrokerErrorReport<Num, Num>[] = [];
    broker.onError((report) => reports.push(report));
    const outs = outputs(broker);
    await broker.emitIn({ n: -1 });
    await broker.emitIn({ n: 1 });
    assert.equal(reports.length, 1);
    assert.equal(reports[0].kind, "handler");
    assert.equal(reports[0].broker, "fragile");
    assert.deepEqual(reports[0].messages, [{ n: -1 }]);
    assert.match(String(reports[0].error), /negative/);
    assert.deepEqual(outs, [{ n: 1 }]);
  });

  it("reports rejecting handlers, throwing taps and translators, and non-array results", async () => {
    const broker = new Broker<Num, Num>("many-failures");
    const target = new Broker<Num, never>("target");
    broker.addHandler({ messages: () => Promise.reject(new Error("async handler")) });
    broker.addHandler({ messages: () => "nope" as unknown as Num[] });
    broker.tapIn(() => {
      throw new Error("sync tap");
    });
    broker.tapIn(() => Promise.reject(new Error("async tap")));
    broker.linkInToIn(target, () => {
      throw new Error("translator");
    });
    const reports: BrokerErrorReport<Num, Num>[] = [];
    broker.onError((report) => reports.push(report));
    await broker.emitIn({ n: 1 });
    const summary = reports.map((r) => `${r.kind}: ${(r.error as Error).message}`).sort();
    assert.deepEqual(summary, [
      "handler: a handler must return an array of outputs (or a promise of one), got string",
      "handler: async handler",
      "tap: async tap",
      "tap: sync tap",
      "translator: translator",
    ]);
    assert.ok(reports.every((r) => (r.messages[0] as Num).n === 1));
  });

  it("logs failures when nobody listens for errors", async () => {
    const broker = new Broker<Num, never>("unheard");
    broker.tapIn(() => {
      throw new Error("boom");
    });
    const lines = await captureLogs(() => broker.emitIn({ n: 1 }), "error");
    assert.equal(lines.length, 1);
    assert.equal(lines[0].level, "error");
    assert.match(String(lines[0].args[0]), /"unheard": a tap failed/);
  });
});

describe("Broker: re-entrant emits", () => {
  it("a handler may await an emit into its own broker without deadlocking", async () => {
    const broker = new Broker<Num, string>("self");
    broker.addHandler({
      messages: async (batch) => {
        const outs: string[] = [];
        for (const { n } of batch) {
          if (n > 0) await broker.emitIn({ n: n - 1 });
          outs.push(`done ${n}`);
        }
        return outs;
      },
    });
    const outs = outputs(broker);
    await broker.emitIn({ n: 3 });
    assert.deepEqual(outs, ["done 3", "done 2", "done 1", "done 0"]);
  });

  it("a tap that emits back into its broker is covered by the outer emit", async () => {
    const broker = new Broker<Num, Num>("ping-pong");
    broker.addHandler({ messages: (batch) => batch });
    broker.tapOut(({ n }) => {
      if (n < 5) broker.enqueueIn({ n: n + 1 });
    });
    const outs = outputs(broker);
    await broker.emitIn({ n: 0 });
    assert.deepEqual(outs.map((m) => m.n), [0, 1, 2, 3, 4, 5]);
  });

  it("a tap may await an emit into a broker that forwards back to it", async () => {
    const a = new Broker<string, string>("a");
    const b = new Broker<string, string>("b");
    b.addHandler({ messages: (batch) => batch.map((m) => `${m}!`) });
    b.linkOutToIn(a, (m) => m);
    const seen = inputs(a);
    a.tapIn(async (m) => {
      if (!m.endsWith("!")) await b.emitIn(m);
    });
    await a.emitIn("hi");
    assert.deepEqual(seen, ["hi", "hi!"]);
  });

  it("settle() and process() refuse to run from inside a subsystem", async () => {
    const broker = new Broker<string, never>("impatient");
    const errors: string[] = [];
    broker.tapIn(() => {
      broker.settle().catch((e) => errors.push(e.message));
      broker.process().catch((e) => errors.push(e.message));
    });
    await broker.emitIn("x");
    assert.equal(errors.length, 2);
    assert.match(errors[0], /settle\(\) was called from inside a broker subsystem/);
  });
});

describe("Broker: volume", () => {
  it("moves 100k messages through a 3-broker chain in order without the stack growing", async () => {
    const chain = Array.from({ length: 3 }, (_, i) => new Broker<number, number>(`c${i}`));
    for (const broker of chain) broker.addHandler({ messages: (batch) => batch });
    chain[0].linkOutToIn(chain[1], (m) => m);
    chain[1].linkOutToIn(chain[2], (m) => m);
    const depths: number[] = [];
    let count = 0;
    let inOrder = true;
    const savedLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 1000;
    chain[2].tapOut((n) => {
      if (n !== count) inOrder = false;
      count++;
      if (n === 0 || n === 99_999) depths.push(new Error().stack!.split("\n").length);
    });
    try {
      for (let n = 0; n < 100_000; n++) chain[0].enqueueIn(n);
      await chain[0].settle();
    } finally {
      Error.stackTraceLimit = savedLimit;
    }
    assert.equal(count, 100_000);
    assert.ok(inOrder, "messages arrived in order");
    assert.equal(depths.length, 2);
    assert.equal(
      depths[1],
      depths[0],
      `stack depth ${depths[0]} at the first, ${depths[1]} at the last`,
    );
  });

  it("awaits 10k sequential emits through a chain without growing the stack", async () => {
    const a = new Broker<number, number>("a");
    const b = new Broker<number, number>("b");
    a.addHandler({ messages: (batch) => batch });
    a.linkOutToIn(b, (m) => m);
    const depths: number[] = [];
    b.tapIn((n) => {
      if (n === 0 || n === 9_999) depths.push(new Error().stack!.split("\n").length);
    });
    const savedLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 1000;
    try {
      for (let n = 0; n < 10_000; n++) await a.emitIn(n);
    } finally {
      Error.stackTraceLimit = savedLimit;
    }
    assert.equal(depths[1], depths[0]);
  });
});

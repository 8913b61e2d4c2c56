/**
 * Broker throughput: messages/s through a chain of 3 brokers linked by translators, beside the
 * same chain built from EventTargets and from plain function calls, all measured in one run.
 *
 *     npm run bench:broker                  # table + JSON on stdout
 *     deno run -A bench/broker_bench.ts --messages 20000 --rounds 3 --json out.json
 *
 * Every chain passes each message through three stages with an identity transform and counts
 * it at the end; the figure is the median of the rounds.
 * @module
 */

import { Broker } from "../core/broker.ts";
import { numberOption, publish } from "./report.ts";

/** Options of {@link runBrokerBench}. */
export interface BrokerBenchOptions {
  /** Messages per round. */
  messages: number;
  /** Rounds per chain; the median is reported. */
  rounds: number;
}

/** One measured chain. */
export interface BrokerBenchRow {
  /** What was measured. */
  name: string;
  /** Median messages per second. */
  messagesPerSecond: number;
  /** `messagesPerSecond` divided by the plain-call chain's. */
  ratioToCalls: number;
}

type Chain = { send: (n: number) => void | Promise<void>; done: () => Promise<void> | void };

const STAGES = 3;

function plainCalls(sink: (n: number) => void): Chain {
  let next = sink;
  for (let i = 0; i < STAGES; i++) {
    const after = next;
    next = (n) => after(n);
  }
  return { send: next, done: () => {} };
}

function eventTargets(sink: (n: number) => void): Chain {
  const targets = Array.from({ length: STAGES }, () => new EventTarget());
  targets.forEach((target, i) => {
    target.addEventListener("message", (event) => {
      const n = (event as CustomEvent<number>).detail;
      if (i + 1 < STAGES) targets[i + 1].dispatchEvent(new CustomEvent("message", { detail: n }));
      else sink(n);
    });
  });
  return {
    send: (n) => void targets[0].dispatchEvent(new CustomEvent("message", { detail: n })),
    done: () => {},
  };
}

function brokers(sink: (n: number) => void, awaitEach: boolean): Chain {
  const chain = Array.from({ length: STAGES }, (_, i) => new Broker<number, number>(`stage${i}`));
  for (let i = 0; i + 1 < STAGES; i++) chain[i].linkOutToOut(chain[i + 1], (n) => n);
  chain[STAGES - 1].tapOut(sink);
  return awaitEach
    ? { send: (n) => chain[0].emitOut(n), done: () => {} }
    : { send: (n) => chain[0].enqueueOut(n), done: () => chain[0].settle() };
}

async function measure(make: (sink: (n: number) => void) => Chain, messages: number) {
  let received = 0;
  const chain = make(() => received++);
  const start = performance.now();
  for (let n = 0; n < messages; n++) {
    const sent = chain.send(n);
    if (sent) await sent;
  }
  await chain.done();
  const seconds = (performance.now() - start) / 1000;
  if (received !== messages) throw new Error(`lost messages: ${received} of ${messages}`);
  return messages / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Measures every chain, interleaving the rounds so machine noise hits all of them alike. */
export async function runBrokerBench(options: BrokerBenchOptions): Promise<BrokerBenchRow[]> {
  const chains: [string, (sink: (n: number) => void) => Chain][] = [
    ["plain function calls (baseline)", plainCalls],
    ["EventTarget chain", eventTargets],
    ["Broker chain, enqueue + settle", (sink) => brokers(sink, false)],
    ["Broker chain, await emit per message", (sink) => brokers(sink, true)],
  ];
  const results = chains.map(() => [] as number[]);
  for (let round = 0; round <= options.rounds; round++) {
    for (const [i, [, make]] of chains.entries()) {
      const rate = await measure(make, options.messages);
      if (round > 0) results[i].push(rate); // round 0 warms up the JIT
    }
  }
  const baseline = median(results[0]);
  return chains.map(([name], i) => ({
    name,
    messagesPerSecond: Math.round(median(results[i])),
    ratioToCalls: median(results[i]) / baseline,
  }));
}

/** Formats rows as an aligned text table. */
export function formatTable(rows: BrokerBenchRow[]): string {
  const lines = rows.map((row) =>
    [
      row.name.padEnd(40),
      row.messagesPerSecond.toLocaleString("en-US").padStart(14),
      row.ratioToCalls.toPrecision(3).padStart(10),
    ].join(" ")
  );
  return [
    `${"chain of 3 stages".padEnd(40)} ${"messages/s".padStart(14)} ${"vs calls".padStart(10)}`,
  ]
    .concat(lines).join("\n");
}

if (import.meta.main) {
  const options = {
    messages: numberOption("--messages", 200_000),
    rounds: numberOption("--rounds", 5),
  };
  const rows = await runBrokerBench(options);
  await publish(formatTable(rows), {
    bench: "broker",
    options,
    runtime: `deno ${Deno.version.deno}`,
    rows,
  });
}

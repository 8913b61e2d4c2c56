/**
 * The receive bound under a flood, in one run: a sender at full speed (16 KiB messages, awaiting
 * each `send`) and a receiver on node-datachannel over loopback, the receiver (1) reading
 * everything, (2) reading nothing with the default bound (4,096 messages, 64 MiB), and (3)
 * reading nothing without a bound (as flnet was before it). Reports how much memory the
 * receiving side holds after the flood (V8 heap and array buffers, after a collection).
 *
 *     deno run -A --v8-flags=--expose-gc bench/receive_bound_bench.ts --megabytes 256
 * @module
 */

import { type RunningSignalServer, serveSignal } from "../adapters/deno/serve_signal.ts";
import { loopbackNode } from "../harness/network.ts";
import type { NodeNetworkOptions } from "../node.ts";
import { numberOption, publish } from "./report.ts";

/** One way of receiving. */
export interface ReceiveBoundRow {
  /** How the receiver read. */
  reader: "reads everything" | "stopped, bounded" | "stopped, unbounded";
  /** Megabytes the sender sent (or tried to). */
  sentMB: number;
  /** Memory held after the flood, beyond what was held before, MB. */
  heldMB: number;
  /** Messages refused by the receiver. */
  refused: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function used(): number {
  gc();
  const memory = Deno.memoryUsage();
  return memory.heapUsed + memory.external;
}

async function flood(
  server: RunningSignalServer,
  reader: ReceiveBoundRow["reader"],
  megabytes: number,
): Promise<ReceiveBoundRow> {
  const extra: NodeNetworkOptions = reader === "stopped, unbounded"
    ? { receiveBuffer: { messages: Infinity, bytes: Infinity } }
    : {};
  const a = await loopbackNode(server.url, "node-datachannel", "sender");
  const b = await loopbackNode(server.url, "node-datachannel", "receiver", extra);
  let refused = 0;
  b.onError((error) => {
    if (error.code === "receive-buffer-full") refused++;
  });
  a.onError(() => {}); // the refusals it hears are counted at b
  const chunk = new Uint8Array(16 * 1024).fill(7);
  const count = Math.round((megabytes * 1e6) / chunk.length);
  const reading = reader === "reads everything"
    ? (async () => {
      for (let i = 0; i < count; i++) await b.recv();
    })()
    : Promise.resolve();
  await a.send(b.id, "warm up");
  if (reader !== "reads everything") await b.recv();
  const before = used();
  for (let i = 0; i < count; i++) await a.send(b.id, chunk);
  await a.send(b.id, "end");
  await reading;
  await new Promise((resolve) => setTimeout(resolve, 500)); // the last frames arrive
  const heldMB = (used() - before) / 1e6;
  await a.close();
  await b.close();
  return { reader, sentMB: megabytes, heldMB, refused };
}

if (import.meta.main) {
  const megabytes = numberOption("--megabytes", 256);
  const server = await serveSignal({ port: 0 });
  const rows: ReceiveBoundRow[] = [];
  for (const reader of ["reads everything", "stopped, bounded", "stopped, unbounded"] as const) {
    rows.push(await flood(server, reader, megabytes));
  }
  await server.close();
  const table = rows.map((r) =>
    `${r.reader.padEnd(20)} sent ${r.sentMB} MB, held ${r.heldMB.toFixed(1)} MB after, ` +
    `${r.refused} refused`
  ).join("\n");
  await publish(table, { bench: "receive-bound", megabytes, rows });
  Deno.exit(0); // the native engine keeps handles open after its peers closed
}

/**
 * Turns the results of `npm run bench` into one comparison table (text and markdown), the page
 * docs/benchmarks.md, and SVG bar charts.
 * @module
 */

import type { BrokerBenchRow } from "./broker_bench.ts";
import type { BundleRow } from "./bundle_bench.ts";
import type { GossipBenchRow } from "./gossip_bench.ts";
import type { GossipRealRow } from "./gossip_real_bench.ts";
import type { NetworkBenchResult } from "./network_bench.ts";
import type { LivenessRow } from "./liveness_bench.ts";
import type { NeighbourListCost, OverlaySignalRow, SetupLatency } from "./overlay_signal_bench.ts";
import type { SignalLoadResult } from "./signal_bench.ts";

/** Everything `npm run bench` measured. */
export interface BenchResults {
  /** When. */
  date: string;
  /** True for the smoke run's tiny sizes. */
  quick: boolean;
  /** Where. */
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    os: string;
    deno: string;
    node: string;
  };
  /** Signalling load, flnet's server and PeerJS's, per client count. */
  signal: SignalLoadResult[];
  /** Data channels. */
  network: NetworkBenchResult;
  /** Broker throughput. */
  broker: BrokerBenchRow[];
  /** Gossip in simulation. */
  gossipSim: GossipBenchRow[];
  /** Gossip with real nodes. */
  gossipReal: GossipRealRow[];
  /** Connection setup through the overlay (absent in older results). */
  overlaySignal?: { rows: OverlaySignalRow[]; cost: NeighbourListCost; latency: SetupLatency };
  /** Detection of a killed peer, with and without the heartbeat (absent in older results). */
  liveness?: LivenessRow[];
  /** Browser bundles. */
  bundle: BundleRow[];
  /** Seconds the whole run took. */
  seconds: number;
}

/** One line of the comparison. */
export interface ComparisonRow {
  /** What is compared. */
  measure: string;
  /** flnet's figure. */
  flnet: number;
  /** The other system. */
  against: string;
  /** Its figure. */
  other: number;
  /** The unit of both. */
  unit: string;
  /** Whether a higher figure is better. */
  higherIsBetter: boolean;
}

/** How flnet compares on a row: its figure over the other's. */
function ratio(row: ComparisonRow): number {
  return row.flnet / row.other;
}

/** True when flnet is behind on a row by more than 5 %. */
export function behind(row: ComparisonRow): boolean {
  return row.higherIsBetter ? ratio(row) < 0.95 : ratio(row) > 1.05;
}

/** Every comparison of flnet with another system in `results`. */
export function comparisons(results: BenchResults): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const flnetRuns = results.signal.filter((r) => r.server !== "peerjs");
  for (const mine of flnetRuns) {
    const theirs = results.signal.find((r) =>
      r.server === "peerjs" && r.clientsAsked === mine.clientsAsked
    );
    if (!theirs) continue;
    const n = `${mine.clientsAsked.toLocaleString("en-US")} clients, ${
      mine.server === "flnet-node" ? "on Node" : "on Deno"
    }`;
    const against = "PeerJS server";
    rows.push(
      {
        measure: `signalling, ${n}: relays/s`,
        flnet: mine.relaysPerSecond,
        against,
        other: theirs.relaysPerSecond,
        unit: "msg/s",
        higherIsBetter: true,
      },
      {
        measure: `signalling, ${n}: relay latency p50`,
        flnet: mine.relayP50Ms,
        against,
        other: theirs.relayP50Ms,
        unit: "ms",
        higherIsBetter: false,
      },
      {
        measure: `signalling, ${n}: relay latency p99`,
        flnet: mine.relayP99Ms,
        against,
        other: theirs.relayP99Ms,
        unit: "ms",
        higherIsBetter: false,
      },
      {
        measure: `signalling, ${n}: server RSS per connection`,
        flnet: (mine.rssPerConnection ?? NaN) / 1024,
        against,
        other: (theirs.rssPerConnection ?? NaN) / 1024,
        unit: "KiB",
        higherIsBetter: false,
      },
    );
    // too short a run to read CPU time from /proc: no row rather than a meaningless one
    if (mine.cpuMicrosPerRelay !== undefined && theirs.cpuMicrosPerRelay !== undefined) {
      rows.push({
        measure: `signalling, ${n}: server CPU per relay`,
        flnet: mine.cpuMicrosPerRelay,
        against,
        other: theirs.cpuMicrosPerRelay,
        unit: "µs",
        higherIsBetter: false,
      });
    }
  }
  for (const t of results.network.throughput) {
    const what = `data channel ${t.engine}, ${t.messageBytes / 1024} KiB messages`;
    for (const other of ["raw", "simple-peer"] as const) {
      rows.push({
        measure: what,
        flnet: t.mbps.flnet,
        against: other === "raw" ? "raw RTCDataChannel" : "simple-peer",
        other: t.mbps[other],
        unit: "MB/s",
        higherIsBetter: true,
      });
    }
  }
  for (const l of results.network.latency) {
    for (const other of ["raw", "simple-peer"] as const) {
      rows.push({
        measure: `first message to a new peer, ${l.engine}`,
        flnet: l.ms.flnet,
        against: other === "raw" ? "raw RTCDataChannel" : "simple-peer",
        other: l.ms[other],
        unit: "ms",
        higherIsBetter: false,
      });
    }
  }
  for (const r of results.network.roundTrip ?? []) {
    rows.push({
      measure: `round trip p50 (${r.count} ping-pongs), ${r.engine}`,
      flnet: r.p50.flnet,
      against: "raw RTCDataChannel",
      other: r.p50.raw,
      unit: "ms",
      higherIsBetter: false,
    });
  }
  for (const l of results.liveness ?? []) {
    rows.push({
      measure: `idle peer killed (SIGKILL), noticed after, ${l.engine}`,
      flnet: l.heartbeatMs,
      against: "ICE alone (livenessTimeoutMs 0)",
      other: l.iceOnlyMs,
      unit: "ms",
      higherIsBetter: false,
    });
  }
  for (const p of results.network.setupProof ?? []) {
    rows.push({
      measure: `signing and checking a connection's ${p.messages} setup messages, ${p.engine}`,
      flnet: p.ms,
      against: "flnet's first message to a new peer",
      other: p.ms / p.shareOfFirstMessage,
      unit: "ms",
      higherIsBetter: false,
    });
  }
  const broker = (prefix: string) => results.broker.find((r) => r.name.startsWith(prefix));
  const chain = broker("Broker chain, enqueue");
  for (
    const [prefix, against] of [["EventTarget", "EventTarget chain"], ["plain", "plain calls"]]
  ) {
    const other = broker(prefix);
    if (chain && other) {
      rows.push({
        measure: "3-stage message chain",
        flnet: chain.messagesPerSecond,
        against,
        other: other.messagesPerSecond,
        unit: "msg/s",
        higherIsBetter: true,
      });
    }
  }
  for (const g of results.gossipReal) {
    const serverOnly = results.gossipReal.find((s) => s.mode === "server" && s.nodes === g.nodes);
    if (g.mode === "overlay" && g.completed && serverOnly?.completed) {
      rows.push({
        measure: `signalling bytes to form and spread, ${g.nodes} real nodes`,
        flnet: g.signalBytesTotal / 1000,
        against: "flnet, every setup through the server",
        other: serverOnly.signalBytesTotal / 1000,
        unit: "kB",
        higherIsBetter: false,
      });
    }
    if (g.mode === "overlay" && g.completed && g.fledgerBytes) {
      rows.push({
        measure: `signalling bytes to spread one chat message, ${g.nodes} real nodes`,
        flnet: g.signalBytesTotal / 1000,
        against: "fledger (published)",
        other: g.fledgerBytes / 1000,
        unit: "kB",
        higherIsBetter: false,
      });
    }
  }
  const mine = results.bundle.find((b) => b.name.startsWith("flnet/browser"));
  for (const other of results.bundle.filter((b) => !b.name.startsWith("flnet"))) {
    if (mine) {
      rows.push({
        measure: "browser bundle, gzip (flnet: everything)",
        flnet: mine.gzip / 1024,
        against: other.name.split(" ")[0],
        other: other.gzip / 1024,
        unit: "KiB",
        higherIsBetter: false,
      });
    }
  }
  return rows;
}

function figure(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  if (value >= 1000) return Math.round(value).toLocaleString("en-US");
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** The comparison as an aligned text table. */
export function summaryTable(results: BenchResults): string {
  const lines = comparisons(results).map((r) => [
    r.measure,
    `${figure(r.flnet)} ${r.unit}`,
    r.against,
    `${figure(r.other)} ${r.unit}`,
    `${ratio(r).toFixed(2)}${behind(r) ? " behind" : ""}`,
  ]);
  const head = ["measure", "flnet", "against", "theirs", "flnet/theirs"];
  const widths = head.map((_, i) => Math.max(...[head, ...lines].map((l) => l[i].length)));
  return [head, ...lines].map((cells) => cells.map((c, i) => c.padEnd(widths[i])).join("  "))
    .join("\n");
}

/** One bar of a chart. */
interface Bar {
  name: string;
  value: number;
}

const COLORS = ["#1f6feb", "#8b949e", "#d97706", "#1f9d55"];

/** A grouped bar chart as SVG. */
function barChart(
  title: string,
  unit: string,
  groups: { label: string; bars: Bar[] }[],
): string {
  const names = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.name)))];
  const max = Math.max(
    ...groups.flatMap((g) => g.bars.map((b) => b.value)).filter(Number.isFinite),
  );
  const barWidth = 34, gap = 30, left = 60, top = 40, height = 200;
  const groupWidth = names.length * barWidth + gap;
  const width = Math.max(480, left + groups.length * groupWidth + 20);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + height + 70}" ` +
    `font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="18" font-size="14" font-weight="bold">${title}</text>`,
    `<text x="8" y="${top + 4}" fill="#555">${unit}</text>`,
    `<line x1="${left}" y1="${top + height}" x2="${width - 10}" y2="${
      top + height
    }" stroke="#999"/>`,
  ];
  groups.forEach((group, g) => {
    const x0 = left + g * groupWidth + gap / 2;
    group.bars.forEach((bar) => {
      const i = names.indexOf(bar.name);
      const h = Number.isFinite(bar.value) && max > 0 ? (bar.value / max) * height : 0;
      const x = x0 + i * barWidth;
      parts.push(
        `<rect x="${x}" y="${top + height - h}" width="${barWidth - 3}" height="${h}" ` +
          `fill="${COLORS[i % COLORS.length]}"><title>${bar.name}: ${
            figure(bar.value)
          } ${unit}</title></rect>`,
        `<text x="${x + (barWidth - 3) / 2}" y="${top + height - h - 3}" text-anchor="middle" ` +
          `font-size="9">${figure(bar.value)}</text>`,
      );
    });
    parts.push(
      `<text x="${x0 + (names.length * barWidth) / 2}" y="${top + height + 14}" ` +
        `text-anchor="middle">${group.label}</text>`,
    );
  });
  names.forEach((name, i) => {
    const x = left + i * 120;
    parts.push(
      `<rect x="${x}" y="${top + height + 34}" width="10" height="10" fill="${
        COLORS[i % COLORS.length]
      }"/>`,
      `<text x="${x + 14}" y="${top + height + 43}">${name}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/** docs/benchmarks.md and its charts. */
export function benchmarksPage(
  results: BenchResults,
): { markdown: string; svgs: Record<string, string> } {
  const rows = comparisons(results);
  const m = results.machine;
  const svgs = {
    "data_channel.svg": barChart(
      "Data channel throughput (higher is better)",
      "MB/s",
      results.network.throughput.map((t) => ({
        label: `${t.engine === "wrtc" ? "wrtc" : "ndc"} ${t.messageBytes / 1024} KiB`,
        bars: Object.entries(t.mbps).map(([name, value]) => ({ name, value })),
      })),
    ),
    "signalling.svg": barChart(
      "Signalling server: relays per second (higher is better)",
      "msg/s",
      [...new Set(results.signal.map((s) => s.clientsAsked))].map((asked) => ({
        label: `${asked.toLocaleString("en-US")} clients`,
        bars: results.signal.filter((s) => s.clientsAsked === asked).map((s) => ({
          name: s.server === "flnet"
            ? "flnet (Deno)"
            : s.server === "flnet-node"
            ? "flnet (Node)"
            : "PeerJS",
          value: s.relaysPerSecond,
        })),
      })),
    ),
  };
  const table = [
    "| measure | flnet | against | theirs | flnet / theirs |",
    "| --- | --: | --- | --: | --: |",
    ...rows.map((r) =>
      `| ${r.measure} | ${figure(r.flnet)} ${r.unit} | ${r.against} | ${
        figure(r.other)
      } ${r.unit} | ` +
      `${ratio(r).toFixed(2)}${behind(r) ? " **behind**" : ""} |`
    ),
  ];
  const signalHeld = [
    "| server | clients asked | held | relays delivered | errors |",
    "| --- | --: | --: | --: | --- |",
    ...results.signal.map((s) =>
      `| ${s.server} | ${s.clientsAsked} | ` +
      `${s.clientsHeld} | ${s.relaysDelivered} / ${s.relaysSent} | ${
        JSON.stringify(s.serverErrors)
      } |`
    ),
  ];
  const gossipSim = [
    "| nodes | rounds | messages per node | bytes per node | reached |",
    "| --: | --: | --: | --: | --: |",
    ...results.gossipSim.map((g) =>
      `| ${g.nodes} | ${g.rounds} | ${g.messagesPerNode.toFixed(1)} | ${
        Math.round(g.bytesPerNode)
      } | ` +
      `${g.reached} |`
    ),
  ];
  const percent = (part: number, all: number) =>
    all ? `${Math.round((part / all) * 100)} % of ${Math.round(all)}` : "-";
  const gossipReal = [
    "| nodes | setups | overlay formed | spread | signalling bytes, whole run | per connection | " +
    "during the spread | fledger | connections via overlay | after each node's first two |",
    "| --: | --- | --: | --: | --: | --: | --: | --: | --: | --: |",
    ...results.gossipReal.map((g) =>
      g.completed
        ? `| ${g.nodes} | ${g.mode ?? "overlay"} | ${g.overlaySeconds.toFixed(1)} s | ` +
          `${g.spreadSeconds.toFixed(2)} s | ${figure(g.signalBytesTotal / 1000)} kB | ` +
          `${g.connections ? `${figure(g.signalBytesTotal / g.connections / 1000)} kB` : "-"} | ` +
          `${figure(g.signalBytesSpread / 1000)} kB | ` +
          `${g.fledgerBytes ? `${figure(g.fledgerBytes / 1000)} kB` : "-"} | ` +
          `${percent(g.viaOverlay ?? 0, g.connections ?? 0)} | ` +
          `${percent(g.laterEndsViaOverlay ?? 0, g.laterEnds ?? 0)} |`
        : `| ${g.nodes} | ${g.mode ?? "overlay"} | stopped: ${g.stoppedBecause} | | | | | | | |`
    ),
  ];
  const overlay = results.overlaySignal;
  const overlaySignal = overlay
    ? [
      "| nodes | preference | setups | via overlay | after each node's first two | one graph | " +
      "degree off band | gossip rounds |",
      "| --: | --: | --: | --: | --: | --- | --: | --: |",
      ...overlay.rows.map((r) =>
        `| ${r.nodes} | ${r.preference} | ${r.setups} | ${(r.overlayShare * 100).toFixed(1)} % | ` +
        `${(r.overlayShareAfterFirstTwo * 100).toFixed(1)} % | ${r.connected ? "yes" : "NO"} | ` +
        `${r.outOfBand} | ${r.gossipRounds} (${r.gossipReached} reached) |`
      ),
      "",
      `Setup and first message with real nodes (node-datachannel, loopback, ` +
      `${overlay.latency.rounds} each way): through a shared neighbour p50 ` +
      `${overlay.latency.overlay.p50.toFixed(1)} ms, p90 ${
        overlay.latency.overlay.p90.toFixed(1)
      } ms; ` +
      `through the server p50 ${overlay.latency.server.p50.toFixed(1)} ms, p90 ` +
      `${overlay.latency.server.p90.toFixed(1)} ms.`,
      "",
      `Neighbour lists over gossip (opt-in, for a map of the overlay), ${overlay.cost.nodes} ` +
      `signing nodes churning for ${overlay.cost.ticks} ticks: a node sends ` +
      `${figure(overlay.cost.withBytesPerTick)} B per tick with them, ` +
      `${figure(overlay.cost.withoutBytesPerTick)} B without.`,
    ]
    : ["(not measured in this run)"];
  const bundles = [
    "| bundle | minified | gzip |",
    "| --- | --: | --: |",
    ...results.bundle.map((b) =>
      `| ${b.name} | ${(b.raw / 1024).toFixed(1)} KiB | ${(b.gzip / 1024).toFixed(1)} KiB |`
    ),
  ];
  const markdown = [
    "# Benchmarks",
    "",
    `Generated by \`npm run bench\` on ${results.date.slice(0, 10)} in ${results.seconds} s` +
    (results.quick ? " (QUICK RUN: tiny sizes, figures meaningless)" : "") +
    `. Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Deno ${m.deno}, Node ${m.node}.`,
    "Every comparison was measured in the same run on the same machine; ratios are flnet's figure",
    "over the other's, and **behind** marks where flnet is more than 5 % worse. The machine is",
    "shared and noisy: expect runs to differ by 10-30 %; the ratios move less than the absolutes.",
    "",
    "## Reproduce",
    "",
    "```sh",
    "npm ci && npm run bench     # about 5 minutes; writes bench/results.json and this page",
    "```",
    "",
    "Each benchmark also runs alone: `npm run bench:signal -- --server peerjs --clients 5000`,",
    "`npm run bench:network`, `npm run bench:broker`, `npm run bench:gossip`,",
    "`npm run bench:gossip-real`, `npm run bench:overlay-signal`, `npm run bench:bundle`,",
    "`npm run bench:flood` (what a hostile peer's flood costs its target) (`--json FILE` writes",
    "the figures).",
    "",
    "## Comparison",
    "",
    ...table,
    "",
    "![data channel throughput](benchmarks/data_channel.svg)",
    "![signalling relays per second](benchmarks/signalling.svg)",
    "",
    "## How each is measured",
    "",
    "- **Signalling**: the server in its own process (flnet's on Deno, PeerJS's `peer` 1.0.2 on",
    "  Node), one load generator process speaking its protocol: N clients connect (flnet's prove",
    "  an Ed25519 identity; PeerJS's choose an id), then each relays 5 offer-sized (2 KiB)",
    "  messages to another client at once; relays/s over that burst; latency p50/p99 over 200",
    "  relays sent one at a time afterwards; RSS growth of the server process per connection.",
    "- **Data channel**: two peers on loopback in one process, the same engine for all three:",
    "  flnet's `Network.send`, a raw pre-negotiated RTCDataChannel pausing above 1 MiB",
    "  buffered, and simple-peer 9.11.1 with the engine injected (`wrtc` option; its own stream",
    "  backpressure). First message: from starting to connect until the first message arrived,",
    "  offer/answer/candidates relayed through the same flnet signalling server. The raw setup",
    "  has no defence against the DTLS race that makes libdatachannel wait a second for a",
    "  retransmit (flnet answers as the DTLS server), so in some runs its node-datachannel figure",
    "  is 50-1000 ms: the raw row is the floor for throughput, not for setup. Round trip: 500",
    "  ping-pongs of 16 bytes, one at a time, over an open connection (`Network.send` and an",
    "  echo with `onMessage` against a raw channel echoing in its `onmessage`); the median.",
    "- **Broker**: a 3-stage chain of 200,000 messages; median of 5 rounds.",
    "- **Gossip**: simulated rounds (hops) for one chat event to reach every node, and its cost per",
    "  node; and with real nodes (node-datachannel, module defaults on a 10x faster timer, one",
    "  process): the bytes that passed the signalling server (received + sent) from the first",
    "  node's start until every node had the message, beside fledger's published figures",
    "  (flnode/tests/gossip_large.rs; how fledger counted is not stated); once with setups",
    "  through the overlay (the default), once with every setup through the server.",
    "- **Bundles**: esbuild, minified ESM; the peerjs and simple-peer files are the ones their npm",
    "  packages ship for browsers.",
    "",
    "## Signalling: clients held",
    "",
    ...signalHeld,
    "",
    "## Gossip in simulation",
    "",
    ...gossipSim,
    "",
    "## Gossip with real nodes",
    "",
    ...gossipReal,
    "",
    "## Connection setup through the overlay",
    "",
    "Simulated: N nodes form an overlay, then 1 % of them are replaced every tick for 30 ticks;",
    "a setup goes through the overlay when a neighbour of the node is connected to the target;",
    "with and without random connections' preference for such targets.",
    "",
    ...overlaySignal,
    "",
    "## Browser bundles",
    "",
    ...bundles,
    "",
  ].join("\n");
  return { markdown, svgs };
}

/**
 * The signalling server's counters in Prometheus's text format, for `GET /metrics`.
 * @module
 */

import type { SignalStats } from "./server_options.ts";
import type { RelayOutcome } from "./cluster_options.ts";

/** One metric: name, type, help text, and its samples (labels and value). */
interface Metric {
  name: string;
  type: "gauge" | "counter";
  help: string;
  samples: { labels?: Record<string, string>; value: number }[];
}

/** The text of `stats` in Prometheus's exposition format (version 0.0.4). */
export function metricsText(stats: SignalStats): string {
  const one = (value: number) => [{ value }];
  const metrics: Metric[] = [
    {
      name: "flnet_signal_nodes",
      type: "gauge",
      help: "Announced nodes connected now.",
      samples: one(stats.nodesOnline),
    },
    {
      name: "flnet_signal_connections",
      type: "gauge",
      help: "Open WebSocket connections, announced or not.",
      samples: one(stats.connections),
    },
    {
      name: "flnet_signal_relays_total",
      type: "counter",
      help: "Setup messages relayed to their target.",
      samples: one(stats.messagesRelayed),
    },
    {
      name: "flnet_signal_relayed_bytes_total",
      type: "counter",
      help: "Bytes of relayed frames.",
      samples: one(stats.bytesRelayed),
    },
    {
      name: "flnet_signal_frames_received_total",
      type: "counter",
      help: "Frames received from clients.",
      samples: one(stats.framesReceived),
    },
    {
      name: "flnet_signal_received_bytes_total",
      type: "counter",
      help: "Bytes received from clients.",
      samples: one(stats.bytesReceived),
    },
    {
      name: "flnet_signal_sent_bytes_total",
      type: "counter",
      help: "Bytes sent to clients.",
      samples: one(stats.bytesSent),
    },
    {
      name: "flnet_signal_errors_total",
      type: "counter",
      help: "Errors sent to clients, by code (rate-limited: frames refused by the rate limit; " +
        "unknown-node and target-overloaded: relays that failed).",
      samples: Object.entries(stats.errorsByCode).map(([code, value]) => ({
        labels: { code },
        value: value ?? 0,
      })),
    },
    ...clusterMetrics(stats),
    {
      name: "flnet_signal_uptime_seconds",
      type: "gauge",
      help: "Seconds since the server started.",
      samples: one(stats.uptimeSeconds),
    },
  ];
  const lines: string[] = [];
  for (const metric of metrics) {
    lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`);
    for (const { labels, value } of metric.samples) {
      const tags = labels
        ? `{${
          Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`).join(",")
        }}`
        : "";
      lines.push(`${metric.name}${tags} ${value}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** The cluster's metrics, when the server is in one. */
function clusterMetrics({ cluster }: SignalStats): Metric[] {
  if (!cluster) return [];
  const byOutcome = (counts: Record<RelayOutcome, number>) =>
    Object.entries(counts).map(([outcome, value]) => ({ labels: { outcome }, value }));
  return [
    {
      name: "flnet_signal_cluster_peers",
      type: "gauge",
      help: "Other servers of the cluster heard from within three heartbeats.",
      samples: [{ value: cluster.peers }],
    },
    {
      name: "flnet_signal_cluster_nodes",
      type: "gauge",
      help: "Nodes on the whole cluster, by the latest heartbeats.",
      samples: [{ value: cluster.clusterNodes }],
    },
    {
      name: "flnet_signal_nats_connected",
      type: "gauge",
      help: "1 when the server is connected to NATS, 0 while it reconnects.",
      samples: [{ labels: { server: cluster.busServer }, value: cluster.busConnected ? 1 : 0 }],
    },
    {
      name: "flnet_signal_cluster_relays_out_total",
      type: "counter",
      help: "Relays sent to nodes on other servers, by outcome.",
      samples: byOutcome(cluster.relaysOut),
    },
    {
      name: "flnet_signal_cluster_relays_in_total",
      type: "counter",
      help: "Relays from other servers to nodes here, by outcome.",
      samples: byOutcome(cluster.relaysIn),
    },
    {
      name: "flnet_signal_cluster_bad_messages_total",
      type: "counter",
      help: "Messages from NATS that were not understood.",
      samples: [{ value: cluster.badMessages }],
    },
  ];
}

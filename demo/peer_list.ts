/**
 * The demo's list of connected peers: each with its name, its whole id (copyable), the path, the
 * messages and bytes each way (the network counts them), and its round-trip times as a small
 * sparkline. {@link PeerCounters} keeps the per-peer history (bounded: {@link RTT_SAMPLES} samples, forgotten when the peer
 * disconnects); {@link renderPeerList} and {@link sparkline} are pure, so they are tested without a
 * browser.
 * @module
 */

import type { NodeID } from "../core/ids.ts";
import { escapeXml } from "./picture.ts";

/** Round-trip times kept per peer for its sparkline. */
export const RTT_SAMPLES = 30;

/** One row of the list. */
export interface PeerRow {
  /** The peer's id. */
  id: NodeID;
  /** Its name, or the start of its id while its info has not arrived. */
  name: string;
  /** The path type, once known. */
  path?: string;
  /** Messages received from it and handed to the connection to it. */
  messages: { in: number; out: number };
  /** Bytes received and sent on the connection's selected path. */
  bytes: { in: number; out: number };
  /** Its round-trip times, oldest first, ms. */
  rtt: number[];
}

/** Round-trip times sampled per peer. */
export class PeerCounters {
  #rtt = new Map<NodeID, number[]>();

  /** Adds a round-trip time of `id`, keeping the last {@link RTT_SAMPLES}. */
  sampleRtt(id: NodeID, ms: number): void {
    const samples = this.#rtt.get(id) ?? [];
    samples.push(ms);
    if (samples.length > RTT_SAMPLES) samples.shift();
    this.#rtt.set(id, samples);
  }

  /** The round-trip times of `id`, oldest first. */
  rtt(id: NodeID): number[] {
    return [...(this.#rtt.get(id) ?? [])];
  }

  /** Forgets every peer but `keep` (the connected ones). */
  keepOnly(keep: Iterable<NodeID>): void {
    const kept = new Set(keep);
    for (const id of this.#rtt.keys()) if (!kept.has(id)) this.#rtt.delete(id);
  }
}

/**
 * An inline SVG polyline of `values` (a sparkline), `width` × `height` pixels, scaled from 0 to
 * the largest value; a dot when there is one value, nothing when there are none.
 */
export function sparkline(values: number[], width = 90, height = 20): string {
  if (values.length === 0) return "";
  const top = Math.max(...values) || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values.map((value, i) => {
    const x = values.length > 1 ? i * step : width / 2;
    const y = height - 1 - (value / top) * (height - 2);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const shape = values.length > 1
    ? `<polyline points="${points.join(" ")}"/>`
    : `<circle cx="${points[0].split(",")[0]}" cy="${points[0].split(",")[1]}" r="1.5"/>`;
  return `<svg class="sparkline" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" role="img" aria-label="round-trip times">${shape}</svg>`;
}

/** A byte count in B, kB or MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1_000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1_000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/**
 * The list's rows as HTML `<tr class="peer" data-id>`: name, id with a copy button
 * (`data-copy`), path, messages, bytes, last round-trip time and its sparkline.
 */
export function renderPeerList(rows: PeerRow[]): string {
  if (rows.length === 0) {
    return `<tr class="empty"><td colspan="6">no connected peers yet</td></tr>`;
  }
  return rows.map((row) => {
    const id = escapeXml(row.id);
    const last = row.rtt.at(-1);
    return `<tr class="peer" data-id="${id}">` +
      `<td class="name">${escapeXml(row.name)}</td>` +
      `<td class="peer-id"><code>${id}</code>` +
      `<button type="button" data-copy="${id}" title="copy the id">copy</button></td>` +
      `<td class="path path-${escapeXml(row.path ?? "unknown")}">${
        escapeXml(row.path ?? "…")
      }</td>` +
      `<td class="messages">${row.messages.in} in · ${row.messages.out} out</td>` +
      `<td class="bytes">${formatBytes(row.bytes.in)} in · ${formatBytes(row.bytes.out)} out</td>` +
      `<td class="rtt">${last === undefined ? "…" : `${last.toFixed(1)} ms`} ` +
      `${sparkline(row.rtt)}</td>` +
      `</tr>`;
  }).join("");
}

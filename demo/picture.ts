/**
 * The demo's picture of the network one node sees: itself in the middle, the nodes that are
 * there (its neighbours, and the nodes in the others' fresh neighbour lists) on a circle around
 * it, a line to each node it is connected to, labelled with the path type (host, srflx, prflx,
 * relay) and the round-trip time, coloured by how the connection was set up, and thin lines for
 * the connections among the other nodes, drawn from their signed neighbour lists. Two nodes of
 * one name are told apart by the start of their ids.
 * Pure functions, so the layout and the SVG are tested without a browser.
 * @module
 */

import type { NodeID } from "../core/ids.ts";
import type { SetupVia } from "../net/connection_status.ts";
import type { NeighbourList } from "../modules/gossip/neighbour_list.ts";
import type { ConnectionStat } from "../modules/stat/messages.ts";

/** What the picture is drawn from. */
export interface PictureInput {
  /** This node. */
  self: { id: NodeID; name: string };
  /** Names of the other nodes this node knows (the gossip directory; some may have left). */
  known: Map<NodeID, string>;
  /** The nodes with an open connection. */
  connected: NodeID[];
  /** The connection statistics, by node. */
  stats: Record<NodeID, ConnectionStat>;
  /**
   * The other nodes' fresh neighbour lists (from gossip): who is there, and their connections
   * among themselves.
   */
  lists?: NeighbourList[];
}

/** A node in the picture. */
export interface PictureNode {
  /** Its id. */
  id: NodeID;
  /** Its name, or the start of its id when its info has not arrived yet. */
  name: string;
  /** Centre of its circle. */
  x: number;
  /** Centre of its circle. */
  y: number;
  /** True for this node. */
  self: boolean;
}

/** A connection in the picture, from this node to `to`. */
export interface PictureEdge {
  /** The other end. */
  to: NodeID;
  /** The path type (`"host"`, `"srflx"`, `"prflx"`, `"relay"`), once the stats know it. */
  path?: string;
  /** The round-trip time, ms, once measured. */
  rttMs?: number;
  /** How the connection was set up: through the signalling server or through the overlay. */
  via?: SetupVia;
}

/** A connection between two other nodes, as one of their neighbour lists gives it. */
export interface PictureLink {
  /** One end (the smaller id). */
  a: NodeID;
  /** The other end. */
  b: NodeID;
  /** How the connection was set up, when a list says. */
  via?: SetupVia;
}

/** A laid-out picture. */
export interface Picture {
  /** Width and height of the square drawing. */
  size: number;
  /** Every node, this one first. */
  nodes: PictureNode[];
  /** This node's connections. */
  edges: PictureEdge[];
  /** The connections among the other nodes. */
  links: PictureLink[];
}

const SIZE = 400;

/** The path of a connection: relayed if either end is, else the less direct end's type. */
export function pathType(stat: ConnectionStat | undefined): string | undefined {
  const types = [stat?.localCandidateType, stat?.remoteCandidateType];
  for (const type of ["relay", "prflx", "srflx", "host"]) {
    if (types.includes(type as ConnectionStat["localCandidateType"])) return type;
  }
  return undefined;
}

/** Lays out the nodes: this one in the middle, the others by id on a circle. */
export function layoutPicture(input: PictureInput): Picture {
  // the nodes there are: this one's neighbours and the nodes in the others' (fresh) lists; a
  // node only the directory knows may have left long ago
  const present = new Set(input.connected);
  for (const list of input.lists ?? []) {
    present.add(list.node);
    for (const { id } of list.neighbours) present.add(id);
  }
  const others = [...present].filter((id) => id !== input.self.id).sort();
  const centre = SIZE / 2;
  const radius = SIZE * 0.36;
  const names = distinctNames([
    [input.self.id, input.self.name],
    ...others.map((id): [NodeID, string] => [id, input.known.get(id) ?? id.slice(0, 8)]),
  ]);
  const nodes: PictureNode[] = [
    { id: input.self.id, name: names[0], x: centre, y: centre, self: true },
    ...others.map((id, i) => {
      const angle = (2 * Math.PI * i) / others.length - Math.PI / 2;
      return {
        id,
        name: names[i + 1],
        x: Math.round(centre + radius * Math.cos(angle)),
        y: Math.round(centre + radius * Math.sin(angle)),
        self: false,
      };
    }),
  ];
  const edges = input.connected.filter((id) => id !== input.self.id).sort().map((to) => {
    const stat = input.stats[to];
    const rtt = stat?.pingMs ?? stat?.rttMs;
    return {
      to,
      ...(pathType(stat) ? { path: pathType(stat) } : {}),
      ...(rtt !== undefined ? { rttMs: rtt } : {}),
      ...(stat?.setupVia ? { via: stat.setupVia } : {}),
    };
  });
  return { size: SIZE, nodes, edges, links: otherLinks(input, new Set(others)) };
}

/**
 * The names to show for `nodes` (id, name): a name two nodes share gets the start of each id,
 * so they can be told apart.
 */
export function distinctNames(nodes: [NodeID, string][]): string[] {
  const count = new Map<string, number>();
  for (const [, name] of nodes) count.set(name, (count.get(name) ?? 0) + 1);
  return nodes.map(([id, name]) => count.get(name)! > 1 ? `${name} ${id.slice(0, 4)}` : name);
}

/** The connections the lists give among `others` (not this node's: those are its edges). */
function otherLinks(input: PictureInput, others: Set<NodeID>): PictureLink[] {
  const links = new Map<string, PictureLink>();
  for (const list of input.lists ?? []) {
    if (!others.has(list.node)) continue;
    for (const { id, via } of list.neighbours) {
      if (!others.has(id)) continue;
      const [a, b] = list.node < id ? [list.node, id] : [id, list.node];
      const key = `${a}${b}`;
      const known = links.get(key);
      if (!known || (!known.via && via)) links.set(key, via ? { a, b, via } : { a, b });
    }
  }
  return [...links.values()].sort((x, y) => (x.a + x.b < y.a + y.b ? -1 : 1));
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A coordinate with at most one decimal. */
function at2(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** How far a connection's label sits from its line, in the picture's units. */
export const LABEL_OFFSET = 12;

/** How far along the line from this node a connection's label sits (its lines fan out). */
export const LABEL_ALONG = 0.6;

/**
 * Where the label of the line from `a` to `b` goes: beside the point {@link LABEL_ALONG} of the
 * way from `a`, where the lines from `a` are further apart than at their middles, {@link LABEL_OFFSET} away
 * on the side above the line (left of a vertical one), anchored so that the text grows away
 * from the line (`end`: leftwards, where a line rising to the right falls away; `start`:
 * rightwards; `middle` above a level line), so the line never runs through the text.
 */
export function labelPosition(
  a: { x: number; y: number },
  b: { x: number; y: number },
): { x: number; y: number; anchor: "start" | "middle" | "end" } {
  const [dx, dy] = [b.x - a.x, b.y - a.y];
  const length = Math.hypot(dx, dy) || 1;
  // the normal pointing up (or left when the line is vertical)
  let [nx, ny] = [-dy / length, dx / length];
  const level = Math.abs(ny) < 1e-9; // a vertical line (up to rounding)
  if ((!level && ny > 0) || (level && nx > 0)) [nx, ny] = [-nx, -ny];
  const anchor = Math.abs(nx) < 1e-9 ? "middle" : nx < 0 ? "end" : "start";
  return {
    x: a.x + dx * LABEL_ALONG + nx * LABEL_OFFSET,
    y: a.y + dy * LABEL_ALONG + ny * LABEL_OFFSET,
    anchor,
  };
}

/**
 * The SVG markup of a picture. Nodes are `<g class="node" data-id>`, this node's connections
 * `<g class="edge" data-to data-path data-via>`, the others' `<g class="link" data-a data-b
 * data-via>`, so a page (and a test) can find them.
 */
export function renderPicture(picture: Picture): string {
  const at = new Map(picture.nodes.map((n) => [n.id, n]));
  const self = picture.nodes[0];
  const edges = picture.edges.flatMap((edge) => {
    const to = at.get(edge.to);
    if (!to) return [];
    const rtt = edge.rttMs === undefined
      ? ""
      : edge.rttMs < 0.1
      ? "<0.1 ms"
      : `${edge.rttMs.toFixed(1)} ms`;
    // how the setup went shows as the label's colour (the legend says so): a short label
    const label = [edge.path ?? "…", rtt].filter(Boolean).join(" · ");
    const path = escapeXml(edge.path ?? "unknown");
    const label0 = labelPosition(self, to);
    const setup = edge.via ? ` data-via="${edge.via}"` : "";
    const via = edge.via ? ` via-${edge.via}` : "";
    return [
      `<g class="edge path-${path}${via}" data-to="${
        escapeXml(edge.to)
      }" data-path="${path}"${setup}>` +
      `<line x1="${self.x}" y1="${self.y}" x2="${to.x}" y2="${to.y}"/>` +
      `<text x="${at2(label0.x)}" y="${at2(label0.y)}" text-anchor="${label0.anchor}">` +
      `${escapeXml(label)}</text>` +
      `</g>`,
    ];
  });
  const links = picture.links.flatMap((link) => {
    const [a, b] = [at.get(link.a), at.get(link.b)];
    if (!a || !b) return [];
    const setup = link.via ? ` data-via="${link.via}"` : "";
    return [
      `<g class="link via-${link.via ?? "unknown"}" data-a="${escapeXml(link.a)}" ` +
      `data-b="${escapeXml(link.b)}"${setup}>` +
      `<line x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}"/></g>`,
    ];
  });
  const connected = new Set(picture.edges.map((edge) => edge.to));
  const nodes = picture.nodes.map((node) =>
    `<g class="node${node.self ? " self" : ""}${connected.has(node.id) ? " connected" : ""}" ` +
    `data-id="${escapeXml(node.id)}">` +
    `<title>${escapeXml(node.id)}</title>` +
    `<circle cx="${node.x}" cy="${node.y}" r="${node.self ? 18 : 14}"/>` +
    `<text x="${node.x}" y="${node.y + (node.self ? 34 : 30)}">${escapeXml(node.name)}</text>` +
    `</g>`
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${picture.size} ${picture.size}" ` +
    `role="img" aria-label="nodes and connections">` +
    `${links.join("")}${edges.join("")}${nodes.join("")}</svg>`;
}

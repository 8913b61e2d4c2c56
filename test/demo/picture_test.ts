import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NodeID } from "../../core/ids.ts";
import {
  distinctNames,
  escapeXml,
  LABEL_ALONG,
  LABEL_OFFSET,
  labelPosition,
  layoutPicture,
  pathType,
  renderPicture,
} from "../../demo/picture.ts";

const id = (c: string) => c.repeat(64) as NodeID;

describe("the demo's network picture", () => {
  it("calls a path relayed if either end is, and unknown before the stats say", () => {
    const stat = { state: "open" as const, bytesSent: 0, bytesReceived: 0 };
    assert.equal(
      pathType({ ...stat, localCandidateType: "host", remoteCandidateType: "relay" }),
      "relay",
    );
    assert.equal(
      pathType({ ...stat, localCandidateType: "host", remoteCandidateType: "prflx" }),
      "prflx",
    );
    assert.equal(
      pathType({ ...stat, localCandidateType: "host", remoteCandidateType: "host" }),
      "host",
    );
    assert.equal(pathType(stat), undefined);
    assert.equal(pathType(undefined), undefined);
  });

  it("puts this node in the middle, and the nodes that are there on a circle", () => {
    const picture = layoutPicture({
      self: { id: id("a"), name: "me" },
      // e is only in the directory: it may have left long ago, and is not drawn
      known: new Map([[id("b"), "bee"], [id("c"), "sea"], [id("a"), "me"], [id("e"), "eve"]]),
      connected: [id("c"), id("d")],
      lists: [{ node: id("c"), created: 1, neighbours: [{ id: id("b") }] }],
      stats: {
        [id("c")]: {
          state: "open",
          bytesSent: 1,
          bytesReceived: 1,
          localCandidateType: "relay",
          remoteCandidateType: "relay",
          rttMs: 3,
          pingMs: 2.5,
          setupVia: "overlay",
        },
      },
    });
    assert.deepEqual(picture.nodes.map((n) => [n.name, n.self]), [
      ["me", true],
      ["bee", false],
      ["sea", false],
      ["dddddddd", false], // connected before its info arrived: named by its id
    ]);
    const [centre, ...ring] = picture.nodes;
    assert.deepEqual([centre.x, centre.y], [picture.size / 2, picture.size / 2]);
    const radii = ring.map((n) => Math.hypot(n.x - centre.x, n.y - centre.y));
    for (const r of radii) assert.ok(Math.abs(r - radii[0]) <= 1, `radii ${radii}`);
    assert.deepEqual(picture.edges, [
      { to: id("c"), path: "relay", rttMs: 2.5, via: "overlay" },
      { to: id("d") },
    ]);
    const svg = renderPicture(picture);
    assert.match(svg, /<g class="edge path-relay via-overlay" [^>]*data-via="overlay">/);
    assert.match(svg, />relay · 2\.5 ms</, "a short label: the setup shows as its colour");
  });

  it("renders nodes and edges a page can find, with every name escaped", () => {
    const svg = renderPicture(layoutPicture({
      self: { id: id("a"), name: "<me & you>" },
      known: new Map([[id("b"), `"bee"`]]),
      connected: [id("b")],
      stats: {},
    }));
    assert.match(svg, /^<svg [^>]*viewBox="0 0 400 400"/);
    assert.equal(svg.match(/<g class="node/g)?.length, 2);
    assert.match(
      svg,
      new RegExp(`<g class="edge path-unknown" data-to="${id("b")}" data-path="unknown">`),
    );
    assert.ok(svg.includes("&#60;me &#38; you&#62;") && svg.includes("&#34;bee&#34;"));
    assert.ok(!svg.includes("<me"));
    assert.equal(escapeXml(`<'&">`), "&#60;&#39;&#38;&#34;&#62;");
  });

  it("tells two nodes of one name apart by the start of their ids", () => {
    const picture = layoutPicture({
      self: { id: id("a"), name: "ann" },
      known: new Map([[id("b"), "ann"], [id("c"), "bob"]]),
      connected: [id("b"), id("c")],
      stats: {},
    });
    assert.deepEqual(picture.nodes.map((n) => n.name), ["ann aaaa", "ann bbbb", "bob"]);
    assert.deepEqual(distinctNames([]), []);
  });

  it("puts a connection's label beside its line, further out than the middle, never on it", () => {
    // distance of a point from the (infinite) line through a and b
    const away = (p: { x: number; y: number }, a: { x: number; y: number }, b: typeof a) =>
      Math.abs((b.x - a.x) * (a.y - p.y) - (a.x - p.x) * (b.y - a.y)) /
      Math.hypot(b.x - a.x, b.y - a.y);
    const centre = { x: 200, y: 200 };
    for (let i = 0; i < 12; i++) {
      const angle = (2 * Math.PI * i) / 12;
      const end = { x: 200 + 144 * Math.cos(angle), y: 200 + 144 * Math.sin(angle) };
      const label = labelPosition(centre, end);
      assert.ok(Math.abs(away(label, centre, end) - LABEL_OFFSET) < 1e-9, `angle ${i}/12`);
      // level with the point LABEL_ALONG of the way out
      const middle = {
        x: centre.x + (end.x - centre.x) * LABEL_ALONG,
        y: centre.y + (end.y - centre.y) * LABEL_ALONG,
      };
      assert.ok(Math.abs(Math.hypot(label.x - middle.x, label.y - middle.y) - LABEL_OFFSET) < 1e-9);
      // on the upper side (the text's baseline is above the line), left of a vertical line
      const above = label.y < middle.y - 1e-9 ||
        (Math.abs(label.y - middle.y) < 1e-9 && label.x < middle.x);
      assert.ok(above, `angle ${i}/12: ${JSON.stringify(label)} vs ${JSON.stringify(middle)}`);
      // the text grows away from the line: along it, the line is further from the label's side
      const grows = label.anchor === "end" ? -40 : label.anchor === "start" ? 40 : 0;
      const far = { x: label.x + grows, y: label.y };
      if (label.anchor !== "middle") {
        assert.ok(away(far, centre, end) > LABEL_OFFSET, `angle ${i}/12: ${label.anchor}`);
      } else assert.ok(Math.abs(end.y - centre.y) < 1e-9, "middle only above a level line");
    }
    const svg = renderPicture(layoutPicture({
      self: { id: id("a"), name: "a" },
      known: new Map([[id("b"), "b"]]),
      connected: [id("b")],
      stats: {},
    }));
    // b is straight above a (first on the circle): the label sits left of the vertical line
    assert.match(
      svg,
      /<line x1="200" y1="200" x2="200" y2="56"\/><text x="188" y="113.6" text-anchor="end">/,
    );
  });

  it("draws the other nodes' connections from their lists, once each, without this node's", () => {
    const list = (node: string, ...neighbours: [string, ("server" | "overlay")?][]) => ({
      node: id(node),
      created: 1,
      neighbours: neighbours.map(([to, via]) => (via ? { id: id(to), via } : { id: id(to) })),
    });
    const picture = layoutPicture({
      self: { id: id("a"), name: "me" },
      known: new Map([[id("b"), "bee"], [id("c"), "sea"], [id("d"), "dee"]]),
      connected: [id("b")],
      stats: {},
      lists: [
        list("b", ["c", "overlay"], ["a", "server"], ["e", "server"]),
        list("c", ["b"], ["d", "server"]),
        list("e", ["b", "server"]), // not in the directory yet, but there: drawn by its id
      ],
    });
    assert.deepEqual(picture.links, [
      { a: id("b"), b: id("c"), via: "overlay" },
      { a: id("b"), b: id("e"), via: "server" },
      { a: id("c"), b: id("d"), via: "server" },
    ]);
    assert.ok(picture.nodes.some((n) => n.name === "eeeeeeee"));
    const svg = renderPicture(picture);
    assert.equal(svg.match(/<g class="link/g)?.length, 3);
    assert.match(
      svg,
      new RegExp(
        `<g class="link via-overlay" data-a="${id("b")}" data-b="${id("c")}" ` +
          `data-via="overlay">`,
      ),
    );
    assert.ok(svg.indexOf('class="link') < svg.indexOf('class="node'), "lines under the nodes");
  });
});

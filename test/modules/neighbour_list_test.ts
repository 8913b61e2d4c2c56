import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { U256 } from "../../core/ids.ts";
import { createEvent } from "../../modules/gossip/event.ts";
import {
  encodeNeighbourList,
  MAX_LISTED_NEIGHBOURS,
  NEIGHBOUR_LIST_MAX_CHARS,
  neighbourList,
  parseNeighbourList,
} from "../../modules/gossip/neighbour_list.ts";

const ids = (n: number) => Array.from({ length: n }, () => U256.random());

describe("a neighbour list's payload", () => {
  it("reads back what was written, grouped by how each link was set up", () => {
    const [a, b, c] = ids(3);
    const links = [{ id: a, via: "overlay" as const }, { id: b }, {
      id: c,
      via: "server" as const,
    }];
    const read = parseNeighbourList(encodeNeighbourList(links));
    assert.deepEqual(
      read.sort((x, y) => x.id.localeCompare(y.id)),
      links.sort((x, y) => x.id.localeCompare(y.id)),
    );
  });

  it("holds at most the maximum: more are left out when written, refused when read", () => {
    const many = ids(MAX_LISTED_NEIGHBOURS + 1);
    const full = encodeNeighbourList(many.map((id) => ({ id, via: "server" as const })));
    assert.ok(full.length <= NEIGHBOUR_LIST_MAX_CHARS, `${full.length} characters`);
    assert.equal(parseNeighbourList(full).length, MAX_LISTED_NEIGHBOURS);
    const over = JSON.stringify({ server: many.slice(0, 64), overlay: many.slice(64) });
    assert.throws(() => parseNeighbourList(over), /at most 128 ids/);
  });

  it("refuses what is not a list of node ids, saying what is wrong", () => {
    assert.throws(() => parseNeighbourList("{"), /is JSON/);
    assert.throws(() => parseNeighbourList("[]"), /an object/);
    assert.throws(
      () => parseNeighbourList('{"server":"x"}'),
      /"server" must be a list of node ids/,
    );
    assert.throws(() => parseNeighbourList('{"other":["ab"]}'), /"other" must be a list/);
  });
});

describe("a neighbour list event", () => {
  it("gives its author's list, without the author itself", async () => {
    const author = await NodeConfig.create();
    const [a] = ids(1);
    const payload = encodeNeighbourList([{ id: a, via: "overlay" }, { id: author.id }]);
    const event = await createEvent(author, "neighbours", payload, 1_700_000_000_000);
    assert.deepEqual(neighbourList(event), {
      node: author.id,
      created: 1_700_000_000_000,
      neighbours: [{ id: a, via: "overlay" }],
    });
  });

  it("is nothing when of another category or malformed", async () => {
    const author = await NodeConfig.create();
    assert.equal(neighbourList(await createEvent(author, "chat", "{}", 1)), undefined);
    assert.equal(neighbourList(await createEvent(author, "neighbours", "nope", 1)), undefined);
  });
});

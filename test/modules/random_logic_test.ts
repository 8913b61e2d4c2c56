import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type NodeID, U256 } from "../../core/ids.ts";
import { seededRandom } from "../../core/random.ts";
import { RandomLogic } from "../../modules/random/logic.ts";
import { RANDOM_DEFAULTS, type RandomOut } from "../../modules/random/messages.ts";
import { DEFAULT_SETUP_TIMEOUT_MS } from "../../net/peer_setup.ts";
import type { NetworkOut } from "../../net/network.ts";

const infoWith = (pubkey: string, modules: string[]) => ({
  name: "n",
  client: "c",
  pubkey,
  modules,
});
const info = (pubkey: string) => infoWith(pubkey, ["random", "gossip"]);

function setup(known: number, config = {}) {
  const self = U256.random();
  const logic = new RandomLogic(self, { cooldownTicks: 3, ...config }, seededRandom(3));
  const ids = Array.from({ length: known }, () => U256.random());
  const net = (out: NetworkOut) => logic.handle({ type: "network", out });
  const requests = (outs: RandomOut[], type: string) =>
    outs.flatMap((o) =>
      o.type === "network" && o.in.type === type && "to" in o.in ? [o.in.to] : []
    );
  /** Opens every connection asked for, ticking, until the degree stops growing. */
  const fillUp = () => {
    for (let tick = 100; tick < 110; tick++) {
      for (const id of logic.state.connecting) net({ type: "connected", id });
      logic.handle({ type: "tick", tick });
    }
    for (const id of logic.state.connecting) net({ type: "connected", id });
  };
  return { self, logic, ids, net, requests, fillUp };
}

describe("random connections logic", () => {
  it("connects to target-many known nodes, two first, never itself, publishing its state", () => {
    const { self, logic, ids, net, requests } = setup(10);
    const outs = net({ type: "nodes", nodes: [...ids, self].map(info) });
    const asked = requests(outs, "connect");
    assert.equal(asked.length, 2, "a node without neighbours opens two first");
    assert.ok(!asked.includes(self));
    const state = outs.find((o) => o.type === "state");
    assert.deepEqual(state?.type === "state" && state.state.connecting.sort(), asked.sort());
    net({ type: "connected", id: asked[0] });
    const waited = requests(logic.handle({ type: "tick", tick: 1 }), "connect");
    assert.deepEqual(waited, [], "it waits to hear whom its first neighbour reaches");
    const more: string[] = [];
    for (let tick = 2; tick <= 3; tick++) {
      more.push(...requests(logic.handle({ type: "tick", tick }), "connect"));
    }
    assert.equal(more.length, 3, "then, hearing nothing, up to the target for 10 known nodes");
    assert.ok(!more.includes(self));
    assert.equal(logic.state.target, 5);
  });

  it("prefers nodes reachable through a neighbour, as overlayPreference says", () => {
    const { ids, net, requests } = setup(40, { overlayPreference: 1 });
    const first = requests(net({ type: "nodes", nodes: ids.map(info) }), "connect");
    assert.equal(first.length, 2);
    net({ type: "connected", id: first[0] });
    const near = ids.filter((id) => !first.includes(id)).slice(0, 8);
    const asked = requests(net({ type: "reachable", ids: near, groups: [near] }), "connect");
    // the target for 40 known nodes is 8: one is open, one is connecting
    assert.equal(asked.length, 6);
    assert.ok(asked.every((id) => near.includes(id)), "all six reachable through the neighbour");
    // without the preference, a node opens its whole target at once, from any known node
    const plain = setup(40, { overlayPreference: 0 });
    const all = plain.requests(plain.net({ type: "nodes", nodes: plain.ids.map(info) }), "connect");
    assert.equal(all.length, 8);
  });

  it("stays bounded when it hears of thousands of nodes, keeping its connections", () => {
    const { logic, net, requests } = setup(0, { maxKnown: 500 });
    const first = Array.from({ length: 50 }, () => U256.random());
    const connecting = requests(net({ type: "nodes", nodes: first.map(info) }), "connect");
    for (const id of connecting) net({ type: "connected", id });
    let last: NodeID[] = [];
    for (let round = 0; round < 60; round++) {
      last = Array.from({ length: 50 }, () => U256.random());
      net({ type: "nodes", nodes: last.map(info) });
    }
    // 3,050 nodes heard of: the known set holds the most recent and the connected ones
    assert.equal(logic.state.known, 500);
    assert.deepEqual(logic.state.connected.toSorted(), connecting.toSorted(), "still connected");
    const outs = net({ type: "disconnected", id: connecting[0], reason: "gone" });
    const replacement = requests(outs, "connect");
    assert.ok(replacement.length > 0, "it connects to another");
    assert.ok(replacement.every((id) => !first.includes(id)), "old strangers are forgotten");
  });

  it("replaces a node reported as failed, and does not retry it during the cooldown", () => {
    const { logic, ids, net, requests, fillUp } = setup(6);
    net({ type: "nodes", nodes: ids.map(info) });
    fillUp();
    const victim = logic.state.connected[0];
    const outs = logic.handle({ type: "failed", id: victim });
    assert.deepEqual(requests(outs, "disconnect"), [victim]);
    const replacement = requests(outs, "connect");
    assert.equal(replacement.length, 1);
    assert.notEqual(replacement[0], victim);
  });

  it("tries a failed node again only after its cooldown", () => {
    const { logic, ids, net, requests, fillUp } = setup(4); // cooldownTicks: 3; all 4 are needed
    net({ type: "nodes", nodes: ids.map(info) });
    fillUp();
    const victim = logic.state.connected[0];
    const outs = logic.handle({ type: "failed", id: victim });
    assert.deepEqual(requests(outs, "connect"), [], "no one else to take, and not the victim");
    const asked: string[] = [];
    for (let tick = 1; tick <= 3; tick++) {
      asked.push(...requests(logic.handle({ type: "tick", tick }), "connect"));
      if (tick < 3) assert.deepEqual(asked, [], `not during the cooldown (tick ${tick})`);
    }
    assert.deepEqual(asked, [victim], "again once the cooldown is over");
  });

  it("does not offer again at once to a node whose setup failed, only after the cooldown", () => {
    const { logic, ids, net, requests } = setup(1); // one other node; cooldownTicks: 3
    const [only] = requests(net({ type: "nodes", nodes: ids.map(info) }), "connect");
    assert.equal(only, ids[0]);
    // the network gave up on the attempt before it opened (ICE failed, setup timed out)
    const outs = net({
      type: "disconnected",
      id: only,
      reason: "ICE failed",
      code: "setup-failed",
    });
    assert.deepEqual(requests(outs, "connect"), [], "not at once: it would loop for ever");
    const asked: string[] = [];
    for (let tick = 1; tick <= 3; tick++) {
      asked.push(...requests(logic.handle({ type: "tick", tick }), "connect"));
      if (tick < 3) assert.deepEqual(asked, [], `not during the cooldown (tick ${tick})`);
    }
    assert.deepEqual(asked, [only], "again once the cooldown is over");
  });

  it("drops a node it gave up on that connects back during the cooldown", () => {
    const { logic, ids, net, requests, fillUp } = setup(6);
    net({ type: "nodes", nodes: ids.map(info) });
    fillUp();
    const victim = logic.state.connected[0];
    logic.handle({ type: "failed", id: victim });
    net({ type: "disconnected", id: victim, reason: "dropped" });
    const back = net({ type: "connected", id: victim });
    assert.deepEqual(requests(back, "disconnect"), [victim]);
    assert.ok(!logic.state.connected.includes(victim));
  });

  it("gives up on connections stuck in connecting after the timeout", () => {
    const { logic, ids, net, requests } = setup(4, { connectingTimeoutTicks: 2 });
    net({ type: "nodes", nodes: ids.map(info) });
    const stuck = [...logic.state.connecting];
    logic.handle({ type: "tick", tick: 1 });
    const outs = logic.handle({ type: "tick", tick: 2 });
    assert.deepEqual(requests(outs, "disconnect").sort(), stuck.sort());
  });

  it("by default waits out the network's setup timeout, which says why a setup failed", () => {
    const { logic, ids, net, requests } = setup(4);
    net({ type: "nodes", nodes: ids.map(info) });
    const stuck = [...logic.state.connecting];
    const last = RANDOM_DEFAULTS.connectingTimeoutTicks;
    assert.ok(last > DEFAULT_SETUP_TIMEOUT_MS / 1000, "longer than the network's own timeout");
    for (let tick = 1; tick < last; tick++) {
      assert.deepEqual(requests(logic.handle({ type: "tick", tick }), "disconnect"), [], `${tick}`);
    }
    const outs = logic.handle({ type: "tick", tick: last });
    assert.deepEqual(requests(outs, "disconnect").sort(), stuck.sort());
  });

  it("chooses only nodes that announce every module it needs, and counts no other as neighbour", () => {
    const { logic, ids, net, requests } = setup(6, { needs: ["random", "gossip"] });
    const [bare, partial] = ids;
    const outs = net({
      type: "nodes",
      nodes: ids.map((id) =>
        id === bare ? infoWith(id, []) : id === partial ? infoWith(id, ["random"]) : info(id)
      ),
    });
    assert.equal(logic.state.known, 4, "the bare node and the one without gossip are not known");
    const asked = [...requests(outs, "connect")];
    for (let tick = 1; tick <= 40; tick++) {
      for (const id of logic.state.connecting) net({ type: "connected", id });
      asked.push(...requests(logic.handle({ type: "tick", tick }), "connect"));
    }
    assert.ok(asked.length >= 3, `asked ${asked.length}`);
    assert.ok(!asked.includes(bare) && !asked.includes(partial), "never chosen");
    // through a neighbour, it still is not; its own connection here is the application's
    net({ type: "reachable", ids: [bare, partial], groups: [[bare, partial]] });
    assert.deepEqual(net({ type: "connected", id: bare }), []);
    assert.ok(!logic.state.connected.includes(bare), "not a neighbour");
    assert.deepEqual(requests(net({ type: "disconnected", id: bare, reason: "x" }), "connect"), []);
  });

  it("forgets a neighbour that refused a module's message as unknown-module, closing only its own", () => {
    const { logic, ids, net, requests } = setup(8);
    net({ type: "nodes", nodes: ids.map((id) => info(id)) });
    const mine = logic.state.connecting[0];
    net({ type: "connected", id: mine });
    const stranger = U256.random(); // connected to this node on its own: not this module's
    net({ type: "connected", id: stranger });
    assert.ok(logic.state.connected.includes(stranger));
    const refusal = (to: NodeID) =>
      net({ type: "error", code: "unknown-module", message: "no module", to, id: 7 });
    assert.deepEqual(requests(refusal(mine), "disconnect"), [mine], "it opened it: it closes it");
    assert.deepEqual(requests(refusal(stranger), "disconnect"), [], "the other stays open");
    assert.ok(!logic.state.connected.includes(mine) && !logic.state.connected.includes(stranger));
    net({ type: "nodes", nodes: [info(mine)] }); // a server's list of it, fit again: known again
    assert.ok(logic.state.known >= 1);
  });

  it("keeps a neighbour's listed ids out of its table of known nodes: the next list replaces them", () => {
    const { logic, ids, net, requests } = setup(20, { maxKnown: 50 });
    net({ type: "nodes", nodes: ids.map(info) });
    assert.equal(logic.state.known, 20);
    // 200 made-up lists of 128 ids each, as one lying neighbour's \0near would give them
    let last: NodeID[] = [];
    const during: NodeID[] = [];
    for (let i = 0; i < 200; i++) {
      last = Array.from({ length: 128 }, () => U256.random());
      during.push(...requests(net({ type: "reachable", ids: last, groups: [last] }), "connect"));
    }
    assert.equal(logic.state.known, 20, "the honest table is whole");
    assert.ok(during.length <= logic.state.target, `${during.length} attempts during the flood`);
    // attempts that fail free their places; what is chosen then comes from the list in force
    const after: NodeID[] = [];
    for (const id of logic.state.connecting) {
      const outs = net({ type: "disconnected", id, reason: "no such node", code: "setup-failed" });
      after.push(...requests(outs, "connect"));
    }
    for (let tick = 1; tick <= 3; tick++) {
      after.push(...requests(logic.handle({ type: "tick", tick }), "connect"));
    }
    assert.ok(after.length > 0);
    assert.ok(after.every((id) => ids.includes(id) || last.includes(id)), "honest or in force");
  });

  it("chooses through neighbours a neighbour first, so one listing many ids weighs as one", () => {
    const honest = Array.from({ length: 3 }, () => Array.from({ length: 4 }, () => U256.random()));
    const made = Array.from({ length: 128 }, () => U256.random()); // one neighbour's made-up list
    let picks = 0;
    let theirs = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const logic = new RandomLogic(U256.random(), { overlayPreference: 1 }, seededRandom(seed));
      const outs = logic.handle({
        type: "network",
        out: { type: "reachable", ids: [...honest.flat(), ...made], groups: [...honest, made] },
      });
      for (const out of outs) {
        if (out.type !== "network" || out.in.type !== "connect") continue;
        picks++;
        if (made.includes(out.in.to)) theirs++;
      }
    }
    assert.ok(picks >= 100, `${picks} picks`);
    // a fair share is one neighbour in four; by ids it was 128 in 140 (91 %)
    assert.ok(theirs / picks < 0.35, `${theirs} of ${picks} picks were the liar's`);
  });

  it("drops random connections above twice the target", () => {
    const { logic, ids, net, requests } = setup(3);
    net({ type: "nodes", nodes: ids.map(info) });
    const extra = Array.from({ length: 10 }, () => U256.random());
    const dropped: NodeID[] = [];
    for (const id of [...ids, ...extra]) {
      dropped.push(...requests(net({ type: "connected", id }), "disconnect"));
    }
    assert.equal(logic.state.connected.length, 2 * logic.state.target);
    assert.equal(dropped.length, ids.length + extra.length - 2 * logic.state.target);
  });

  it("forgets a node the server does not know, and churns one connection on schedule", () => {
    const { logic, ids, net, requests } = setup(5, { churnTicks: 2 });
    net({ type: "nodes", nodes: ids.map(info) });
    const gone = logic.state.connecting[0];
    net({ type: "error", code: "no-route", message: "unknown", to: gone });
    assert.equal(logic.state.known, 4);
    for (const id of logic.state.connecting) net({ type: "connected", id });
    logic.handle({ type: "tick", tick: 1 });
    const churned = requests(logic.handle({ type: "tick", tick: 2 }), "disconnect");
    assert.equal(churned.length, 1);
  });

  it("asks the server for nodes when welcomed, and while alone, every listTicks", () => {
    const { logic, net } = setup(0, { listTicks: 3 });
    const lists = (outs: RandomOut[]) =>
      outs.filter((o) => o.type === "network" && o.in.type === "list").length;
    assert.equal(lists(net({ type: "signal", state: "ready" } as NetworkOut)), 1, "on welcome");
    assert.equal(lists(net({ type: "signal", state: "disconnected" } as NetworkOut)), 0);
    const asked = [1, 2, 3, 4, 5, 6].map((tick) => lists(logic.handle({ type: "tick", tick })));
    assert.deepEqual(asked, [0, 0, 1, 0, 0, 1], "three ticks after the last list, alone");
  });

  it("stops asking the server once two neighbours reach others", () => {
    const { logic, ids, net } = setup(6, { listTicks: 1, overlayPreference: 0 });
    net({ type: "nodes", nodes: ids.map(info) });
    for (const id of logic.state.connecting) net({ type: "connected", id });
    const lists = (tick: number) =>
      logic.handle({ type: "tick", tick }).filter((o) =>
        o.type === "network" && o.in.type === "list"
      )
        .length;
    assert.equal(lists(1), 1, "no node reached through a neighbour yet");
    net({ type: "reachable", ids: [U256.random()], groups: [[U256.random()]] });
    assert.equal(lists(2), 0);
    assert.equal(lists(3), 0);
  });

  it("never learns itself from the server's list or a neighbour's reach", () => {
    const { self, logic, net, requests } = setup(0);
    const outs = [
      ...net({ type: "nodes", nodes: [info(self)] }),
      ...net({ type: "reachable", ids: [self], groups: [[self]] }),
    ];
    assert.equal(logic.state.known, 0);
    assert.deepEqual(requests(outs, "connect"), []);
  });

  it("cools down a node whose send failed while connecting; unless no-route, it stays known", () => {
    const { logic, ids, net, requests } = setup(1, { overlayPreference: 0 });
    const [only] = requests(net({ type: "nodes", nodes: ids.map(info) }), "connect");
    const outs = net({ type: "error", code: "setup-timeout", message: "slow", to: only });
    assert.deepEqual(requests(outs, "connect"), [], "not again at once");
    assert.equal(logic.state.known, 1);
    assert.deepEqual(logic.state.connecting, []);
    // an error about a node it was not connecting to changes nothing
    const other = U256.random();
    assert.deepEqual(net({ type: "error", code: "setup-timeout", message: "x", to: other }), []);
    assert.deepEqual(net({ type: "error", code: "closed", message: "x" }), []);
    const back = [1, 2, 3].flatMap((tick) =>
      requests(logic.handle({ type: "tick", tick }), "connect")
    );
    assert.deepEqual(back, [only], "after cooldownTicks (3)");
  });

  it("refuses a node reported failed until exactly cooldownTicks later", () => {
    const { logic, ids, net, requests, fillUp } = setup(6);
    net({ type: "nodes", nodes: ids.map(info) });
    fillUp();
    const victim = logic.state.connected[0];
    logic.handle({ type: "failed", id: victim });
    // it connects back after each tick: dropped while refused, taken once cooldownTicks passed
    const verdicts: string[] = [];
    for (let tick = 1; tick <= 3; tick++) {
      logic.handle({ type: "tick", tick });
      const dropped = requests(net({ type: "connected", id: victim }), "disconnect");
      verdicts.push(dropped.includes(victim) ? "refused" : "taken");
    }
    assert.deepEqual(verdicts, ["refused", "refused", "taken"]);
    assert.ok(logic.state.connected.includes(victim));
  });

  it("churns only on its schedule, never with churnTicks 0, and cools the victim down", () => {
    for (const churnTicks of [0, 3]) {
      const { logic, ids, net, requests } = setup(5, { churnTicks, overlayPreference: 0 });
      net({ type: "nodes", nodes: ids.map(info) });
      for (const id of logic.state.connecting) net({ type: "connected", id });
      const churned = [1, 2, 3, 4, 5, 6].map((tick) =>
        requests(logic.handle({ type: "tick", tick }), "disconnect")
      );
      const when = churned.flatMap((ids, i) => ids.length > 0 ? [i + 1] : []);
      assert.deepEqual(when, churnTicks === 0 ? [] : [3, 6], `churnTicks ${churnTicks}`);
    }
  });

  it("tells the node's connections when they change, and its state when anything does", () => {
    const { logic, ids, net } = setup(4, { overlayPreference: 0 });
    const first = net({ type: "nodes", nodes: ids.map(info) });
    assert.deepEqual(first.filter((o) => o.type === "connected"), [], "none open yet");
    assert.equal(first.filter((o) => o.type === "state").length, 1);
    const opened = logic.state.connecting[0];
    const outs = net({ type: "connected", id: opened });
    assert.deepEqual(outs.filter((o) => o.type === "connected"), [{
      type: "connected",
      ids: [opened],
    }]);
    // the same list again: nothing to say
    assert.deepEqual(
      net({ type: "nodes", nodes: ids.map(info) }).filter((o) => o.type !== "network"),
      [],
    );
  });
});

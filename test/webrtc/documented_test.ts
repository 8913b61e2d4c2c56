/**
 * Behaviours the docs promise, each on real engines with a real signalling server: the server's
 * node list from `Network.nodes()`, a real Node's uploaded stats at the server's `GET /nodes`,
 * messages queued at the broker failed with `closed` when the network closes, forged gossip events
 * refused by real nodes, random connections' churn on a real network, a hung peer replaced, and
 * `disconnectGraceMs` ending a connection whose ICE went quiet when liveness is off.
 * @module
 */

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import type { NodeID } from "../../core/ids.ts";
import { IntervalTimer } from "../../core/timer.ts";
import { createEvent } from "../../modules/gossip/event.ts";
import type { Node } from "../../node/node.ts";
import { openNodeNetwork } from "../../adapters/node/network_options.ts";
import { type RunningSignalServer, serveSignal } from "../../adapters/deno/serve_signal.ts";
import {
  FAST_NODE,
  loopback,
  loopbackFullNode,
  loopbackNode,
  until,
} from "../../harness/network.ts";
import type { NetworkOut } from "../../net/network.ts";
import { startPeer } from "../../harness/peer_process.ts";

/**
 * Runs `body` with a signalling server, a 100 ms timer and a list of the full nodes it starts;
 * closes those nodes, the timer and the server afterwards, whatever happened.
 */
async function withFullNodes(
  body: (context: { server: RunningSignalServer; timer: IntervalTimer; nodes: Node[] }) => Promise<
    void
  >,
): Promise<void> {
  const server = await serveSignal({ port: 0 });
  const timer = new IntervalTimer(100);
  const nodes: Node[] = [];
  try {
    await body({ server, timer, nodes });
  } finally {
    timer.close();
    for (const node of nodes) await node.close();
    await server.close();
  }
}

describe("what the docs promise, on real engines", { timeout: 90_000 }, () => {
  it("Network.nodes() lists the other nodes the server knows, with their info", async () => {
    const server = await serveSignal({ port: 0 });
    const [a, b] = [
      await loopbackNode(server.url, "wrtc", "a"),
      await loopbackNode(server.url, "node-datachannel", "b"),
    ];
    try {
      const seen = await a.nodes();
      assert.ok(seen.some((info) => info.pubkey === b.id && info.name === "b"), "b is listed");
      assert.ok(!seen.some((info) => info.pubkey === a.id), "not the asking node itself");
    } finally {
      await a.close();
      await b.close();
      await server.close();
    }
  });

  it("a real Node's stats show at the server's GET /nodes", async () => {
    await withFullNodes(async ({ server, timer, nodes }) => {
      for (const name of ["s1", "s2"]) {
        nodes.push(
          await loopbackFullNode(server.url, "node-datachannel", timer, name, {
            ...FAST_NODE,
            stat: { intervalTicks: 2 },
          }),
        );
      }
      const http = server.url.replace(/^ws/, "http");
      let views: { info: { name: string }; stats?: Record<string, unknown> }[] = [];
      await until("both nodes uploaded stats with a connection", async () => {
        views = await (await fetch(`${http}/nodes`)).json();
        return views.length === 2 && views.every((v) => Number(v.stats?.connections) >= 1);
      }, 20_000);
      assert.deepEqual(views.map((v) => v.info.name).sort(), ["s1", "s2"]);
      for (const view of views) {
        assert.equal(typeof view.stats!.bytesSent, "number");
        assert.ok((view.stats!.bytesSent as number) > 0, JSON.stringify(view.stats));
      }
    });
  });

  it("fails messages still queued at the broker with closed when the network closes", async () => {
    const server = await serveSignal({ port: 0 });
    const broker = await openNodeNetwork(
      await NodeConfig.create(),
      server.url,
      loopback("wrtc"),
    );
    const outs: NetworkOut[] = [];
    broker.tapOut((out) => {
      outs.push(out);
    });
    try {
      // a node that exists nowhere: the connection stays in setup, the messages wait for it
      const nowhere = (await NodeConfig.create()).id;
      const module = broker.registrar.register("m", () => {});
      const sends = [1, 2, 3].map((n) =>
        module.send(nowhere, `m${n}`).then(() => "sent", (error) => error.code)
      );
      await broker.emitIn({ type: "close" });
      await until("the network closed", () => outs.some((out) => out.type === "closed"), 10_000);
      assert.deepEqual(await Promise.all(sends), ["closed", "closed", "closed"]);
      assert.ok(!outs.some((out) => out.type === "error" && out.id), "no failure left unclaimed");
    } finally {
      await server.close();
    }
  });

  it("real nodes refuse a forged gossip event and keep the genuine one", async () => {
    await withFullNodes(async ({ server, timer, nodes }) => {
      for (const name of ["honest", "forger"]) {
        nodes.push(await loopbackFullNode(server.url, "wrtc", timer, name));
      }
      const [honest, forger] = nodes;
      await until("connected", () => honest.connectedNodes().includes(forger.id), 20_000);
      const genuine = await createEvent(forger.config, "chat", "I am the honest node", Date.now());
      const forged = { ...genuine, author: honest.id };
      const real = await createEvent(forger.config, "chat", "signed by me", Date.now());
      // straight into its network broker, as a hostile node's own code would (id 0: no one waits)
      await forger.network.broker.emitIn({
        type: "send",
        to: honest.id,
        module: "gossip",
        id: 0,
        data: JSON.stringify({ t: "events", events: [forged, real] }),
      });
      await until("the genuine event arrived", async () => {
        return (await honest.chatHistory()).some((m) => m.text === "signed by me");
      }, 10_000);
      assert.equal(honest.snapshot().gossip?.forged, 1, "the forgery counted");
      assert.ok(!(await honest.chatHistory()).some((m) => m.text === "I am the honest node"));
    });
  });

  it("random connections churn on a real network and it stays one overlay that chats", async () => {
    await withFullNodes(async ({ server, timer, nodes }) => {
      for (let i = 0; i < 8; i++) {
        nodes.push(
          await loopbackFullNode(server.url, i % 2 ? "wrtc" : "node-datachannel", timer, `c${i}`, {
            ...FAST_NODE,
            random: { ...FAST_NODE.random, churnTicks: 10 }, // each node replaces one every second
          }),
        );
      }
      const disconnects: string[] = [];
      for (const node of nodes) {
        node.onPeer((event) => {
          if (event.type === "disconnected") disconnects.push(event.reason);
        });
      }
      await until("every node has 3 neighbours", () => {
        return nodes.every((node) => node.connectedNodes().length >= 3);
      }, 30_000);
      await until("connections were churned", () => disconnects.length >= 8, 30_000);
      await nodes[0].sendChat("through the churn");
      await until("every node has the message", async () => {
        const all = await Promise.all(nodes.map((node) => node.chatHistory()));
        return all.every((history) => history.some((m) => m.text === "through the churn"));
      }, 20_000);
      assert.ok(nodes.every((node) => node.connectedNodes().length >= 1));
    });
  });

  it("with liveness off, ICE disconnected for disconnectGraceMs ends a connection", async () => {
    const server = await serveSignal({ port: 0 });
    // the peer answers in its own process; both ends without heartbeats, so only ICE can tell
    const quiet = JSON.stringify({ livenessTimeoutMs: 0 });
    const peer = await startPeer("deno", [
      ...["--mode", "echo", "--signal", server.url, "--engine", "wrtc", "--network", quiet],
    ]);
    const a = await loopbackNode(server.url, "wrtc", "a", {
      livenessTimeoutMs: 0,
      disconnectGraceMs: 1_000,
    });
    const ended = new Promise<string>((resolve) => {
      a.broker.tapOut((out) => {
        if (out.type === "disconnected" && out.id === peer.id) resolve(out.reason);
      });
    });
    try {
      await a.send(peer.id as NodeID, "echo?");
      assert.equal((await a.recv()).data, "echo?");
      peer.child.kill("SIGSTOP");
      const started = Date.now();
      assert.match(await ended, /^no contact with the peer for 1000 ms$/);
      // ICE said disconnected first (some seconds), then the grace passed
      assert.ok(Date.now() - started >= 1_000, "not before the grace");
    } finally {
      peer.child.kill("SIGKILL");
      await a.close();
      await server.close();
    }
  });

  it("a peer that hangs (SIGSTOP, not killed) is dropped and replaced by its neighbours", async () => {
    await withFullNodes(async ({ server, timer, nodes }) => {
      const peer = await startPeer("deno", [
        ...["--mode", "node", "--signal", server.url, "--engine", "wrtc", "--name", "hung"],
      ]);
      const hung = { id: peer.id as NodeID, child: peer.child };
      try {
        for (let i = 0; i < 5; i++) {
          nodes.push(await loopbackFullNode(server.url, "wrtc", timer, `live${i}`));
        }
        await until("the hung-to-be node is someone's neighbour", () => {
          return nodes.some((node) => node.connectedNodes().includes(hung.id));
        }, 30_000);
        const reasons: string[] = [];
        for (const node of nodes) {
          node.onPeer((event) => {
            if (event.type === "disconnected" && event.id === hung.id) reasons.push(event.reason);
          });
        }
        hung.child.kill("SIGSTOP");
        await until("nobody keeps the hung node", () => {
          return nodes.every((node) => !node.connectedNodes().includes(hung.id));
        }, 20_000);
        // a connection this node closes first lets queued data leave (up to 2 s): then the event
        await until("its neighbours heard it leave", () => reasons.length > 0, 10_000);
        await until("the live nodes refilled (3 each, or all the others)", () => {
          return nodes.every((node) => node.connectedNodes().length >= 3);
        }, 30_000);
      } finally {
        hung.child.kill("SIGKILL");
      }
    });
  });
});

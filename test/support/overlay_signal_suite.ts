/**
 * Connection setup through the overlay with real nodes: once A and C share a neighbour B, A's
 * setup messages for C go through B, not the signalling server; with the server gone for good,
 * A and C still connect; the server carries what the overlay cannot, also when the neighbour
 * carrying a setup hangs. One engine per test file
 * (test/webrtc/overlay_signal_*_test.ts): a process that loaded both engines and closed a server
 * under its nodes crashed at exit now and then (1 run in 6).
 * @module
 */

import { describe, it } from "./timed.ts";
import assert from "node:assert/strict";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { loopbackNode } from "../../harness/network.ts";
import type { WebRTCEngine } from "../../node.ts";
import type { Network } from "../../net/api.ts";
import { startPeer } from "../../harness/peer_process.ts";

async function setupVia(net: Network, peer: string): Promise<string | undefined> {
  const found = (await net.connections()).find((c) => c.id === peer);
  return found?.status.setupVia;
}

/** The suite, on `engine`. */
export function overlaySignalSuite(engine: WebRTCEngine): void {
  describe(`connection setup through the overlay (${engine})`, { timeout: 60_000 }, () => {
    it(`goes through a shared neighbour, also with the server gone (${engine})`, async () => {
      const server = await serveSignal({ port: 0 });
      const [a, b, c, d] = [
        await loopbackNode(server.url, engine, "a"),
        await loopbackNode(server.url, engine, "b"),
        await loopbackNode(server.url, engine, "c"),
        await loopbackNode(server.url, engine, "d"),
      ];
      try {
        // A-B and B-C through the server: nobody had neighbours yet
        await a.send(b.id, "a to b");
        await b.send(c.id, "b to c");
        assert.equal(await setupVia(a, b.id), "server");
        assert.equal(await setupVia(c, b.id), "server");
        await b.recv();
        await c.recv();

        // A reaches C through B: the server relays none of it
        // B tells its neighbours about C within NEAR_DEBOUNCE_MS (200 ms) of connecting
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const relayedBefore = server.server.stats().messagesRelayed;
        await a.send(c.id, "a to c, through b");
        const got = await c.recv();
        assert.deepEqual([got.from, got.data], [a.id, "a to c, through b"]);
        assert.equal(await setupVia(a, c.id), "overlay");
        assert.equal(await setupVia(c, a.id), "overlay");
        assert.equal(server.server.stats().messagesRelayed, relayedBefore);

        // D shares no neighbour with A: the server carries that setup
        await a.send(d.id, "a to d");
        assert.equal((await d.recv()).data, "a to d");
        assert.equal(await setupVia(a, d.id), "server");

        // the server gone for good: C reaches D through A, once A told C about D
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await server.close();
        await c.send(d.id, "c to d, no server");
        const late = await d.recv();
        assert.deepEqual([late.from, late.data], [c.id, "c to d, no server"]);
        assert.equal(await setupVia(c, d.id), "overlay");
      } finally {
        for (const net of [a, b, c, d]) await net.close();
        await server.close();
      }
    });

    it(`blames a neighbour that drops the setups it carries, once (${engine})`, async () => {
      const server = await serveSignal({ port: 0 });
      // B, the only neighbour A shares with C and with D, alive but passing on no setup
      const args = ["--mode", "echo", "--drop-relays", "--signal", server.url, "--engine", engine];
      const b = await startPeer("deno", args);
      const told: string[] = [];
      void (async () => {
        for (;;) told.push(String((await b.next()).event));
      })().catch(() => {}); // until it exits
      const dropped = () => told.filter((event) => event === "dropped-relay").length;
      const [a, c, d] = [
        await loopbackNode(server.url, engine, "a"),
        await loopbackNode(server.url, engine, "c"),
        await loopbackNode(server.url, engine, "d"),
      ];
      try {
        for (const net of [a, c, d]) await net.send(b.id, "hello b");
        await Promise.all([a.recv(), c.recv(), d.recv()]); // the echoes
        await new Promise((resolve) => setTimeout(resolve, 1_000)); // B's lists went out
        // A's offer to C goes to B, which drops it: A makes it again through the server
        await a.send(c.id, "a to c, despite b");
        assert.equal((await c.recv()).data, "a to c, despite b");
        assert.ok(dropped() >= 1, "B dropped A's setup for C");
        assert.equal(await setupVia(a, c.id), "server");
        // B is blamed: A's setup for D goes to the server at once, none of it to B
        const before = dropped();
        await a.send(d.id, "a to d");
        assert.equal((await d.recv()).data, "a to d");
        assert.equal(await setupVia(a, d.id), "server");
        assert.equal(dropped(), before, "nothing more went to B");
      } finally {
        b.child.kill("SIGKILL");
        for (const net of [a, c, d]) await net.close();
        await server.close();
      }
    });

    it(`falls back to the server when the neighbour carrying a setup hangs (${engine})`, async () => {
      const server = await serveSignal({ port: 0 });
      // B, the shared neighbour, in a process of its own that the test stops (SIGSTOP): it
      // takes A's setup message for C into its socket buffer and never passes it on
      const args = ["--mode", "echo", "--signal", server.url, "--engine", engine];
      const b = await startPeer("deno", args);
      const quick = { setupTimeoutMs: 6_000 };
      const [a, c] = [
        await loopbackNode(server.url, engine, "a", quick),
        await loopbackNode(server.url, engine, "c", quick),
      ];
      try {
        await a.send(b.id, "a to b");
        await c.send(b.id, "c to b");
        await Promise.all([a.recv(), c.recv()]); // the echoes
        await new Promise((resolve) => setTimeout(resolve, 1_000)); // B's lists went out
        b.child.kill("SIGSTOP");
        const relayedBefore = server.server.stats().messagesRelayed;
        await a.send(c.id, "a to c, despite b");
        const got = await c.recv();
        assert.deepEqual([got.from, got.data], [a.id, "a to c, despite b"]);
        assert.equal(await setupVia(a, c.id), "server", "the retry went through the server");
        assert.ok(server.server.stats().messagesRelayed > relayedBefore);
      } finally {
        b.child.kill("SIGKILL");
        for (const net of [a, c]) await net.close();
        await server.close();
      }
    });
  });
}

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { type RunningSignalServer, serveSignal } from "../../adapters/deno/serve_signal.ts";
import { ENGINES, loopbackNode, withPair } from "../../harness/network.ts";
import type { WebRTCEngine as Engine } from "../../adapters/node/webrtc.ts";
import { NetworkError } from "../../net/api.ts";
import { startTurn, type TurnServer } from "../support/turn.ts";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "../../harness/signal_process.ts";

describe("through a loopback coturn relay", { timeout: 60_000 }, () => {
  let server: RunningSignalServer;
  let turn: TurnServer;
  before(async () => {
    server = await serveSignal({ port: 0 });
    turn = await startTurn();
  });
  after(async () => {
    await server.close();
    await turn.stop();
  });

  for (const engine of ENGINES) {
    it(`connects with iceTransportPolicy relay and says relay at both ends (${engine})`, async () => {
      const relayed = { iceServers: [turn.iceServer], iceTransportPolicy: "relay" as const };
      await withPair(server.url, engine, async (a, b) => {
        await a.send(b.id, "via the relay");
        assert.equal((await b.recv()).data, "via the relay");
        await b.send(a.id, new Uint8Array(100_000));
        assert.equal(((await a.recv()).data as Uint8Array).length, 100_000);
        for (const net of [a, b]) {
          const [{ status }] = await net.connections();
          assert.equal(status.state, "open");
          assert.equal(status.localCandidateType, "relay");
          assert.equal(status.remoteCandidateType, "relay");
          assert.equal(status.relayProtocol ?? "udp", "udp");
        }
      }, relayed);
    });
  }
});

describe("a coturn run with the compose file's relay restrictions", { timeout: 60_000 }, () => {
  let server: RunningSignalServer;
  let turn: TurnServer;
  before(async () => {
    server = await serveSignal({ port: 0 });
    // every restriction of deploy/docker-compose.yml's coturn: denied ranges, no TCP relay
    const compose = await readFile(join(repoRoot(), "deploy", "docker-compose.yml"), "utf8");
    const restrictions = [...compose.matchAll(/^\s+- (--(?:denied-peer-ip|no-tcp-relay)\S*)/gm)]
      .map((m) => m[1]);
    assert.ok(restrictions.some((r) => r.startsWith("--denied-peer-ip=127.")), "loopback denied");
    turn = await startTurn({ extra: restrictions });
  });
  after(async () => {
    await server.close();
    await turn.stop();
  });

  it("relays to no denied range: relay-only nodes on loopback do not connect (they do without)", async () => {
    const relayed = {
      iceServers: [turn.iceServer],
      iceTransportPolicy: "relay" as const,
      setupTimeoutMs: 4_000,
    };
    await withPair(server.url, "node-datachannel", async (a, b) => {
      await assert.rejects(
        a.send(b.id, "through a denied range"),
        (error: Error) =>
          error instanceof NetworkError && /ICE found no working path/.test(error.message),
      );
    }, relayed);
  });
});

describe("short-lived TURN credentials from the signalling server", { timeout: 60_000 }, () => {
  const secret = "flnet-test-secret";
  let turn: TurnServer;
  before(async () => turn = await startTurn({ authSecret: secret }));
  after(async () => await turn.stop());

  /** Two relay-only nodes with no TURN credentials of their own, on a server granting them. */
  async function relayPair(grantSecret: string, engine: Engine = "node-datachannel") {
    const urls = [String(turn.iceServer.urls)];
    const server = await serveSignal({ port: 0, turn: { secret: grantSecret, urls } });
    const relayOnly = { iceTransportPolicy: "relay" as const, setupTimeoutMs: 4_000 };
    const a = await loopbackNode(server.url, engine, "a", relayOnly);
    const b = await loopbackNode(server.url, engine, "b", relayOnly);
    return {
      a,
      b,
      async close() {
        await a.close();
        await b.close();
        await server.close();
      },
    };
  }

  for (const engine of ENGINES) {
    it(`connects relay-only nodes with the credentials of the welcome (${engine})`, async () => {
      const { a, b, close } = await relayPair(secret, engine);
      try {
        await a.send(b.id, "relayed with a day's credentials");
        assert.equal((await b.recv()).data, "relayed with a day's credentials");
        for (const net of [a, b]) {
          const [{ status }] = await net.connections();
          assert.equal(status.localCandidateType, "relay");
        }
      } finally {
        await close();
      }
    });
  }

  it("does not connect when the server signs with another secret", async () => {
    const { a, b, close } = await relayPair("not-the-turn-secret");
    try {
      await assert.rejects(
        a.send(b.id, "no relay for you"),
        (error: NetworkError) => error instanceof NetworkError,
      );
    } finally {
      await close();
    }
  });
});

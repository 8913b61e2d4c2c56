import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { type RunningSignalServer, serveSignal } from "../../signal/serve.ts";
import { ENGINES, withPair } from "../../harness/network.ts";
import { startTurn, type TurnServer } from "../support/turn.ts";

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

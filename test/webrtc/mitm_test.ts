/**
 * A signalling server in the middle: a proxy in front of the real server hijacks every
 * connection setup, answering each node itself with its own DTLS certificate and bridging the
 * two data channels (test/support/mitm_signal.ts). With the victims' keys it reads everything
 * (the attack works); without them no message passes and both victims report the forgery.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { NetworkError } from "../../net/api.ts";
import { type RunningSignalServer, serveSignal } from "../../adapters/deno/serve_signal.ts";
import { MitmSignal, victimNode } from "../support/mitm_signal.ts";
import { ENGINES, until, within } from "../../harness/network.ts";
import type { Network } from "../../node.ts";

/** True when `bytes` hold the UTF-8 of `text`. */
function contains(bytes: string | Uint8Array, text: string): boolean {
  const haystack = typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes);
  return haystack.includes(text);
}

for (const engine of ENGINES) {
  describe(`a signalling server in the middle (${engine})`, { timeout: 60_000 }, () => {
    let server: RunningSignalServer;
    before(async () => server = await serveSignal({ port: 0 }));
    after(() => server.close());

    it("reads every message when it holds both nodes' keys (the attack works)", async () => {
      const [ca, cb] = [await NodeConfig.create(), await NodeConfig.create()];
      const mitm = await MitmSignal.start({ upstream: server.url, stolen: [ca, cb] });
      const nets: Network[] = [];
      try {
        const a = await victimNode(mitm.url, engine, ca);
        const b = await victimNode(mitm.url, engine, cb);
        nets.push(a.net, b.net);
        // bounded, and saying where it stopped (it hung once in CI, under load, not since)
        const where = () =>
          `attacker: bridged ${mitm.bridged}, carried ${mitm.captured.length}, failures ` +
          `${JSON.stringify(mitm.failures)}; a's errors ${JSON.stringify(a.errors)}, b's ` +
          JSON.stringify(b.errors);
        await within(
          a.net.send(b.net.id, "secret plans"),
          20_000,
          () => `send: ${where()}`,
        );
        assert.deepEqual(await within(b.net.recv(), 10_000, () => `receive: ${where()}`), {
          from: a.net.id,
          module: "",
          data: "secret plans",
        });
        assert.equal(mitm.bridged, 1, `both victims connected to the attacker ${mitm.failures}`);
        assert.ok(
          mitm.captured.some((c) => c.from === a.net.id && contains(c.data, "secret plans")),
          "the attacker read the message",
        );
      } finally {
        for (const net of nets) await net.close();
        await mitm.close();
      }
    });

    it("without the keys, no message passes and both ends report the forgery", async () => {
      const mitm = await MitmSignal.start({ upstream: server.url });
      const nets: Network[] = [];
      try {
        const a = await victimNode(mitm.url, engine, await NodeConfig.create());
        const b = await victimNode(mitm.url, engine, await NodeConfig.create());
        nets.push(a.net, b.net);
        const failure = await a.net.send(b.net.id, "secret plans", "chat").then(
          () => undefined,
          (error) => error,
        );
        assert.ok(failure instanceof NetworkError, `the send failed (got ${failure})`);
        assert.equal(failure.code, "peer-auth-failed", failure.message);
        assert.match(failure.message, /signature/);
        await until("b reported the forged offer", () => b.errors.length > 0, 10_000);
        for (const { errors, net } of [a, b]) {
          const other = net === a.net ? b.net.id : a.net.id;
          assert.ok(
            errors.some((e) => e.code === "peer-auth-failed" && e.to === other),
            `${net === a.net ? "a" : "b"} reported the forgery: ${JSON.stringify(errors)}`,
          );
        }
        assert.equal(mitm.bridged, 0, "no victim connected to the attacker");
        assert.deepEqual(mitm.captured, [], "the attacker read nothing");
        assert.deepEqual([...a.heard, ...b.heard], [], "no connection, nothing received");
      } finally {
        for (const net of nets) await net.close();
        await mitm.close();
      }
    });
  });
}

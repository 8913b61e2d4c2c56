/**
 * The receive bound on real engines: a reader that stops while its peer sends keeps only
 * `receiveBuffer` messages; the messages beyond are refused, the reader's application and the
 * sender both hear why, and what was kept reads back whole and in order.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NetworkError } from "../../net/api.ts";
import { type RunningSignalServer, serveSignal } from "../../adapters/deno/serve_signal.ts";
import { ENGINES, until, withPair } from "../../harness/network.ts";

for (const engine of ENGINES) {
  describe(`a reader that stops (${engine})`, { timeout: 60_000 }, () => {
    let server: RunningSignalServer;
    before(async () => server = await serveSignal({ port: 0 }));
    after(() => server.close());

    it("keeps 50 messages, refuses the rest, and both ends hear why", async () => {
      await withPair(server.url, engine, async (a, b) => {
        const errors = { a: [] as NetworkError[], b: [] as NetworkError[] };
        a.onError((e) => errors.a.push(e));
        b.onError((e) => errors.b.push(e));
        const payload = "x".repeat(1000);
        for (let i = 0; i < 200; i++) await a.send(b.id, `${i} ${payload}`);
        await until("b refused the 150 beyond its 50", () => errors.b.length === 150, 20_000);
        assert.ok(errors.b.every((e) => e.code === "receive-buffer-full" && e.to === a.id));
        await until("a heard of the refusals", () => errors.a.length > 0, 10_000);
        assert.ok(errors.a.every((e) => e.code === "receive-buffer-full" && e.to === b.id));
        assert.match(errors.a[0].message, /refused message \d+ it received: .* unread/);
        const read: string[] = [];
        for (let i = 0; i < 50; i++) read.push((await b.recv()).data as string);
        assert.deepEqual(read.map((m) => Number(m.split(" ")[0])), [...Array(50).keys()]);
        assert.ok(read.every((m) => m.endsWith(payload)), "whole");
        await a.send(b.id, "room again");
        assert.equal((await b.recv()).data, "room again");
      }, { receiveBuffer: { messages: 50 } });
    });
  });
}

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { SMALL_ORDER_POINTS } from "../../core/ed25519.ts";
import { NodeConfig } from "../../core/config.ts";
import { U256 } from "../../core/ids.ts";
import { type ServerMessage, SIGNAL_ERRORS } from "../../net/signal_protocol.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { startSignalProcess } from "../../harness/signal_process.ts";
import { RawClient } from "../../harness/raw_client.ts";

function expectError(message: ServerMessage, code: string): void {
  assert.equal(message.type, "error", `expected error ${code}, got ${JSON.stringify(message)}`);
  if (message.type !== "error") return;
  assert.equal(message.code, code, message.message);
  assert.equal(message.fatal, SIGNAL_ERRORS[message.code].fatal);
  assert.ok(message.message.length > 10, "the error has a human text");
}

async function expectClosed(client: RawClient, code: string): Promise<void> {
  const closed = await client.closed;
  assert.equal(closed.code, SIGNAL_ERRORS[code as keyof typeof SIGNAL_ERRORS].closeCode);
  assert.equal(closed.reason, code);
}

/** A server to test: its URL, and how to stop it. */
interface Served {
  url: string;
  close(): Promise<unknown>;
}

/** The same server (list length 3, frames of 4 KiB) on Deno in this process, or on Node. */
const RUNTIMES: Record<string, () => Promise<Served>> = {
  deno: () => serveSignal({ port: 0, maxListLength: 3, maxFrameBytes: 4096 }),
  node: async () => {
    const process = await startSignalProcess(
      ["--max-list-len", "3", "--max-frame", "4096"],
      [],
      "node",
    );
    return { url: process.url, close: () => process.stop() };
  },
};

for (const [runtime, start] of Object.entries(RUNTIMES)) {
  describe(`signalling protocol on ${runtime}, end to end over a real WebSocket`, () => {
    let running: Served;
    const clients: RawClient[] = [];
    const open = async (config?: NodeConfig) => {
      const client = config
        ? await RawClient.announced(running.url, config)
        : await RawClient.open(running.url);
      clients.push(client);
      return client;
    };

    before(async () => {
      running = await start();
    });
    after(async () => {
      for (const client of clients) client.socket.close();
      await running.close();
    });

    it("opens with a challenge that names the protocol version", async () => {
      const client = await open();
      assert.ok(U256.is(client.challenge));
      const other = await open();
      assert.notEqual(other.challenge, client.challenge, "every connection gets a fresh one");
    });

    it("welcomes a node that signed the challenge, with the server's limits", async () => {
      const config = await NodeConfig.create({ name: "welcomed" });
      const client = await open();
      const welcome = await client.ask({ ...(await client.announceFor(config)), rid: 7 });
      assert.equal(welcome.type, "welcome");
      if (welcome.type !== "welcome") return;
      assert.equal(welcome.id, config.id);
      assert.equal(welcome.rid, 7);
      assert.equal(welcome.config.maxListLength, 3);
      assert.equal(welcome.config.maxFrameBytes, 4096);
      assert.ok(welcome.config.keepAliveMs < welcome.config.ttlMs);
    });

    it("lists at most max-list-len other nodes, never the requester", async () => {
      const configs = await Promise.all([1, 2, 3, 4, 5].map(() => NodeConfig.create()));
      const nodes = await Promise.all(configs.map((config) => open(config)));
      const seen = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const reply = await nodes[0].ask({ type: "list", rid: i });
        assert.equal(reply.type, "list");
        if (reply.type !== "list") return;
        assert.equal(reply.rid, i);
        assert.equal(reply.nodes.length, 3);
        assert.ok(reply.nodes.every((n) => n.pubkey !== configs[0].id));
        reply.nodes.forEach((n) => seen.add(n.pubkey));
      }
      assert.ok(seen.size > 3, "the subset is random: more than 3 distinct nodes over 10 lists");
    });

    it("relays setup messages and stamps the proven sender, whatever the sender claims", async () => {
      const [alice, bob, mallory] = await Promise.all([1, 2, 3].map(() => NodeConfig.create()));
      const a = await open(alice);
      const b = await open(bob);
      await open(mallory);
      a.send({ type: "relay", to: bob.id, signal: { kind: "offer", sdp: "v=0" } });
      const relayed = await b.next();
      assert.deepEqual(relayed, {
        type: "relay",
        from: alice.id,
        signal: { kind: "offer", sdp: "v=0" },
      });
      a.send({ type: "relay", to: bob.id, from: mallory.id, signal: { kind: "answer" } });
      const spoofed = await b.next();
      assert.equal(
        spoofed.type === "relay" && spoofed.from,
        alice.id,
        "the claimed from is ignored",
      );
    });

    it("tells the sender when the relay target is not connected, and stays open", async () => {
      const client = await open(await NodeConfig.create());
      const absent = U256.random();
      const reply = await client.ask({ type: "relay", to: absent, signal: {}, rid: 3 });
      expectError(reply, "unknown-node");
      assert.equal(reply.type === "error" && reply.to, absent);
      assert.equal(reply.type === "error" && reply.rid, 3);
      assert.equal((await client.ask({ type: "ping" })).type, "pong");
    });

    it("replaces the first connection of a node id that announces twice", async () => {
      const config = await NodeConfig.create();
      const first = await open(config);
      const second = await open(config);
      expectError(await first.next(), "replaced");
      await expectClosed(first, "replaced");
      const other = await open(await NodeConfig.create());
      other.send({ type: "relay", to: config.id, signal: { n: 1 } });
      assert.equal((await second.next()).type, "relay", "relays go to the new connection");
    });

    it("accepts node stats and shows them at /nodes", async () => {
      const config = await NodeConfig.create({ name: "stats-node" });
      const client = await open(config);
      client.send({ type: "stats", stats: { connected: 3, engine: "wrtc", relay: false } });
      assert.equal((await client.ask({ type: "ping" })).type, "pong");
      const http = running.url.replace("ws:", "http:");
      const nodes = await (await fetch(`${http}/nodes`)).json();
      const mine = nodes.find((n: { info: { pubkey: string } }) => n.info.pubkey === config.id);
      assert.deepEqual(mine.stats, { connected: 3, engine: "wrtc", relay: false });
      expectError(await client.ask({ type: "stats", stats: { x: { nested: 1 } } }), "bad-field");
    });

    describe("bad input gets an error code", () => {
      it("non-JSON: bad-json, closed", async () => {
        const client = await open();
        expectError(await client.ask("{not json"), "bad-json");
        await expectClosed(client, "bad-json");
      });

      it("a JSON value that is not an object: bad-json, closed", async () => {
        const client = await open();
        expectError(await client.ask("[1,2]"), "bad-json");
        await expectClosed(client, "bad-json");
      });

      it("binary frames: binary-frame, closed", async () => {
        const client = await open();
        expectError(await client.ask(new Uint8Array([1, 2, 3])), "binary-frame");
        await expectClosed(client, "binary-frame");
      });

      it("frames over the size limit: frame-too-large, closed", async () => {
        const client = await open();
        expectError(await client.ask({ type: "ping", pad: "x".repeat(5000) }), "frame-too-large");
        await expectClosed(client, "frame-too-large");
      });

      it("multi-byte text is measured in UTF-8 bytes", async () => {
        const client = await open();
        expectError(await client.ask({ type: "ping", pad: "€".repeat(1500) }), "frame-too-large");
      });

      it("anything but announce (or ping) before announcing: not-announced, closed", async () => {
        for (
          const frame of [{ type: "list" }, { type: "relay", to: U256.zero, signal: {} }, {
            type: "x",
          }]
        ) {
          const client = await open();
          assert.equal((await client.ask({ type: "ping" })).type, "pong");
          expectError(await client.ask(frame), "not-announced");
          await expectClosed(client, "not-announced");
        }
      });

      it("unknown types after announcing: unknown-type, connection kept", async () => {
        const client = await open(await NodeConfig.create());
        expectError(await client.ask({ type: "teleport" }), "unknown-type");
        assert.equal((await client.ask({ type: "ping" })).type, "pong");
      });

      it("wrong field types: bad-field naming the field, connection kept", async () => {
        const client = await open(await NodeConfig.create());
        const cases: [unknown, RegExp][] = [
          [{ type: "relay", to: "nobody", signal: {} }, /relay\.to must be a node id/],
          [{ type: "relay", to: U256.zero, signal: "sdp" }, /relay\.signal must be an object/],
          [{ type: "list", rid: -1 }, /rid must be a non-negative integer/],
          [{ type: "stats", stats: [] }, /stats\.stats must be an object/],
        ];
        for (const [frame, text] of cases) {
          const reply = await client.ask(frame);
          expectError(reply, "bad-field");
          assert.match(reply.type === "error" ? reply.message : "", text);
        }
        expectError(await client.ask({ type: "announce" }), "bad-field");
        expectError(
          await client.ask(await client.announceFor(await NodeConfig.create())),
          "already-announced",
        );
      });

      it("a signature by another key: bad-signature, closed", async () => {
        const client = await open();
        const claimed = await NodeConfig.create();
        const signer = await NodeConfig.create();
        const forged = { ...(await client.announceFor(signer)), info: claimed.info };
        expectError(await client.ask(forged), "bad-signature");
        await expectClosed(client, "bad-signature");
      });

      it("a small-order key with a 'signature' any message passes in WebCrypto: refused", async () => {
        for (const pubkey of SMALL_ORDER_POINTS) {
          const client = await open();
          const forged = {
            ...(await client.announceFor(await NodeConfig.create())),
            info: { name: "eve", client: "forger", pubkey, modules: [] },
            signature: "01" + "00".repeat(63), // R = identity, S = 0
          };
          const reply = await client.ask(forged);
          assert.equal(reply.type, "error", pubkey);
          assert.match(reply.type === "error" ? reply.message : "", /small-order point/);
          await client.close();
        }
      });

      it("a signature replayed from another connection: bad-signature, closed", async () => {
        const config = await NodeConfig.create();
        const first = await open();
        const replayed = await first.announceFor(config);
        const second = await open();
        expectError(await second.ask(replayed), "bad-signature");
      });

      it("another protocol version: version-mismatch, closed", async () => {
        const client = await open();
        const announce = await client.announceFor(await NodeConfig.create());
        const reply = await client.ask({ ...announce, version: 99 });
        expectError(reply, "version-mismatch");
        assert.match(
          reply.type === "error" ? reply.message : "",
          /speaks signalling protocol version 1/,
        );
        await expectClosed(client, "version-mismatch");
      });
    });
  });
}

describe("signalling limits over time", () => {
  it("closes connections that do not announce in time, and silent ones after the TTL", async () => {
    const running = await serveSignal({ port: 0, announceTimeoutMs: 200, ttlMs: 400 });
    try {
      const lazy = await RawClient.open(running.url);
      expectError(await lazy.next(), "announce-timeout");
      await expectClosed(lazy, "announce-timeout");
      const quiet = await RawClient.announced(running.url, await NodeConfig.create());
      expectError(await quiet.next(), "ttl-expired");
      await expectClosed(quiet, "ttl-expired");
      assert.equal(running.server.stats().nodesOnline, 0);
    } finally {
      await running.close();
    }
  });

  it("closes a connection that floods past the rate limit", async () => {
    const running = await serveSignal({ port: 0, ratePerSecond: 20, rateBurst: 40 });
    try {
      const flood = await RawClient.announced(running.url, await NodeConfig.create());
      for (let i = 0; i < 100; i++) flood.send({ type: "ping" });
      let message: ServerMessage;
      let pongs = 0;
      while ((message = await flood.next()).type === "pong") pongs++;
      expectError(message, "rate-limited");
      assert.ok(pongs >= 38 && pongs < 45, `answered ${pongs} pings before the limit`);
      await expectClosed(flood, "rate-limited");
      assert.equal(running.server.stats().connections, 0);
    } finally {
      await running.close();
    }
  });

  it("refuses connections over the maximum, and tells nodes when it shuts down", async () => {
    const running = await serveSignal({ port: 0, maxConnections: 1 });
    const first = await RawClient.announced(running.url, await NodeConfig.create());
    const second = new WebSocket(running.url);
    const refused = await new Promise<ServerMessage>((resolve) => {
      second.onmessage = (event) => resolve(JSON.parse(event.data));
    });
    expectError(refused, "too-many-connections");
    await running.close();
    expectError(await first.next(), "shutting-down");
    await expectClosed(first, "shutting-down");
  });
});

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { parseServerMessage } from "../../net/signal_protocol.ts";
import { parseSignalArgs } from "../../signal/args.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { turnCredentials } from "../../signal/turn_credentials.ts";
import { RawClient } from "../../harness/raw_client.ts";
import { startSignalProcess } from "../../harness/signal_process.ts";

describe("short-lived TURN credentials", () => {
  it("follow the TURN REST scheme (known answer, computed apart with Python's hmac)", async () => {
    const grant = await turnCredentials(
      { secret: "s3cret", urls: ["turn:127.0.0.1:3478"], ttlSeconds: 3600 },
      "node-1",
      0,
    );
    assert.deepEqual(grant, {
      urls: ["turn:127.0.0.1:3478"],
      username: "3600:node-1",
      credential: "tWIybulNaeESpJelU5dUohLZxcU=",
    });
  });

  it("come in the welcome, and again in an ice message before they expire", async () => {
    const running = await serveSignal({
      port: 0,
      turn: { secret: "s3cret", urls: ["turn:127.0.0.1:3478"], ttlSeconds: 1 },
    });
    try {
      const config = await NodeConfig.create();
      const client = await RawClient.open(running.url);
      const started = Math.floor(Date.now() / 1000);
      const welcome = await client.ask(await client.announceFor(config));
      assert.equal(welcome.type, "welcome");
      const [first] = (welcome as { iceServers: RTCIceServer[] }).iceServers;
      const [expiry, user] = first.username!.split(":");
      assert.equal(user, config.id);
      assert.ok(Number(expiry) - started >= 0 && Number(expiry) - started <= 2, expiry);
      assert.deepEqual(
        first,
        await turnCredentials(
          { secret: "s3cret", urls: ["turn:127.0.0.1:3478"], ttlSeconds: 0 },
          config.id,
          Number(expiry) * 1000,
        ),
      );
      const refresh = await client.next(3_000);
      assert.equal(refresh.type, "ice");
      const [again] = (refresh as { iceServers: RTCIceServer[] }).iceServers;
      assert.ok(Number(again.username!.split(":")[0]) >= Number(expiry));
      await client.close();
    } finally {
      await running.close();
    }
  });

  it("are checked by the client, and configured from the command line", () => {
    const welcome = (iceServers: unknown) =>
      JSON.stringify({
        type: "welcome",
        id: "a".repeat(64),
        config: {},
        iceServers,
      });
    assert.equal(
      parseServerMessage(welcome([{ urls: "turn:h:3478", username: "1:a", credential: "x" }]))
        .type,
      "welcome",
    );
    for (
      const bad of [
        [{ urls: "http://evil" }],
        [{ urls: [] }],
        "turn:h",
        Array(9).fill({ urls: "stun:h" }),
      ]
    ) {
      assert.throws(() => parseServerMessage(welcome(bad)), /iceServers must be/);
    }
    assert.throws(
      () => parseServerMessage(JSON.stringify({ type: "ice" })),
      /iceServers must be/,
    );
    const options = parseSignalArgs([
      ...["--turn", "turn:10.0.0.1:3478,turns:t.example.org:5349"],
      ...["--turn-secret-file", "/run/secrets/turn", "--turn-ttl", "600"],
    ]);
    assert.deepEqual(options.turn, {
      secret: "",
      urls: ["turn:10.0.0.1:3478", "turns:t.example.org:5349"],
      ttlSeconds: 600,
    });
    assert.equal(options.turnSecretFile, "/run/secrets/turn");
    assert.throws(() => parseSignalArgs(["--turn", "turn:h:1"]), /go together/);
    assert.throws(() => parseSignalArgs(["--turn", "h:1", "--turn-secret-file", "f"]), /turn:turn/);
  });

  for (const runtime of ["deno", "node"] as const) {
    it(`are signed with the secret of --turn-secret-file (${runtime})`, async () => {
      const file = await Deno.makeTempFile();
      await Deno.writeTextFile(file, "from-a-file\n");
      const server = await startSignalProcess(
        ["--turn", "turn:127.0.0.1:3478", "--turn-secret-file", file],
        [],
        runtime,
      );
      try {
        const config = await NodeConfig.create();
        const client = await RawClient.open(server.url);
        const welcome = await client.ask(await client.announceFor(config));
        const [grant] = (welcome as { iceServers: RTCIceServer[] }).iceServers;
        const expiry = Number(grant.username!.split(":")[0]);
        assert.deepEqual(
          grant,
          await turnCredentials(
            { secret: "from-a-file", urls: ["turn:127.0.0.1:3478"], ttlSeconds: 0 },
            config.id,
            expiry * 1000,
          ),
        );
        await client.close();
      } finally {
        await server.stop();
        await Deno.remove(file);
      }
    });
  }
});

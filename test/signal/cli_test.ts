import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import { parseSignalArgs } from "../../signal/args.ts";
import { RawClient } from "../../harness/raw_client.ts";

const MAIN = new URL("../../signal/main.ts", import.meta.url).pathname;

function run(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

describe("signal/main.ts command line", () => {
  it("parses every option", () => {
    assert.deepEqual(
      parseSignalArgs([
        "--port",
        "9000",
        "--host",
        "0.0.0.0",
        "--max-list-len",
        "7",
        "--ttl",
        "30",
        "--max-frame",
        "1024",
        "--rate",
        "5",
        "--burst",
        "9",
        "--max-conns",
        "3",
        "--static",
        "dist",
        "--nats",
        "nats://127.0.0.1:4222, nats://10.0.0.2:4222",
        "--cluster",
        "east",
        "--drain",
        "0",
        "-vv",
        "-v",
      ]),
      {
        port: 9000,
        host: "0.0.0.0",
        maxListLength: 7,
        ttlMs: 30_000,
        maxFrameBytes: 1024,
        ratePerSecond: 5,
        rateBurst: 9,
        maxConnections: 3,
        staticDir: "dist",
        nats: ["nats://127.0.0.1:4222", "nats://10.0.0.2:4222"],
        cluster: "east",
        drainMs: 0,
        verbosity: 3,
        help: false,
      },
    );
    assert.throws(() => parseSignalArgs(["--port", "x"]), /--port needs a whole number, got "x"/);
    assert.throws(() => parseSignalArgs(["--ttl"]), /--ttl needs a value/);
    assert.throws(() => parseSignalArgs(["--colour"]), /unknown option "--colour"/);
    assert.throws(() => parseSignalArgs(["--nats", "localhost"]), /nats:\/\/127\.0\.0\.1:4222/);
    assert.equal(parseSignalArgs([]).drainMs, 2_000);
  });

  it("takes NATS credentials and TLS as files, one kind of credential at a time", () => {
    const nats = ["--nats", "tls://nats.example.org:4222"];
    assert.deepEqual(
      parseSignalArgs([
        ...nats,
        ...["--nats-user", "flnet", "--nats-password-file", "p", "--nats-ca-file", "ca"],
        ...["--nats-cert-file", "c", "--nats-key-file", "k"],
      ]).natsAuth,
      { user: "flnet", passwordFile: "p", caFile: "ca", certFile: "c", keyFile: "k" },
    );
    for (const flag of ["--nats-token-file", "--nats-nkey-file", "--nats-creds-file"]) {
      const field = { "--nats-token-file": "tokenFile", "--nats-nkey-file": "nkeySeedFile" }[
        flag as "--nats-token-file"
      ] ?? "credsFile";
      assert.deepEqual(parseSignalArgs([...nats, flag, "f"]).natsAuth, { [field]: "f" });
    }
    assert.throws(
      () => parseSignalArgs([...nats, "--nats-token-file", "t", "--nats-creds-file", "c"]),
      /one kind of credential/,
    );
    assert.throws(() => parseSignalArgs([...nats, "--nats-user", "u"]), /go together/);
    assert.throws(() => parseSignalArgs([...nats, "--nats-cert-file", "c"]), /go together/);
    assert.throws(() => parseSignalArgs(["--nats-token-file", "t"]), /need --nats/);
    assert.throws(
      () => parseSignalArgs(["--nats", "nats://u:hunter2@127.0.0.1:4222"]),
      (e: Error) => /must not hold credentials/.test(e.message) && !e.message.includes("hunter2"),
    );
  });

  it("prints help, and usage with the error for bad options", async () => {
    const help = await run(["--help"]).output();
    assert.equal(help.code, 0);
    assert.match(new TextDecoder().decode(help.stdout), /Usage: deno run -A signal\/main\.ts/);
    const bad = await run(["--nope"]).output();
    assert.equal(bad.code, 2);
    assert.match(
      new TextDecoder().decode(bad.stderr),
      /error: unknown option "--nope"[\s\S]*Usage/,
    );
  });

  it("serves until SIGTERM, then tells nodes and exits cleanly", async () => {
    const child = run(["--port", "0"]).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let output = "";
    while (!/listening on (ws:\S+)/.test(output)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the server exited: ${output}`);
      output += value;
    }
    const url = output.match(/listening on (ws:\S+)/)![1];
    const node = await RawClient.announced(url, await NodeConfig.create());
    child.kill("SIGTERM");
    const error = await node.next();
    assert.equal(error.type === "error" && error.code, "shutting-down");
    await node.closed;
    assert.equal((await child.status).code, 0);
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();
  });
});

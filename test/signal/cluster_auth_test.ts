/**
 * Signalling servers on a 3-member NATS cluster that asks for a user and password over TLS:
 * servers on Deno and on Node join with the right ones and relay across; with a wrong password,
 * without the CA, or with credentials in the address, they refuse to start, saying why and
 * printing no secret.
 * @module
 */

import { after, before, describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { NodeConfig } from "../../core/config.ts";
import { bundleForNode } from "../../harness/node_bundle.ts";
import { RawClient } from "../../harness/raw_client.ts";
import { startClusteredServers } from "../../harness/signal_cluster.ts";
import { repoRoot, type SignalProcess } from "../../harness/signal_process.ts";
import {
  makeTestCertificates,
  type NatsCluster,
  startNatsCluster,
} from "../../harness/nats_cluster.ts";

const PASSWORD = "correct-horse-battery-staple-4711";

/** Runs the server on `runtime` with `args` until it exits; its exit code and all it printed. */
function failedStart(runtime: "deno" | "node", args: string[]) {
  const command = runtime === "deno"
    ? [join(repoRoot(), "node_modules", ".bin", "deno"), "run", "-A", "signal/main.ts"]
    : ["node", bundleForNode("harness/node_cli.ts"), "signal"];
  const child = spawn(command[0], [...command.slice(1), "--port", "0", ...args], {
    cwd: repoRoot(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => output += chunk);
  child.stderr!.on("data", (chunk) => output += chunk);
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    })
  );
}

describe("a cluster over NATS with a password and TLS", { timeout: 90_000 }, () => {
  let dir: string;
  let nats: NatsCluster;
  let ca: string;
  let passwordFile: string;
  let wrongFile: string;

  before(async () => {
    dir = await Deno.makeTempDir();
    const certificates = await makeTestCertificates(dir);
    ca = certificates.ca;
    passwordFile = `${dir}/nats_password`;
    wrongFile = `${dir}/wrong_password`;
    await Deno.writeTextFile(passwordFile, `${PASSWORD}\n`);
    await Deno.writeTextFile(wrongFile, "wrong-password-1234567\n");
    nats = await startNatsCluster(3, { user: "flnet", pass: PASSWORD, tls: certificates });
  });
  after(async () => {
    await nats.close();
    await Deno.remove(dir, { recursive: true });
  });

  it("takes servers on both runtimes with the password over TLS; they relay across", async () => {
    const args = [
      "--nats-user",
      "flnet",
      "--nats-password-file",
      passwordFile,
      "--nats-ca-file",
      ca,
    ];
    let servers: SignalProcess[] = [];
    try {
      servers = await startClusteredServers(nats, [
        { runtime: "deno", args },
        { runtime: "node", args },
      ]);
      const [configA, configB] = await Promise.all([NodeConfig.create(), NodeConfig.create()]);
      const a = await RawClient.announced(servers[0].url, configA);
      const b = await RawClient.announced(servers[1].url, configB);
      a.send({ type: "relay", to: configB.id, signal: { hello: "over TLS" } });
      for (;;) {
        const message = await b.next();
        if (message.type !== "relay") continue;
        assert.deepEqual(message.signal, { hello: "over TLS" });
        break;
      }
      await a.close();
      await b.close();
    } finally {
      await Promise.all(servers.map((server) => server.kill()));
    }
  });

  for (const runtime of ["deno", "node"] as const) {
    it(`makes a server on ${runtime} refuse to start with a wrong password, printing none`, async () => {
      const { code, output } = await failedStart(runtime, [
        ...["--nats", nats.urls[0], "--nats-user", "flnet"],
        ...["--nats-password-file", wrongFile, "--nats-ca-file", ca],
      ]);
      assert.equal(code, 1, output);
      assert.match(output, /cannot join NATS at nats:\/\/127\.0\.0\.1:\d+: .*Authorization/i);
      assert.match(output, /are the credentials .* the ones NATS expects/);
      assert.ok(!output.includes("wrong-password-1234567"), "the password is not printed");
      assert.ok(!output.includes(PASSWORD));
    });
  }

  it("makes a server refuse a NATS whose certificate it cannot check, saying so", async () => {
    const url = nats.urls[0].replace("nats://", "tls://");
    const { code, output } = await failedStart("deno", [
      ...["--nats", url, "--nats-user", "flnet", "--nats-password-file", passwordFile],
    ]);
    assert.equal(code, 1, output);
    assert.match(output, /cannot reach NATS at tls:\/\/127\.0\.0\.1:\d+: .*certificate/i);
    assert.match(output, /--nats-ca-file/);
    assert.ok(!output.includes(PASSWORD));
  });

  it("refuses credentials in a NATS address, without echoing them", async () => {
    const url = nats.urls[0].replace("nats://", `nats://flnet:${PASSWORD}@`);
    const { code, output } = await failedStart("deno", ["--nats", url]);
    assert.equal(code, 2);
    assert.match(output, /must not hold credentials .* got "nats:\/\/\*\*\*@127\.0\.0\.1/);
    assert.ok(!output.includes(PASSWORD));
  });
});

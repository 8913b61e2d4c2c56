import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseSignalArgs } from "../../signal/args.ts";
import { repoRoot } from "../../harness/signal_process.ts";

/** The arguments of every `["flnet", "signal", …]` list in `text`. */
function serverArgs(text: string, where: string): string[][] {
  const lists = [...text.matchAll(/\[\s*("flnet",\s*"signal"[^\]]*)\]/g)].map((m) =>
    JSON.parse(`[${m[1].replace(/,\s*$/, "")}]`).slice(2) as string[]
  );
  assert.ok(lists.length > 0, `${where} starts no signalling server`);
  return lists;
}

const deploy = (file: string) => readFile(join(repoRoot(), "deploy", file), "utf8");

// Docker cannot run here (no daemon, no registry); this keeps the deploy files in step with the
// server's command line.
describe("deploy/", () => {
  it("the image starts `flnet signal` with options it accepts, on all interfaces", async () => {
    const [args] = serverArgs(await deploy("Dockerfile"), "Dockerfile");
    const options = parseSignalArgs(args);
    assert.deepEqual([options.host, options.port, options.staticDir], [
      "0.0.0.0",
      8765,
      "/srv/demo",
    ]);
  });

  it("the compose file clusters its servers over its NATS members and hands out TURN credentials", async () => {
    const compose = await deploy("docker-compose.yml");
    const [args] = serverArgs(compose, "docker-compose.yml");
    // compose fills ${TURN_HOST} in; the parser sees what a server would get
    const options = parseSignalArgs(
      args.map((a) => a.replaceAll("${TURN_HOST}", "turn.example.org")),
    );
    const members = [...compose.matchAll(/^ {2}(nats-\d+):/gm)].map((m) => m[1]);
    assert.deepEqual(options.nats, members.map((name) => `nats://${name}:4222`));
    assert.deepEqual(options.turn?.urls, [
      "stun:turn.example.org:3478",
      "turn:turn.example.org:3478",
    ]);
    assert.equal(options.turnSecretFile, "/run/secrets/turn_secret");
    assert.deepEqual(options.natsAuth, {
      user: "flnet",
      passwordFile: "/run/secrets/nats_password",
      caFile: "/run/secrets/nats_ca",
    });
    assert.match(compose, /--use-auth-secret/);
    // coturn relays to no private, loopback, link-local (metadata) or CGNAT address, UDP only
    for (const range of ["10.0.0.0-", "100.64.0.0-", "127.0.0.0-", "169.254.0.0-", "fc00::-"]) {
      assert.ok(compose.includes(`--denied-peer-ip=${range}`), range);
    }
    assert.match(compose, /--no-tcp-relay/);
    assert.match(compose, /--user-quota=\d+/);
    // NATS asks for a login, TLS and allows the flnet subjects only
    const nats = await deploy("nats.conf");
    assert.match(nats, /password: \$NATS_PASSWORD/);
    assert.match(nats, /tls \{/);
    assert.match(nats, /publish: \["flnet\.>", "_INBOX\.flnet\.>"\]/);
    assert.match(compose, /^ {2}signal-2:\n {4}<<: \*signal/m);
  });
});

/**
 * A NATS cluster for tests and benchmarks: `nats-server` processes (Debian's package) on loopback, on ports
 * they pick themselves, joined by routes. A member can be killed and started again on its port.
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";

/** One `nats-server` of a {@link NatsCluster}. */
export interface NatsMember {
  /** Its client address, `nats://127.0.0.1:PORT`. */
  url: string;
  /** Its route address, for the other members. */
  route: string;
  /** Its process id (changes with {@link restart}). */
  readonly pid: number;
  /** Kills it with SIGKILL and waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same ports (after {@link kill}). */
  restart(): Promise<void>;
}

/** Several `nats-server` processes routed to each other. */
export interface NatsCluster {
  /** The members in start order. */
  members: NatsMember[];
  /** Every member's client address. */
  urls: string[];
  /** Stops every member. */
  close(): Promise<void>;
}

/** What clients of a {@link NatsCluster} must show: a user and password, and TLS. */
export interface NatsSecurity {
  /** The user and password clients must give. */
  user: string;
  pass: string;
  /** The server certificate and key clients get over TLS (which is then required). */
  tls?: { cert: string; key: string };
}

/**
 * Starts `size` routed `nats-server` processes, asking clients for `security` when given;
 * resolves once each listens for clients.
 */
export async function startNatsCluster(size = 3, security?: NatsSecurity): Promise<NatsCluster> {
  const name = `flnet-test-${Math.random().toString(36).slice(2, 8)}`;
  const flags = security
    ? [
      ...["--user", security.user, "--pass", security.pass],
      ...(security.tls
        ? ["--tls", "--tlscert", security.tls.cert, "--tlskey", security.tls.key]
        : []),
    ]
    : [];
  const members: NatsMember[] = [];
  const first = await startMember(name, "-1", "-1", [], flags);
  members.push(first);
  for (let i = 1; i < size; i++) {
    members.push(await startMember(name, "-1", "-1", [first.route], flags));
  }
  return {
    members,
    get urls() {
      return members.map((m) => m.url);
    },
    async close() {
      await Promise.all(members.map((m) => m.kill()));
    },
  };
}

async function startMember(
  cluster: string,
  clientPort: string,
  routePort: string,
  routes: string[],
  flags: string[],
): Promise<NatsMember> {
  let child: ChildProcess;
  const launch = async (client: string, route: string, peers: string[]) => {
    child = spawn("nats-server", [
      "-a",
      "127.0.0.1",
      "-p",
      client,
      "--cluster",
      `nats://127.0.0.1:${route}`,
      "--cluster_name",
      cluster,
      ...(peers.length ? ["--routes", peers.join(",")] : []),
      ...flags,
    ], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    return await new Promise<{ client: string; route: string }>((resolve, reject) => {
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (chunk: string) => {
        log += chunk;
        const clientAt = log.match(/client connections on 127\.0\.0\.1:(\d+)/)?.[1];
        const routeAt = log.match(/route connections on 127\.0\.0\.1:(\d+)/)?.[1];
        if (clientAt && routeAt) resolve({ client: clientAt, route: routeAt });
      });
      child.on(
        "error",
        (error) =>
          reject(new Error(`cannot start nats-server (apt-get install nats-server): ${error}`)),
      );
      child.on("exit", () => reject(new Error(`nats-server exited at start: ${log}`)));
    });
  };
  const ports = await launch(clientPort, routePort, routes);
  const member: NatsMember = {
    url: `nats://127.0.0.1:${ports.client}`,
    route: `nats://127.0.0.1:${ports.route}`,
    get pid() {
      return child.pid!;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
    async restart() {
      await launch(ports.client, ports.route, routes);
    },
  };
  return member;
}

/**
 * Makes a test CA and a certificate for 127.0.0.1 it signed, in `dir` (with `openssl`, which
 * Debian has): `ca.pem`, `server.pem`, `server.key`.
 */
export async function makeTestCertificates(
  dir: string,
): Promise<{ ca: string; cert: string; key: string }> {
  const run = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
      let errors = "";
      child.stderr!.on("data", (chunk) => errors += chunk);
      child.on("error", reject);
      child.on("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`openssl ${args[0]} failed: ${errors}`)));
    });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=flnet test CA",
  ]);
  await run([
    "req",
    ...ec,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  ]);
  await writeFile(`${dir}/ext.cnf`, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await run([
    ...["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key"],
    ...["-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"],
  ]);
  return { ca: `${dir}/ca.pem`, cert: `${dir}/server.pem`, key: `${dir}/server.key` };
}

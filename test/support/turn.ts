/**
 * A coturn TURN server on loopback, started and stopped by a test. It listens and relays on
 * 127.0.0.2 while the nodes use 127.0.0.1: TURN permissions are per IP address, so with one
 * address for everything an engine could reach the peer's relay address from its own host
 * socket (libdatachannel does) and a "relay only" test would pass for the wrong reason. Nothing
 * leaves the machine either way.
 * @module
 */

const TURN_IP = "127.0.0.2";

import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running TURN server. */
export interface TurnServer {
  /**
   * The ICE server entry to give to RTCPeerConnection: with the long-term user, or without
   * credentials when the server checks short-lived ones made with `authSecret`.
   */
  iceServer: RTCIceServer;
  /** Stops it and removes its files. */
  stop(): Promise<void>;
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.once("error", reject);
    socket.bind(0, TURN_IP, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** What {@link startTurn} takes. */
interface TurnOptions {
  authSecret?: string;
  /** Listen and relay on this address and port, run by `wrapper` (a network namespace). */
  at?: { ip: string; port: number; wrapper: string[] };
  /** More coturn options (e.g. the compose file's `--denied-peer-ip` ranges). */
  extra?: string[];
}

/**
 * Starts coturn on a free loopback port; throws, saying how to install it, when it is missing.
 * With `authSecret`, it takes only short-lived credentials made with that secret (coturn's
 * `use-auth-secret`, the TURN REST scheme); otherwise the long-term user test:testpass. A port
 * found free can be taken before coturn binds it: then it tries again on another (3 times).
 */
export async function startTurn(options: TurnOptions = {}): Promise<TurnServer> {
  if (spawnSync("turnserver", ["--help"], { stdio: "ignore" }).error) {
    throw new Error(
      "coturn is not installed: run `apt-get install -y coturn` (as root, npm test installs it)",
    );
  }
  for (let attempt = 1;; attempt++) {
    try {
      return await launchTurn(options, options.at?.port ?? await freeUdpPort());
    } catch (error) {
      if (options.at || attempt >= 3) throw error;
    }
  }
}

async function launchTurn(options: TurnOptions, port: number): Promise<TurnServer> {
  const ip = options.at?.ip ?? TURN_IP;
  const dir = await mkdtemp(join(tmpdir(), "flnet-turn-"));
  const [program, ...wrapped] = [...(options.at?.wrapper ?? []), "turnserver"];
  const child = spawn(program, [
    ...wrapped,
    "-n",
    `--listening-ip=${ip}`,
    `--relay-ip=${ip}`,
    `--listening-port=${port}`,
    "--allow-loopback-peers",
    ...(options.authSecret
      ? ["--use-auth-secret", `--static-auth-secret=${options.authSecret}`]
      : ["--lt-cred-mech", "--user=test:testpass"]),
    "--realm=flnet.test",
    "--no-tls",
    "--no-dtls",
    "--no-cli",
    `--userdb=${join(dir, "turndb")}`,
    `--pidfile=${join(dir, "turnserver.pid")}`,
    "--log-file=stdout",
    "--simple-log",
    ...(options.extra ?? []),
  ], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`coturn did not start: ${output}`));
    }, 10_000);
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      if (/Address already in use|[Cc]annot bind/.test(output)) {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(`coturn could not bind ${ip}:${port}: ${output}`));
      } else if (output.includes("Total General servers")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", () => reject(new Error(`coturn exited: ${output}`)));
  }).catch(async (error) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    iceServer: options.authSecret ? { urls: `turn:${ip}:${port}?transport=udp` } : {
      urls: `turn:${ip}:${port}?transport=udp`,
      username: "test",
      credential: "testpass",
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The signalling servers the signal benchmark loads, each in its own process, and a client
 * that speaks its protocol: flnet's server on Deno (`flnet`) or on Node (`flnet-node`), where
 * clients prove their Ed25519 identity, and the PeerJS server (npm `peer` on Node; clients pick
 * any ID, no proof).
 * @module
 */

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { NodeConfig } from "../core/config.ts";
import { RawClient } from "../harness/raw_client.ts";
import { repoRoot, startSignalProcess } from "../harness/signal_process.ts";

/** The servers compared. */
export type SignalServerKind = "flnet" | "flnet-node" | "peerjs";

/** Every {@link SignalServerKind}. */
export const SIGNAL_SERVER_KINDS: readonly SignalServerKind[] = ["flnet", "flnet-node", "peerjs"];

/** A connected, accepted load client. */
export interface LoadClient {
  /** Its id on the server. */
  id: string;
  /** Relays `payload` to the client with id `to`. */
  relay(to: string, payload: Record<string, unknown>): void;
  /** Called with the payload of every relay that reaches this client. */
  onRelay: (payload: Record<string, unknown>) => void;
  /** Called with the code of every error the server sends this client. */
  onError: (code: string) => void;
  /** Errors the server sent this client, by code. */
  errors: Record<string, number>;
  /** Closes the connection. */
  close(): void;
}

/** What a load target is: one of the servers, or flnet servers clustered over NATS. */
export type LoadTargetKind = SignalServerKind | "flnet-cluster";

/** A running server and how to load it. */
export interface LoadTarget {
  /** Which server. */
  kind: LoadTargetKind;
  /** Connects client number `i` and resolves once the server accepted it. */
  connect(i: number): Promise<LoadClient>;
  /** The server's resident memory, bytes (Linux). */
  rss(): Promise<number | undefined>;
  /**
   * CPU seconds used so far (user and system, Linux), by tier: `server` for the signalling
   * server processes, and others (`nats`) where the target has them.
   */
  cpuSeconds(): Promise<Record<string, number | undefined>>;
  /** Stops the server. */
  stop(): Promise<void>;
}

async function rssOf(pid: number | undefined): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1]);
    return Number.isFinite(kb) ? kb * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of process `pid`, from /proc (clock ticks of 1/100 s). */
export async function cpuSecondsOf(pid: number | undefined): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function countError(errors: Record<string, number>, code: string): void {
  errors[code] = (errors[code] ?? 0) + 1;
}

/** The arguments that let a flnet server hold `maxConnections` load clients, all on 127.0.0.1. */
export function loadServerArgs(maxConnections: number): string[] {
  return ["--max-conns", String(maxConnections), "--max-conns-per-ip", String(maxConnections)];
}

/** A new node announced to the flnet server at `url`, as a load client. */
export async function connectFlnetClient(url: string): Promise<LoadClient> {
  const config = await NodeConfig.create();
  const raw = await RawClient.announced(url, config);
  const client: LoadClient = {
    id: config.id,
    relay: (to, signal) => raw.send({ type: "relay", to, signal }),
    onRelay: () => {},
    onError: () => {},
    errors: {},
    close: () => raw.socket.close(),
  };
  raw.socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "relay") client.onRelay(message.signal);
    else if (message.type === "error") {
      countError(client.errors, message.code);
      client.onError(message.code);
    }
  };
  return client;
}

async function startFlnet(
  kind: "flnet" | "flnet-node",
  maxConnections: number,
): Promise<LoadTarget> {
  const server = await startSignalProcess(
    loadServerArgs(maxConnections),
    [],
    kind === "flnet" ? "deno" : "node",
  );
  return {
    kind,
    connect: () => connectFlnetClient(server.url),
    rss: () => server.rss(),
    cpuSeconds: async () => ({ server: await cpuSecondsOf(server.pid) }),
    stop: async () => void await server.stop(),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function startPeerJs(maxConnections: number): Promise<LoadTarget> {
  const port = await freePort();
  const bin = join(repoRoot(), "node_modules", "peer", "dist", "bin", "peerjs.js");
  const child = spawn("node", [
    bin,
    ...["--port", String(port), "--host", "127.0.0.1"],
    ...["--concurrent_limit", String(maxConnections)],
  ], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      if (output.includes("Started PeerServer")) resolve();
    });
    exited.then(() => reject(new Error(`the PeerJS server exited: ${output}`)));
  });
  return {
    kind: "peerjs",
    connect(i) {
      const id = `load-${i}-${crypto.randomUUID().slice(0, 8)}`;
      const socket = new WebSocket(
        `ws://127.0.0.1:${port}/peerjs?key=peerjs&id=${id}&token=${crypto.randomUUID()}`,
      );
      const client: LoadClient = {
        id,
        relay: (dst, payload) => socket.send(JSON.stringify({ type: "OFFER", dst, payload })),
        onRelay: () => {},
        onError: () => {},
        errors: {},
        close: () => socket.close(),
      };
      return new Promise((resolve, reject) => {
        socket.onmessage = (event) => {
          const message = JSON.parse(event.data);
          if (message.type === "OPEN") resolve(client);
          else if (message.type === "OFFER") client.onRelay(message.payload);
          else if (message.type === "ERROR" || message.type === "ID-TAKEN") {
            countError(client.errors, message.payload?.msg ?? message.type);
            reject(new Error(`PeerJS refused client ${i}: ${message.payload?.msg}`));
          } else if (message.type === "EXPIRE") countError(client.errors, "expired");
        };
        socket.onerror = () => reject(new Error(`client ${i} cannot reach the PeerJS server`));
      });
    },
    rss: () => rssOf(child.pid),
    cpuSeconds: async () => ({ server: await cpuSecondsOf(child.pid) }),
    stop: async () => {
      child.kill();
      await exited;
    },
  };
}

/** Starts a server of `kind` that accepts `maxConnections` clients. */
export function startLoadTarget(
  kind: SignalServerKind,
  maxConnections: number,
): Promise<LoadTarget> {
  return kind === "peerjs" ? startPeerJs(maxConnections) : startFlnet(kind, maxConnections);
}

/**
 * Starts test peers (for tests and benchmarks) (`harness/peer_main.ts`) as separate processes on Deno or on Node,
 * and reads their JSON events.
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "./signal_process.ts";
import { bundleForNode } from "./node_bundle.ts";

/** A running peer. */
export interface PeerProcess {
  /** Its node id (from its ready event). */
  id: string;
  /** The process. */
  child: ChildProcess;
  /** The next JSON event it prints. */
  next(): Promise<Record<string, unknown>>;
  /** Writes a command line (JSON) to its stdin. */
  send(command: Record<string, unknown>): void;
  /** Resolves with the exit code (or the signal) once it exited. */
  exited: Promise<number | string>;
}

/**
 * Starts a peer on `runtime` with `args` and waits for its ready event; `wrapper` goes before
 * the command (`["ip", "netns", "exec", "NAME"]` runs it in a network namespace).
 */
export async function startPeer(
  runtime: "deno" | "node",
  args: string[],
  wrapper: string[] = [],
): Promise<PeerProcess> {
  const root = repoRoot();
  const [command, ...prefix] = runtime === "deno"
    ? [
      join(root, "node_modules", ".bin", "deno"),
      "run",
      "-A",
      join(root, "harness", "peer_main.ts"),
    ]
    : [
      process.execPath.endsWith("node") ? process.execPath : "node",
      bundleForNode("harness/peer_main.ts"),
    ];
  const [program, ...rest] = [...wrapper, command, ...prefix, ...args];
  const child = spawn(program, rest, { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? -1))
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    for (;;) {
      const { value, done } = await Promise.race([
        lines.next(),
        exited.then((code) => {
          throw new Error(`the ${runtime} peer exited (${code}) before printing an event`);
        }),
      ]);
      if (done) throw new Error(`the ${runtime} peer closed its output`);
      if (value.startsWith("{")) return JSON.parse(value) as Record<string, unknown>;
    }
  };
  const ready = await next();
  if (ready.event !== "ready") throw new Error(`expected ready, got ${JSON.stringify(ready)}`);
  const send = (command: Record<string, unknown>) =>
    child.stdin!.write(JSON.stringify(command) + "\n");
  return { id: ready.id as string, child, next, send, exited };
}

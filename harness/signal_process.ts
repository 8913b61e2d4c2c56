/**
 * Runs the signalling server as a separate process (`deno run -A signal/main.ts`), as a user
 * would, for tests and benchmarks that must not share a process with their clients. Works from
 * Deno and from Node (through `node:child_process`).
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleForNode } from "./node_bundle.ts";

/** The repository root: the nearest folder above this file that holds deno.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "deno.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the repository root (deno.json)");
    dir = parent;
  }
  return dir;
}

/** A server process that is listening. */
export interface SignalProcess {
  /** The WebSocket URL it listens on. */
  url: string;
  /** Its process id. */
  pid: number;
  /** Resident memory of the process in bytes (Linux), or undefined elsewhere. */
  rss(): Promise<number | undefined>;
  /**
   * Stops it with SIGTERM and waits for the exit. True when it shut down gracefully: it
   * printed its shutdown line and did not exit with an error code. (Deno's
   * `node:child_process` reports the signal instead of the exit code 0.)
   */
  stop(): Promise<boolean>;
  /** Kills it with SIGKILL (no goodbye to anyone) and waits for the exit. */
  kill(): Promise<void>;
}

/**
 * An address where nothing listens: port 1 (tcpmux), which no test machine serves. A port freed
 * by closing a server of the test's own can be taken by another process in the meantime.
 */
export const NOTHING_LISTENS = "ws://127.0.0.1:1";

/**
 * Starts the server with `args` (a free port unless `--port` is given): on Deno
 * (`signal/main.ts`), or on Node (`flnet signal`, cli.ts bundled by harness/node_cli.ts); `wrapper` goes before the
 * command (`["ip", "netns", "exec", "NAME"]` runs it in a network namespace).
 */
export async function startSignalProcess(
  args: string[] = [],
  wrapper: string[] = [],
  runtime: "deno" | "node" = "deno",
): Promise<SignalProcess> {
  const root = repoRoot();
  const command = runtime === "deno"
    ? [join(root, "node_modules", ".bin", "deno"), "run", "-A", join(root, "signal", "main.ts")]
    : ["node", bundleForNode("harness/node_cli.ts"), "signal"];
  const [program, ...rest] = [
    ...wrapper,
    ...command,
    ...(args.includes("--port") ? [] : ["--port", "0"]),
    ...args,
  ];
  const child = spawn(program, rest, { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      output += chunk;
      const match = output.match(/listening on (ws:\S+)/);
      if (match) resolve(match[1]);
    });
    child.on("exit", () => reject(new Error(`the server exited before listening: ${output}`)));
  });
  return {
    url,
    pid: child.pid!,
    async rss() {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, "utf8");
        const kb = Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1]);
        return Number.isFinite(kb) ? kb * 1024 : undefined;
      } catch {
        return undefined;
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const code = await exited;
      return output.includes("SIGTERM: shutting down") && (code === 0 || code === null);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

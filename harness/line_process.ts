/**
 * A child process whose stdout lines can be awaited: `waitFor(/pattern/)` resolves with the
 * first line that matches, or fails with the output so far when it times out or the process
 * exits. Used by the examples test and by build_npm.ts's proof.
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import process from "node:process";

/** A running process and its output. */
export interface LineProcess {
  /** The process. */
  child: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  /** The first line matching `pattern` (also one printed earlier). */
  waitFor(pattern: RegExp, ms?: number): Promise<string>;
  /** Writes a line to its stdin. */
  write(line: string): void;
  /** Resolves with the exit code (null when killed) once it exited. */
  exited: Promise<number | null>;
  /** Kills it (SIGTERM) and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `command args` in `cwd`. With `group`, the process leads a process group of its own and
 * `stop` signals the whole group (a shell's or npm's children too).
 */
export function startLineProcess(
  command: string,
  args: string[],
  cwd?: string,
  { group = false }: { group?: boolean } = {},
): LineProcess {
  const child = spawn(command, args, { cwd, stdio: ["pipe", "pipe", "pipe"], detached: group });
  let errors = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => errors += chunk);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const wake of waiters) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const name = [command, ...args].join(" ");
  const waitFor = (pattern: RegExp, ms = 20_000) =>
    new Promise<string>((resolve, reject) => {
      const fail = (why: string) => {
        waiters.delete(check);
        clearTimeout(timer);
        reject(new Error(`${name}: ${why}; stdout: ${lines.join(" | ")}; stderr: ${errors}`));
      };
      const check = () => {
        const line = lines.find((l) => pattern.test(l));
        if (line === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(line);
      };
      const timer = setTimeout(() => fail(`no line matching ${pattern} within ${ms} ms`), ms);
      waiters.add(check);
      exited.then((code) => fail(`exited (${code})`));
      check();
    });
  return {
    child,
    lines,
    waitFor,
    write: (line) => child.stdin!.write(line + "\n"),
    exited,
    stop: async () => {
      if (group) {
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {
          // the group is gone already
        }
      } else if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}

/**
 * Runs the signalling server as a separate process (`deno run -A signal/main.ts`), as a user
 * would, for tests and benchmarks that must not share a process with their clients.
 * @module
 */

const MAIN = new URL("../../signal/main.ts", import.meta.url).pathname;

/** A server process that is listening. */
export interface SignalProcess {
  /** The WebSocket URL it listens on. */
  url: string;
  /** Its process id. */
  pid: number;
  /** Resident memory of the process in bytes (Linux), or undefined elsewhere. */
  rss(): Promise<number | undefined>;
  /** Stops it with SIGTERM and waits for the exit; returns the exit code. */
  stop(): Promise<number>;
}

/** Starts the server with `args` (a free port unless `--port` is given). */
export async function startSignalProcess(args: string[] = []): Promise<SignalProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...(args.includes("--port") ? [] : ["--port", "0"]), ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!/listening on (ws:\S+)/.test(output)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the signalling server exited before listening: ${output}`);
    output += value;
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  const drained = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  return {
    url: output.match(/listening on (ws:\S+)/)![1],
    pid: child.pid,
    async rss() {
      try {
        const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
        const kb = Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1]);
        return Number.isFinite(kb) ? kb * 1024 : undefined;
      } catch {
        return undefined;
      }
    },
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const status = await child.status;
      await drained;
      return status.code;
    },
  };
}

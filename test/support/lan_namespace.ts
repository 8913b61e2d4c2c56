/**
 * A network namespace that looks like a small machine on a LAN: loopback and one interface
 * (`lan0` at 10.213.9.1 and fd13:9::1, the end of a veth pair whose other end, also inside,
 * drops all), so programs run in it with their default settings (WebRTC host candidates on the
 * LAN address, a server on localhost:8765) exactly as a user runs them, while nothing they send
 * can leave the namespace. Root and `ip`
 * needed ({@link lanNamespaceUnavailable}).
 * @module
 */

import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { type LineProcess, startLineProcess } from "../../harness/line_process.ts";

/** A namespace made by {@link createLanNamespace}. */
export interface LanNamespace {
  /** Its name, for `ip netns exec`. */
  name: string;
  /** Runs a shell command line in it, from `cwd`, as one process group. */
  shell(commandLine: string, cwd: string): LineProcess;
  /**
   * Writes an executable script at `path` that runs `program` (with the script's arguments) in
   * the namespace, for tools that take a program's path (Playwright's `executablePath`).
   */
  wrapper(program: string, path: string): Promise<string>;
  /** Deletes it (its processes should be stopped first). */
  destroy(): void;
}

/** Why such a namespace cannot be made here, or undefined when it can. */
export function lanNamespaceUnavailable(): string | undefined {
  if (Deno.uid() !== 0) return "needs root (CI runs as root)";
  if (spawnSync("ip", ["netns", "list"]).status !== 0) return "needs `ip netns` (iproute2)";
  return undefined;
}

/**
 * Creates a fresh namespace with loopback and `lan0` (10.213.9.1/24, fd13:9::1/64) up, made by
 * `lan_namespace.sh` beside this file (which CI's namespace is made by too).
 */
export function createLanNamespace(): LanNamespace {
  const name = `fl${Deno.pid % 100000}lan${Math.floor(Math.random() * 1000)}`;
  const made = spawnSync("sh", [new URL("./lan_namespace.sh", import.meta.url).pathname, name], {
    encoding: "utf8",
  });
  if (made.status !== 0) throw new Error(`could not make namespace ${name}: ${made.stderr}`);
  return {
    name,
    shell: (commandLine, cwd) =>
      startLineProcess("ip", ["netns", "exec", name, "sh", "-c", commandLine], cwd, {
        group: true,
      }),
    wrapper: async (program, path) => {
      await writeFile(path, `#!/bin/sh\nexec ip netns exec ${name} ${program} "$@"\n`, {
        mode: 0o755,
      });
      return path;
    },
    destroy: () => void spawnSync("ip", ["netns", "delete", name]),
  };
}

/**
 * Each connection holds a file descriptor: a server stays well below its process's limit on
 * open files, so that a flood of connections is refused by the server instead of failing the
 * runtime's accept loop.
 * @module
 */

import { Logger } from "../core/log.ts";
import { SIGNAL_DEFAULTS } from "./server_options.ts";

/** File descriptors kept free of connections, for the listener, files and the runtime. */
export const FD_RESERVE = 64;

const log = new Logger("signal");

/**
 * The most connections to hold: `wanted` (the default when undefined), lowered to the soft
 * limit on open files less {@link FD_RESERVE} when `procLimits` (the text of Linux's
 * `/proc/self/limits`) gives one, with a warning saying so.
 */
export function allowedConnections(wanted: number | undefined, procLimits?: string): number {
  const want = wanted ?? SIGNAL_DEFAULTS.maxConnections;
  const soft = procLimits?.match(/^Max open files\s+(\d+)/m)?.[1];
  if (soft === undefined) return want;
  const room = Math.max(16, Number(soft) - FD_RESERVE);
  if (want <= room) return want;
  log.warn(
    `--max-conns ${want} is over what this process's open-file limit (${soft}) allows: ` +
      `holding at most ${room} (raise it with \`ulimit -n\`)`,
  );
  return room;
}

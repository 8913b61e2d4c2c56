// deno-lint-ignore-file no-console
/**
 * The signalling server's command line: `deno run -A signal/main.ts --help` (or `npm start`).
 * @module
 */

import { logLevelFromVerbosity, setLogLevel } from "../core/log.ts";
import { type CommonArgs, walkArgs } from "../core/args.ts";
import { serveSignal, type ServeSignalOptions } from "./serve.ts";

const USAGE = `flnet signalling server

Usage: deno run -A signal/main.ts [options]

  --port N          TCP port (default 8765; 0 picks a free one)
  --host ADDR       interface to listen on (default 127.0.0.1; 0.0.0.0 to serve others)
  --max-list-len N  most nodes in one list reply (default 50)
  --ttl SECONDS     close connections silent for this long (default 120)
  --max-frame BYTES largest accepted frame (default 65536)
  --rate N          frames per second per connection (default 200)
  --burst N         frames allowed in a burst (default 1000)
  --max-conns N     most connections at once (default 10000)
  --static DIR      serve the files of DIR over HTTP (the browser demo)
  -v, -vv, -vvv     log info, debug, trace (default: warnings and errors)
  -h, --help        show this text

HTTP: GET /health, /stats and /nodes; WebSocket on any path.`;

/** Reads the command line into server options; throws an Error naming a bad argument. */
export function parseArgs(
  args: string[],
): ServeSignalOptions & CommonArgs {
  const options: ServeSignalOptions = {};
  const numbers: Record<string, (n: number) => void> = {
    "--port": (n) => options.port = n,
    "--max-list-len": (n) => options.maxListLength = n,
    "--ttl": (n) => options.ttlMs = n * 1000,
    "--max-frame": (n) => options.maxFrameBytes = n,
    "--rate": (n) => options.ratePerSecond = n,
    "--burst": (n) => options.rateBurst = n,
    "--max-conns": (n) => options.maxConnections = n,
  };
  const common = walkArgs(args, (arg, value) => {
    if (arg === "--host") options.host = value();
    else if (arg === "--static") options.staticDir = value();
    else if (arg in numbers) {
      const text = value();
      const n = Number(text);
      if (!Number.isInteger(n) || n < (arg === "--port" ? 0 : 1) || n > 1e9) {
        throw new Error(`${arg} needs a whole number, got "${text}"`);
      }
      numbers[arg](n);
    } else return false;
    return true;
  });
  return { ...options, ...common };
}

if (import.meta.main) {
  let options;
  try {
    options = parseArgs(Deno.args);
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    Deno.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  setLogLevel(logLevelFromVerbosity(options.verbosity));
  const { verbosity: _, help: __, ...serveOptions } = options;
  let running;
  try {
    running = await serveSignal(serveOptions);
  } catch (error) {
    console.error(`error: cannot start the server: ${(error as Error).message}`);
    Deno.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await running.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  // Printed last: whoever waits for this line may signal the server at once.
  console.log(`flnet signalling server listening on ${running.url}`);
}

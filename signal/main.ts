// deno-lint-ignore-file no-console
/**
 * The signalling server's command line: `deno run -A signal/main.ts --help` (or `npm start`).
 * @module
 */

import { logLevelFromVerbosity, setLogLevel } from "../core/log.ts";
import { parseSignalArgs, signalUsage } from "./args.ts";
import { serveSignal } from "../adapters/deno/serve_signal.ts";

const USAGE = signalUsage("deno run -A signal/main.ts");

if (import.meta.main) {
  let options;
  try {
    options = parseSignalArgs(Deno.args);
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

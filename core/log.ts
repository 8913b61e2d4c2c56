/**
 * Levelled logging for every layer of flnet.
 *
 * One process-wide threshold decides what is printed; the CLI maps its repeated `-v` onto it
 * with {@link logLevelFromVerbosity}. Output goes to a replaceable sink (the console by
 * default), so an application or a test can capture or silence it.
 *
 * @example
 * ```ts
 * import { Logger, setLogLevel } from "./log.ts";
 * setLogLevel("debug");
 * const log = new Logger("gossip");
 * log.debug("stored", 3, "events");
 * ```
 * @module
 */

/** The levels from quietest to noisiest; `"off"` prints nothing. */
export const LOG_LEVELS = ["off", "error", "warn", "info", "debug", "trace"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Receives every log line that passes the threshold. */
export type LogSink = (level: Exclude<LogLevel, "off">, scope: string, args: unknown[]) => void;

/** The default sink: the console method that matches the level, prefixed with the scope. */
export function consoleSink(
  level: Exclude<LogLevel, "off">,
  scope: string,
  args: unknown[],
): void {
  const prefix = `${new Date().toISOString()} ${level.toUpperCase()} [${scope}]`;
  // deno-lint-ignore no-console
  const write = level === "error" ? console.error : level === "warn" ? console.warn : console.log;
  write(prefix, ...args);
}

let threshold = LOG_LEVELS.indexOf("warn");
let sink: LogSink = consoleSink;

/** Sets the process-wide threshold: messages noisier than `level` are dropped. */
export function setLogLevel(level: LogLevel): void {
  const index = LOG_LEVELS.indexOf(level);
  if (index < 0) {
    throw new RangeError(`unknown log level "${level}"; use one of ${LOG_LEVELS.join(", ")}`);
  }
  threshold = index;
}

/** The current process-wide threshold. */
export function getLogLevel(): LogLevel {
  return LOG_LEVELS[threshold];
}

/** Replaces where log lines go (the console by default) and returns the previous sink. */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

/**
 * Maps a CLI verbosity count onto a level: no `-v` shows warnings and errors, `-v` adds info,
 * `-vv` debug, `-vvv` (or more) trace.
 */
export function logLevelFromVerbosity(count: number): LogLevel {
  const levels: LogLevel[] = ["warn", "info", "debug", "trace"];
  return levels[Math.max(0, Math.min(levels.length - 1, Math.trunc(count)))];
}

/** A logger for one scope (a module or subsystem name) that writes through the shared sink. */
export class Logger {
  /** Creates a logger for one scope.
   * @param scope shown in every line, e.g. `"broker:gossip"`. */
  constructor(readonly scope: string) {}

  /** True when a message at `level` would be printed: guard expensive messages with it. */
  enabled(level: Exclude<LogLevel, "off">): boolean {
    return LOG_LEVELS.indexOf(level) <= threshold;
  }

  /** Something failed and was not handled elsewhere. */
  error(...args: unknown[]): void {
    this.#write("error", args);
  }

  /** Something looks wrong but work goes on. */
  warn(...args: unknown[]): void {
    this.#write("warn", args);
  }

  /** A notable event in normal operation. */
  info(...args: unknown[]): void {
    this.#write("info", args);
  }

  /** Detail for finding a problem. */
  debug(...args: unknown[]): void {
    this.#write("debug", args);
  }

  /** Every message, for following a single exchange. */
  trace(...args: unknown[]): void {
    this.#write("trace", args);
  }

  #write(level: Exclude<LogLevel, "off">, args: unknown[]): void {
    if (LOG_LEVELS.indexOf(level) <= threshold) sink(level, this.scope, args);
  }
}

/**
 * A warning that a peer can make repeat as fast as it likes: the first is logged at once, then
 * at most one line a second, which says how many were not logged since the last (a flood of
 * them must not flood the log).
 */
export class ThrottledWarning {
  #loggedAt = -Infinity;
  #unlogged = 0;

  /** Writes through `logger`, at most once in `periodMs` (default 1 s). */
  constructor(readonly logger: Logger, readonly periodMs = 1_000) {}

  /** Logs `message` now, or counts it for the next line. */
  warn(message: string): void {
    const now = Date.now();
    if (now - this.#loggedAt < this.periodMs) {
      this.#unlogged++;
      return;
    }
    const more = this.#unlogged ? ` (and ${this.#unlogged} more since the last such line)` : "";
    this.logger.warn(message + more);
    this.#loggedAt = now;
    this.#unlogged = 0;
  }
}

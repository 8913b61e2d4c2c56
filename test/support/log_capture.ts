/**
 * Captures log lines during a test, for asserting that something was reported.
 * @module
 */

import {
  getLogLevel,
  type LogLevel,
  type LogSink,
  setLogLevel,
  setLogSink,
} from "../../core/log.ts";

/** One captured log line. */
export interface CapturedLine {
  level: Exclude<LogLevel, "off">;
  scope: string;
  args: unknown[];
}

/** Runs `fn` with every log line at `level` or above captured, and returns the lines. */
export async function captureLogs(
  fn: () => Promise<void> | void,
  level: LogLevel = "trace",
): Promise<CapturedLine[]> {
  const lines: CapturedLine[] = [];
  const sink: LogSink = (lineLevel, scope, args) => lines.push({ level: lineLevel, scope, args });
  const previousSink = setLogSink(sink);
  const previousLevel = getLogLevel();
  setLogLevel(level);
  try {
    await fn();
  } finally {
    setLogSink(previousSink);
    setLogLevel(previousLevel);
  }
  return lines;
}

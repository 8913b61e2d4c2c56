/**
 * `describe` and `it` whose timeouts fire. Deno's `node:test` ignores a timeout given to
 * `describe` (a 200 ms suite timeout did not stop a 1.5 s test) but honours one given to `it`:
 * here a suite's timeout becomes the timeout of each test in it (unless the test has its own),
 * and a test with neither gets {@link DEFAULT_TIMEOUT_MS}, so a hang fails with a message
 * instead of hanging the run. Tests with real networks import these instead of `node:test`'s.
 * @module
 */

import * as nodeTest from "node:test";

export { after, afterEach, before, beforeEach } from "node:test";

type Options = { timeout?: number; skip?: boolean | string; only?: boolean };
type Body = () => void | Promise<void>;
type TestBody = (t: nodeTest.TestContext) => void | Promise<void>;

/** The timeout of a test when neither it nor its suite names one. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** The timeout of the suite being declared, for the tests declared in it. */
let suiteTimeout: number | undefined;

function split<F>(optionsOrFn: Options | F, fn?: F): [Options, F] {
  return typeof optionsOrFn === "function" ? [{}, optionsOrFn as F] : [optionsOrFn ?? {}, fn!];
}

/** A suite; its `timeout` applies to every test in it. */
export function describe(name: string, optionsOrFn: Options | Body, fn?: Body): void {
  const [options, body] = split(optionsOrFn, fn);
  void nodeTest.describe(name, options, () => {
    const outer = suiteTimeout;
    suiteTimeout = options.timeout ?? outer;
    try {
      return body();
    } finally {
      suiteTimeout = outer;
    }
  });
}

/** A test; without a timeout of its own it gets its suite's. */
export function it(
  name: string,
  optionsOrFn: Options | TestBody,
  fn?: TestBody,
): void {
  const [options, body] = split(optionsOrFn, fn);
  const timeout = options.timeout ?? suiteTimeout ?? DEFAULT_TIMEOUT_MS;
  void nodeTest.it(name, { ...options, timeout }, body);
}

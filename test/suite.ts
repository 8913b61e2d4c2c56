// deno-lint-ignore-file no-console
/**
 * Runs the test suite, or some of its groups, to the end: every step runs even when one before it
 * failed, and the end lists every failure with the command that reproduces it, then a closing
 * line `N passed, N failed`. `npm test` runs all groups; `npm run test:webrtc` and the other
 * `test:*` scripts run one (`deno run -A test/suite.ts webrtc browser`).
 *
 * The networking and browser files run one `deno test` each: each starts servers, engines and
 * browsers of its own, and a file that hangs or crashes its process fails alone.
 * @module
 */

import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";

/** One command of the suite, run from the checkout's root. */
interface Step {
  /** What the summary calls it. */
  name: string;
  /** The program and its arguments. */
  command: string[];
}

const DENO_TEST = ["deno", "test", "-A", "--no-check", "--preload", "test/support/setup.ts"];
const PUBLIC_ENTRIES = ["mod.ts", "node.ts", "browser.ts", "modules.ts", "wire.ts", "testing.ts"];

/** The files of `dir` whose names end in `_test.ts`, sorted. */
function testFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith("_test.ts")).sort().map((name) =>
    `${dir}/${name}`
  );
}

/** The suite's groups in the order `npm test` runs them. */
const GROUPS: Record<string, () => Step[]> = {
  check: () => [
    { name: "format", command: ["deno", "fmt", "--check"] },
    { name: "lint", command: ["deno", "lint"] },
    { name: "type check", command: ["deno", "check", "--doc"] },
    {
      name: "documented exports",
      command: ["deno", "doc", "--lint", ...PUBLIC_ENTRIES, "signal/mod.ts"],
    },
    {
      name: "publish dry run",
      command: ["deno", "publish", "--dry-run", "--allow-dirty", "--quiet"],
    },
    { name: "docs/api.md", command: ["deno", "run", "-A", "docs/generate_api.ts", "--check"] },
  ],
  deno: () => [{
    name: "test/ (logic, servers, simulations)",
    command: [
      ...DENO_TEST,
      "--ignore=test/webrtc,test/browser,test/examples,test/package",
      "test/",
    ],
  }],
  webrtc: () =>
    testFiles("test/webrtc").map((file) => ({ name: file, command: [...DENO_TEST, file] })),
  browser: () =>
    [...testFiles("test/browser"), ...testFiles("test/examples")].map((file) => ({
      name: file,
      command: [...DENO_TEST, file],
    })),
  package: () => [{ name: "test/package", command: [...DENO_TEST, "test/package/"] }],
  doc: () => [{
    name: "documentation examples",
    command: [
      ...DENO_TEST.filter((arg) => arg !== "--no-check"),
      "--doc",
      ...PUBLIC_ENTRIES,
      "core/",
      "adapters/",
      "node/",
      "modules/",
      "net/inbox.ts",
      "docs/",
      "README.md",
    ],
  }],
  node: () => [
    {
      name: "bundle the runtime-neutral tests for Node",
      command: [
        "sh",
        "-c",
        "rm -rf .test-out/node && esbuild test/core/*_test.ts test/adapters/*_test.ts " +
        "test/on_node/*_test.ts test/net/signal_protocol_test.ts test/support/setup.ts --bundle " +
        "--splitting --platform=node --format=esm --packages=external --outdir=.test-out/node " +
        "--outbase=test --log-level=warning",
      ],
    },
    {
      name: "the runtime-neutral tests on Node",
      command: [
        "node",
        "--import",
        "./.test-out/node/support/setup.js",
        "--test",
        ".test-out/node/",
      ],
    },
  ],
};

/** Runs `step` with the terminal as its output; resolves with its exit code. */
function run(step: Step): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(step.command[0], step.command.slice(1), { stdio: "inherit" });
    child.on("error", (error) => {
      console.error(`could not start ${step.command[0]}: ${error.message}`);
      resolve(127);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const asked = Deno.args.length ? Deno.args : Object.keys(GROUPS);
const unknown = asked.filter((group) => !(group in GROUPS));
if (unknown.length) {
  console.error(
    `unknown group ${unknown.join(", ")}; the groups are ${Object.keys(GROUPS).join(", ")}`,
  );
  Deno.exit(2);
}

const failed: { step: Step; code: number }[] = [];
let passed = 0;
const started = Date.now();
for (const group of asked) {
  for (const step of GROUPS[group]()) {
    console.log(`\n=== ${group}: ${step.name}`);
    const code = await run(step);
    if (code === 0) passed++;
    else failed.push({ step, code });
  }
}

console.log(`\n=== the suite took ${Math.round((Date.now() - started) / 1000)} s`);
for (const { step, code } of failed) {
  console.log(`FAILED (exit ${code}): ${step.name}\n  rerun: ${step.command.join(" ")}`);
}
console.log(`steps: ${passed} passed, ${failed.length} failed`);
Deno.exit(failed.length ? 1 : 0);

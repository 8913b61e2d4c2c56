// deno-lint-ignore-file no-console
/**
 * `npm run mutation`: mutation testing with StrykerJS over the pure-logic files, each group of
 * files against the unit tests that cover it (Stryker's command runner running `deno test`), so
 * each mutant costs one short test run. Writes one JSON report per group under
 * test-output/mutation/ and prints the score of every file; docs/testing.md says how to read it.
 * Not part of `npm test`: it takes minutes per file.
 *
 *     npm run mutation                      # every group
 *     npm run mutation -- framing gossip    # some groups
 * @module
 */

import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const root = new URL(".", import.meta.url).pathname;
const out = join(root, "test-output", "mutation");

/** The files mutated, by group, and the tests that must catch the mutants. */
export const GROUPS: Record<string, { mutate: string[]; tests: string[] }> = {
  framing: {
    mutate: ["net/framing.ts", "net/reassembler.ts"],
    tests: ["test/net/framing_test.ts"],
  },
  candidates: { mutate: ["net/candidates.ts"], tests: ["test/net/candidates_test.ts"] },
  protocol: {
    mutate: ["net/signal_protocol.ts"],
    tests: ["test/net/signal_protocol_test.ts"],
  },
  random: { mutate: ["modules/random/logic.ts"], tests: ["test/modules/random_logic_test.ts"] },
  gossip: {
    mutate: ["modules/gossip/logic.ts", "modules/gossip/event.ts", "modules/gossip/store.ts"],
    tests: ["test/modules/gossip_test.ts"],
  },
  ping: { mutate: ["modules/ping/logic.ts"], tests: ["test/modules/ping_test.ts"] },
  config: { mutate: ["core/config.ts"], tests: ["test/core/config_test.ts"] },
  broker: { mutate: ["core/broker.ts"], tests: ["test/core/broker_test.ts"] },
  guard: { mutate: ["net/setup_guard.ts"], tests: ["test/net/setup_signal_test.ts"] },
  storefile: {
    mutate: ["modules/gossip/store_file.ts"],
    tests: ["test/modules/gossip_store_file_test.ts"],
  },
  http: { mutate: ["signal/http_routes.ts"], tests: ["test/signal/http_routes_test.ts"] },
  cluster: { mutate: ["signal/cluster.ts"], tests: ["test/signal/cluster_logic_test.ts"] },
};

/** Killed (or timed out) mutants over all that tests could reach, per file, in percent. */
interface FileScore {
  file: string;
  killed: number;
  survived: number;
  score: number;
}

async function runGroup(name: string): Promise<FileScore[]> {
  const { mutate, tests } = GROUPS[name];
  const config = join(root, `.stryker-${name}.json`);
  const report = join(out, `${name}.json`);
  await writeFile(
    config,
    JSON.stringify({
      testRunner: "command",
      commandRunner: {
        command: `node_modules/.bin/deno test -A --no-check --quiet --preload ` +
          `test/support/setup.ts ${tests.join(" ")}`,
      },
      mutate,
      coverageAnalysis: "off",
      concurrency: 2,
      reporters: ["progress-append-only", "json"],
      jsonReporter: { fileName: report },
      tempDirName: `.stryker-tmp-${name}`,
      cleanTempDir: "always",
    }),
  );
  try {
    await promisify(execFile)(join(root, "node_modules", ".bin", "stryker"), ["run", config], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    await rm(config, { force: true });
  }
  const files = JSON.parse(await readFile(report, "utf8")).files as Record<
    string,
    { mutants: { status: string }[] }
  >;
  return Object.entries(files).map(([file, { mutants }]) => {
    const killed = mutants.filter((m) => m.status === "Killed" || m.status === "Timeout").length;
    const survived = mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage")
      .length;
    return { file, killed, survived, score: (100 * killed) / Math.max(1, killed + survived) };
  });
}

if (import.meta.main) {
  const chosen = Deno.args.length > 0 ? Deno.args : Object.keys(GROUPS);
  await mkdir(out, { recursive: true });
  const started = performance.now();
  for (const name of chosen) {
    if (!GROUPS[name]) throw new Error(`no group ${name}: ${Object.keys(GROUPS).join(", ")}`);
    const groupStarted = performance.now();
    for (const s of await runGroup(name)) {
      console.log(
        `${s.file.padEnd(28)} ${s.score.toFixed(1).padStart(5)} %  ` +
          `${s.killed} killed, ${s.survived} survived`,
      );
    }
    console.log(`  (${name}: ${Math.round((performance.now() - groupStarted) / 1000)} s)`);
  }
  console.log(`${Math.round((performance.now() - started) / 1000)} s in all`);
}

// deno-lint-ignore-file no-console
/**
 * The suite on a busy machine: two CPU-bound processes run beside `test/suite.ts` for as long
 * as it runs (`npm run test:busy`, or `npm run test:busy -- webrtc` for some groups). On a
 * 2-core machine the tests then get a fraction of a core each, as on a shared CI runner: a test
 * whose wait is too short for that fails here first.
 * @module
 */

import { spawn } from "node:child_process";

const BUSY = "let x = 0; for (;;) x = (x * 31 + 7) % 1000003;";
const burners = [0, 1].map(() => spawn(Deno.execPath(), ["eval", BUSY], { stdio: "ignore" }));
console.log(`two busy processes beside the suite: ${burners.map((b) => b.pid).join(", ")}`);
const suite = spawn("deno", ["run", "-A", "test/suite.ts", ...Deno.args], { stdio: "inherit" });
const code = await new Promise<number>((resolve) =>
  suite.on("exit", (exit, signal) => resolve(exit ?? (signal ? 128 : 1)))
);
for (const burner of burners) burner.kill("SIGKILL");
Deno.exit(code);

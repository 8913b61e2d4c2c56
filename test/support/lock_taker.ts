// deno-lint-ignore-file no-console
/**
 * A process that tries to take a node directory's lock: `deno run -A lock_taker.ts DIR` prints
 * `held`, `locked` (another holds it) or `error MESSAGE`, then holds what it took until its
 * stdin closes. Used to start many at once (test/node/directory_lock_test.ts).
 * @module
 */

import process from "node:process";
import { DirectoryLockedError, lockDirectory } from "../../adapters/node/directory_lock.ts";

let lock;
try {
  lock = await lockDirectory(process.argv[2] ?? Deno.args[0]);
  console.log("held");
} catch (error) {
  console.log(
    error instanceof DirectoryLockedError ? "locked" : `error ${(error as Error).message}`,
  );
}
for await (const _ of process.stdin) { /* hold until stdin closes */ }
await lock?.release();

/**
 * The `flnet` chat command (cli.ts) as a separate process on loopback, for tests of what a user
 * of the command sees: it resolves once the node runs ("type to chat").
 * @module
 */

import { type LineProcess, startLineProcess } from "../../harness/line_process.ts";
import { repoRoot } from "../../harness/signal_process.ts";

/** Starts the chat command on the server at `signalUrl` with its node in `dir`. */
export async function startChatCommand(signalUrl: string, dir: string): Promise<LineProcess> {
  const chat = startLineProcess(
    Deno.execPath(),
    ["run", "-A", "cli.ts", "--signal", signalUrl, "--dir", dir, "--loopback"],
    repoRoot(),
  );
  try {
    await chat.waitFor(/type to chat$/);
  } catch (error) {
    await chat.stop();
    throw error;
  }
  return chat;
}

/**
 * The READMEs' commands for Node (a project with the package and esbuild installed), run as
 * written there (read from the README text) in the package's scratch project, each README in a
 * network namespace of its own that looks like a machine on a LAN: the README's talk.ts, and the
 * Node blocks of client_server, ping_pong, room_chat and chat_cli. Root needed (the proof skips
 * this step without it).
 * @module
 */

import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LineProcess } from "../../harness/line_process.ts";
import { createLanNamespace, type LanNamespace } from "../support/lan_namespace.ts";
import { fillPlaceholders, shellBlocks, tsBlock } from "../support/readme_commands.ts";

/** The line a signalling server prints once it listens where the READMEs say it does. */
const LISTENING = /listening on ws:\/\/(localhost|127\.0\.0\.1):8765$/;
const ID = /[0-9a-f]{64}/;

/** Throws unless `commands` has `count` entries, naming the README. */
function expectCount(commands: string[], count: number, readme: string): void {
  if (commands.length !== count) {
    throw new Error(
      `${readme}: expected ${count} Node commands, found ${JSON.stringify(commands)}`,
    );
  }
}

/** Runs `scenario` with a fresh namespace and a runner of command lines in `cwd`. */
async function inNamespace(
  cwd: string,
  scenario: (run: (command: string, values?: Record<string, string>) => LineProcess) => Promise<
    void
  >,
): Promise<void> {
  const lan: LanNamespace = createLanNamespace();
  const running: LineProcess[] = [];
  try {
    await scenario((command, values = {}) => {
      const process = lan.shell(fillPlaceholders(command, values), cwd);
      running.push(process);
      return process;
    });
  } finally {
    for (const process of running) await process.stop();
    lan.destroy();
  }
}

/** Runs every README's Node commands in `scratch` (flnet and esbuild installed there). */
export async function runReadmeNodeCommands(root: string, scratch: string): Promise<void> {
  const readme = (path: string) => readFile(join(root, path), "utf8");
  await cp(join(root, "examples"), join(scratch, "examples"), { recursive: true });
  const [signal] = shellBlocks(await readme("examples/chat_cli/README.md"))[1];
  if (signal !== "npx flnet signal") throw new Error(`chat_cli's Node block starts ${signal}`);

  const top = await readme("README.md");
  await writeFile(join(scratch, "talk.ts"), tsBlock(top, "talk.ts"));
  const talk = shellBlocks(top)[2];
  expectCount(talk, 2, "README.md");
  await inNamespace(scratch, async (run) => {
    await run(signal).waitFor(LISTENING);
    const first = run(talk[0]);
    const firstId = (await first.waitFor(/^my id: /)).match(ID)![0];
    const second = run(talk[1], { "the first one's id": firstId });
    const secondId = (await second.waitFor(/^my id: /)).match(ID)![0];
    await first.waitFor(new RegExp(`^${secondId} ping$`), 30_000);
    await second.waitFor(new RegExp(`^${firstId} pong$`), 30_000);
  });

  const clientServer = shellBlocks(await readme("examples/client_server/README.md"))[1];
  expectCount(clientServer, 3, "client_server");
  await inNamespace(scratch, async (run) => {
    await run(clientServer[0]).waitFor(LISTENING);
    const server = run(clientServer[1]);
    const id = (await server.waitFor(/^server id: /)).match(ID)![0];
    const client = run(clientServer[2], { "server id": id });
    await client.waitFor(/^sent "ping"/, 30_000);
    if (await client.exited !== 0) throw new Error("client_server: the client did not exit 0");
    await server.waitFor(/: ping$/);
  });

  // ping_pong and room_chat: the Node command run twice (once the first one runs: both compile
  // to the same file), two nodes that find each other
  for (
    const [name, started, heard] of [
      ["ping_pong", /^node-1 is on ws:/, /^pong from node-1 in \d+ ms$/],
      ["room_chat", /^\* in room "lobby"/, /^\* bob joined$/],
    ] as const
  ) {
    const commands = shellBlocks(await readme(`examples/${name}/README.md`))[1];
    expectCount(commands, 2, name);
    await inNamespace(scratch, async (run) => {
      await run(commands[0]).waitFor(LISTENING);
      const first = run(commands[1]);
      await first.waitFor(started);
      const second = run(commands[1]);
      await first.waitFor(heard, 30_000);
      await second.waitFor(heard, 30_000);
    });
  }

  const chat = shellBlocks(await readme("examples/chat_cli/README.md"))[1];
  expectCount(chat, 2, "chat_cli");
  await inNamespace(scratch, async (run) => {
    await run(chat[0]).waitFor(LISTENING);
    const cli = run(chat[1]);
    await cli.waitFor(/^bob \([0-9a-f]{64}\) on ws:\/\/localhost:8765/);
    cli.write("/quit");
    if (await cli.exited !== 0) throw new Error("chat_cli: flnet did not exit 0 after /quit");
  });
}

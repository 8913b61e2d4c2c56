// deno-lint-ignore-file no-console
/**
 * The room chat on Deno or Node: `main.ts TOPIC --name NAME [--signal ws://localhost:8765]
 * [--loopback]`; each line typed goes to the room, `/members` lists who is in it.
 * @module
 */

import process from "node:process";
import { createInterface } from "node:readline";
import { candidateFilters, MemoryStorage, nodeStart } from "flnet/node";
import { joinRoomChat } from "./room_chat.ts";

const args = process.argv.slice(2);
const option = (name: string) => args.includes(name) ? args[args.indexOf(name) + 1] : undefined;
const topic = args[0]?.startsWith("--") ? undefined : args[0];
if (!topic) {
  console.error("usage: main.ts TOPIC [--name NAME] [--signal URL] [--loopback]");
  process.exit(2);
}
const loopback = args.includes("--loopback");
// a new identity each run, kept in memory only
const node = await nodeStart(new MemoryStorage(), option("--signal") ?? "ws://localhost:8765", {
  newConfig: { name: option("--name") ?? "room-chat" },
  network: loopback ? { candidateFilter: candidateFilters.loopbackOnly } : {},
});
const say = await joinRoomChat(node, topic, (line) => console.log(line));
// Ctrl-C leaves the room too (node.close() tells the other members at once), as Ctrl-D does
process.once("SIGINT", () => void node.close().finally(() => process.exit(0)));
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "/members") {
    const room = await node.join(topic);
    console.log(`* ${room.members().length} others: ${room.members().join(", ")}`);
  } else if (line.trim()) {
    await say(line.trim()).catch((error) => console.log(`! not sent: ${error.message}`));
  }
}
await node.close();
process.exit(0);

// deno-lint-ignore-file no-console
/**
 * The `flnet` command (Node and Deno): a chat node that joins the gossip chat of an flnet
 * network, e.g. the one of the demo page. Lines typed on stdin are sent to everyone; messages
 * from others are printed as they arrive.
 *
 * @example Run it
 * ```sh
 * npx flnet --name ann --signal ws://localhost:8765     # from the npm package
 * deno run -A cli.ts --name ann                          # from a checkout
 * ```
 * @module
 */

import process from "node:process";
import { createInterface } from "node:readline";
import { candidateFilters } from "./net/candidates.ts";
import { walkArgs } from "./core/args.ts";
import { type LogLevel, logLevelFromVerbosity, setLogLevel } from "./core/log.ts";
import { serveSignalOnNode } from "./adapters/node/serve_signal.ts";
import { parseSignalArgs, signalUsage } from "./signal/args.ts";
import type { NodeID } from "./core/ids.ts";
import type { ChatMessage, Node } from "./node/node.ts";
import { type NodeNetworkOptions, nodeStart } from "./node.ts";

/** The usage text of the command. */
export const CHAT_USAGE = `flnet: a chat node on an flnet network (the demo page's chat)

Usage: flnet [options]        (in a checkout: deno run -A cli.ts [options])

  --signal URLS       signalling server, or several of one cluster, comma-separated
                      (default ws://localhost:8765)
  --name NAME         this node's name, on its first start (default: a random one)
  --dir DIR           where the identity and chat history are kept (default ./flnet-node)
  --ice URL           a STUN or TURN server, repeatable (stun:host:3478, turn:host:3478)
  --ice-user NAME     TURN user name
  --ice-pass SECRET   TURN password
  --relay             connect through TURN relays only
  --loopback          offer and accept 127.0.0.1 candidates only (tests on one machine)
  --engine NAME       wrtc (default) or node-datachannel
  -v, -vv             log info, debug
  -h, --help          show this text

Type a line to send it to everyone; /peers lists the connected nodes; /quit or Ctrl-D exits.
\`flnet signal --help\` runs a signalling server instead.`;

/** The parsed command line. */
export interface ChatOptions {
  /** Signalling server URLs: one, or several of a cluster. */
  signal: string[];
  /** Node name on first start. */
  name?: string;
  /** Storage directory. */
  dir: string;
  /** Network options (engine, ICE servers, policy, candidate filter). */
  network: NodeNetworkOptions;
  /** Log level. */
  logLevel: LogLevel;
  /** Print the usage and exit. */
  help: boolean;
}

/** Reads the command line; throws an Error naming a bad argument. */
export function parseChatArgs(args: string[]): ChatOptions {
  const options: ChatOptions = {
    signal: ["ws://localhost:8765"],
    dir: "./flnet-node",
    network: { iceServers: [] },
    logLevel: "warn",
    help: false,
  };
  const urls: string[] = [];
  let username: string | undefined;
  let credential: string | undefined;
  const { help, verbosity } = walkArgs(args, (arg, value) => {
    if (arg === "--signal") options.signal = value().split(",").map((url) => url.trim());
    else if (arg === "--name") options.name = value();
    else if (arg === "--dir") options.dir = value();
    else if (arg === "--ice") urls.push(value());
    else if (arg === "--ice-user") username = value();
    else if (arg === "--ice-pass") credential = value();
    else if (arg === "--relay") options.network.iceTransportPolicy = "relay";
    else if (arg === "--loopback") options.network.candidateFilter = candidateFilters.loopbackOnly;
    else if (arg === "--engine") {
      const engine = value();
      if (engine !== "wrtc" && engine !== "node-datachannel") {
        throw new Error(`--engine must be wrtc or node-datachannel, got "${engine}"`);
      }
      options.network.engine = engine;
    } else return false;
    return true;
  });
  options.help = help;
  for (const url of options.signal) {
    if (!/^wss?:\/\//.test(url)) {
      throw new Error(`--signal needs ws:// or wss:// URLs, got "${url}"`);
    }
  }
  if (options.network.iceTransportPolicy === "relay" && urls.length === 0) {
    throw new Error("--relay needs a TURN server: add --ice turn:host:port");
  }
  options.network.iceServers = urls.map((url) => ({ urls: url, username, credential }));
  if (options.network.engine === "node-datachannel" && options.network.candidateFilter) {
    options.network.bindAddress = "127.0.0.1";
  }
  options.logLevel = logLevelFromVerbosity(verbosity);
  return options;
}

/** One chat line as the command prints it. */
export function formatChat(message: ChatMessage): string {
  const time = new Date(message.created).toISOString().slice(11, 16);
  return `[${time}] ${message.name ?? message.author.slice(0, 8)}: ${message.text}`;
}

/**
 * Prints chat messages not printed before, changes of the node's neighbours, and losing or
 * regaining the signalling server.
 */
function follow(node: Node, print: (line: string) => void): void {
  let lost = false;
  // one line per change of state: an error is printed once until the server is lost or back
  // (requests that wait out a restart fail one after another, each saying the same)
  const told = new Set<string>();
  node.network.broker.tapOut((out) => {
    if (out.type !== "signal") return;
    if (out.state === "disconnected" && !lost) {
      lost = true;
      told.clear();
      print(`* lost the signalling server (${out.message}); reconnecting`);
    } else if (out.state === "ready" && lost) {
      lost = false;
      told.clear();
      print("* back on the signalling server");
    } else if (out.state === "error" && !lost && !told.has(out.code ?? "")) {
      told.add(out.code ?? "");
      print(`! signalling server: ${out.code}${out.message ? `: ${out.message}` : ""}`);
    }
  });
  const printed = new Set<string>();
  let neighbours = new Set<NodeID>();
  let busy = Promise.resolve();
  node.subscribe((snapshot) => {
    const connected = new Set(snapshot.random?.connected ?? []);
    const joined = [...connected].filter((id) => !neighbours.has(id));
    const left = [...neighbours].filter((id) => !connected.has(id));
    neighbours = connected;
    busy = busy.then(async () => {
      const names = new Map((await node.knownNodes()).map((info) => [info.pubkey, info.name]));
      for (const id of joined) print(`* connected to ${names.get(id) ?? id.slice(0, 8)}`);
      for (const id of left) print(`* disconnected from ${names.get(id) ?? id.slice(0, 8)}`);
      for (const message of await node.chatHistory()) {
        const key = `${message.author}/${message.created}/${message.text}`;
        if (!printed.has(key) && message.author !== node.id) print(formatChat(message));
        printed.add(key);
      }
    }).catch((error) => print(`! ${error.message}`));
  });
}

/** Runs the command with `args` until stdin ends or `/quit`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  if (args[0] === "signal") return await signalMain(args.slice(1));
  let options: ChatOptions;
  try {
    options = parseChatArgs(args);
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${CHAT_USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(CHAT_USAGE);
    return 0;
  }
  setLogLevel(options.logLevel);
  let node: Node;
  try {
    node = await nodeStart(options.dir, options.signal, {
      newConfig: {
        client: `flnet/${"Deno" in globalThis ? "deno" : "node"}-cli`,
        name: options.name,
      },
      network: options.network,
    });
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 1;
  }
  console.log(
    `${node.config.info.name} (${node.id}) on ${options.signal.join(", ")}; type to chat`,
  );
  follow(node, (line) => console.log(line));
  for await (const line of createInterface({ input: process.stdin })) {
    const text = line.trim();
    if (text === "/quit") break;
    if (text === "/peers") {
      const names = new Map((await node.knownNodes()).map((info) => [info.pubkey, info.name]));
      const peers = node.connectedNodes().map((id) => names.get(id) ?? id.slice(0, 8));
      console.log(`* connected: ${peers.join(", ") || "nobody yet"}`);
    } else if (text) {
      await node.sendChat(text).catch((error) => console.log(`! not sent: ${error.message}`));
    }
  }
  await node.close();
  return 0;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));

/**
 * `flnet signal [options]`: the signalling server (on `node:http` and `ws`), with the options
 * of `deno run -A signal/main.ts`; runs until SIGINT or SIGTERM.
 */
export async function signalMain(args: string[]): Promise<number> {
  const usage = signalUsage("flnet signal");
  let options;
  try {
    options = parseSignalArgs(args);
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
  setLogLevel(logLevelFromVerbosity(options.verbosity));
  const { verbosity: _, help: __, ...serveOptions } = options;
  let running;
  try {
    running = await serveSignalOnNode(serveOptions);
  } catch (error) {
    console.error(`error: cannot start the server: ${(error as Error).message}`);
    return 1;
  }
  const signal = await new Promise<string>((resolve) => {
    for (const name of ["SIGINT", "SIGTERM"] as const) process.once(name, () => resolve(name));
    // Printed last: whoever waits for this line may signal the server at once.
    console.log(`flnet signalling server listening on ${running.url}`);
  });
  console.log(`${signal}: shutting down`);
  await running.close();
  return 0;
}

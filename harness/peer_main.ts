// deno-lint-ignore-file no-console
/**
 * A test peer that runs on Deno (`deno run -A harness/peer_main.ts`) and on Node (the
 * same file bundled by esbuild). It prints JSON lines on stdout:
 *
 *     --mode echo   prints {"event":"ready","id":…}, then sends every message back
 *     --mode sink   prints ready, then {"event":"message","bytes":n,"text"?} per message
 *     --mode target prints ready, reads every message and answers one whose text starts with
 *                   "ping" with "pong" and the rest of it; prints {"event":"disconnected","id",
 *                   "reason"} as connections end (for floods: a target and an honest node)
 *     --mode sender reads {"to":ID,"data":"text"} lines on stdin, sends each and prints
 *                   {"event":"sent","data"} or {"event":"failed","data","code","message"};
 *                   prints {"event":"connected"|"disconnected","id"} as connections change
 *     --mode drive  --to ID: sends text, bytes and 200 numbered messages to an echo peer,
 *                   checks the echoes, prints {"event":"result","ok":…} and exits
 *     --mode node   runs a full Node (fast test timings, see FAST_NODE, publishing its neighbour
 *                   list every second; in --dir DIR when given),
 *                   prints ready, then {"event":"chat",…} per chat message; reads {"chat":"text"}
 *                   lines on stdin, printing {"event":"chat-stored","text"} once sendChat resolved,
 *                   and {"history":true}, printing {"event":"history","texts":[…]}
 *     --mode swarm  --count N: runs N full Nodes on one timer, prints {"event":"ready","ids"}; on
 *                   {"report":true} prints {"event":"report","nodes":[{id,peers,setupVia,open,chats}]};
 *                   on {"chat":"text","from":i} node i sends a chat message
 *
 * Options: --drop-relays (a black hole: the node stays alive but never passes on a setup message
 * it should carry to a neighbour; prints {"event":"dropped-relay"} for each), --signal URL,
 * --engine wrtc|node-datachannel, --network JSON (extra network options
 * such as iceServers and iceTransportPolicy), --name NAME, --address IP (gather on IP and use only
 * ICE candidates in its /24 instead of 127.0.0.1: for tests in network namespaces), --nat (with
 * --address: keep server-reflexive and relay candidates too, for hosts behind a NAT).
 * @module
 */

import process from "node:process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { IntervalTimer } from "../core/timer.ts";
import {
  networkStart,
  NodeConfig,
  type NodeNetworkOptions,
  nodeStart,
  type WebRTCEngine,
} from "../node.ts";
import { FAST_NODE, loopback, loopbackFullNode, randomBytes, sha256 } from "./network.ts";
import type { Node } from "../node/node.ts";
import { loadWebRTCEngine } from "../adapters/node/webrtc.ts";
import { OVERLAY_SIGNAL_MODULE } from "../net/control.ts";
import type { RTCPeerConnectionConstructor } from "../net/peer_setup.ts";

/**
 * How each of `node`'s connections was set up, by peer (every state), and which are open (a
 * peer the random connections module lists may be closing or set up anew at that moment).
 */
async function setupRoutesOf(
  node: Node,
): Promise<{ setupVia: Record<string, string>; open: string[] }> {
  const connections = await node.network.connections();
  return {
    setupVia: Object.fromEntries(connections.map((c) => [c.id, c.status.setupVia ?? "unknown"])),
    open: connections.filter((c) => c.status.state === "open").map((c) => c.id),
  };
}

function arg(name: string, fallback?: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

const print = (event: Record<string, unknown>) => console.log(JSON.stringify(event));
const engine = arg("engine", "wrtc") as WebRTCEngine;
const mode = arg("mode");
const runtime = "Deno" in globalThis ? "deno" : "node";
const extra = JSON.parse(arg("network", "{}")) as NodeNetworkOptions;
if (mode === "swarm") {
  const count = Number(arg("count"));
  const timer = new IntervalTimer(100);
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push(await loopbackFullNode(arg("signal"), engine, timer, `swarm-${i}`));
  }
  print({ event: "ready", id: nodes[0].id, ids: nodes.map((node) => node.id) });
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line) as { report?: boolean; chat?: string; from?: number };
    if (command.chat !== undefined) await nodes[command.from ?? 0].sendChat(command.chat);
    if (command.report) {
      print({
        event: "report",
        nodes: await Promise.all(nodes.map(async (node) => ({
          id: node.id,
          peers: node.connectedNodes(),
          ...await setupRoutesOf(node),
          chats: (await node.chatHistory()).map((message) => message.text),
        }))),
      });
    }
  }
  await new Promise(() => {}); // runs until killed
}
if (mode === "node") {
  const dir = process.argv.includes("--dir")
    ? arg("dir")
    : await mkdtemp(join(tmpdir(), "flnet-peer-"));
  const node = await nodeStart(dir, arg("signal"), {
    ...FAST_NODE,
    timer: new IntervalTimer(100),
    neighbourListTicks: 10, // so that pages in a test can draw this node's connections
    newConfig: { name: arg("name", `node-${runtime}-${engine}`), client: `flnet/${runtime}` },
    network: loopback(engine, { disconnectGraceMs: 1000, ...extra }),
  });
  print({ event: "ready", id: node.id, runtime, engine });
  let printed = 0;
  node.subscribe(async () => {
    const history = await node.chatHistory();
    for (const message of history.slice(printed)) print({ event: "chat", ...message });
    printed = Math.max(printed, history.length);
  });
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line) as { chat?: string; history?: boolean };
    if (command.chat !== undefined) {
      await node.sendChat(command.chat);
      print({ event: "chat-stored", text: command.chat });
    }
    if (command.history) {
      print({ event: "history", texts: (await node.chatHistory()).map((m) => m.text) });
    }
  }
  await new Promise(() => {}); // runs until killed
}
if (process.argv.includes("--drop-relays")) extra.RTCPeerConnection = await dropRelays(engine);
const address = process.argv.includes("--address") ? arg("address") : undefined;
const net = await networkStart(
  await NodeConfig.create({ name: `${mode}-${runtime}-${engine}`, client: `flnet/${runtime}` }),
  arg("signal"),
  address
    ? {
      engine,
      ...(process.argv.includes("--nat") ? {} : {
        candidateFilter: (c: { address: string }) =>
          c.address.startsWith(address.replace(/\.\d+$/, ".")),
      }),
      ...(engine === "node-datachannel" ? { bindAddress: address } : {}),
      ...extra,
    }
    : loopback(engine, extra),
);
print({ event: "ready", id: net.id, runtime, engine });

if (mode === "echo") {
  for await (const msg of net) await net.send(msg.from, msg.data);
} else if (mode === "target") {
  net.onPeer((event) => {
    if (event.type === "disconnected") {
      print({ event: event.type, id: event.id, reason: event.reason });
    }
  });
  for await (const msg of net) {
    if (typeof msg.data === "string" && msg.data.startsWith("ping")) {
      net.send(msg.from, "pong" + msg.data.slice(4)).catch(() => {});
    }
  }
} else if (mode === "sink") {
  for await (const msg of net) {
    const text = typeof msg.data === "string" ? { text: msg.data } : {};
    print({ event: "message", bytes: msg.data.length, ...text });
  }
} else if (mode === "sender") {
  net.broker.tapOut((out) => {
    if (out.type === "connected" || out.type === "disconnected") {
      print({ event: out.type, id: out.id });
    }
  });
  for await (const line of createInterface({ input: process.stdin })) {
    const { to, data } = JSON.parse(line) as { to: string; data: string };
    net.send(to, data).then(
      () => print({ event: "sent", data }),
      (error) => print({ event: "failed", data, code: error.code, message: error.message }),
    );
  }
} else if (mode === "drive") {
  const to = arg("to");
  const problems: string[] = [];
  const expect = async (what: string, check: (data: string | Uint8Array) => Promise<boolean>) => {
    const msg = await net.recv();
    if (msg.from !== to || !(await check(msg.data))) problems.push(`${what} came back wrong`);
  };
  await net.send(to, "hello from " + runtime);
  await expect("text", (d) => Promise.resolve(d === "hello from " + runtime));
  const bytes = randomBytes(300_000);
  await net.send(to, bytes);
  const digest = await sha256(bytes);
  await expect("bytes", async (d) => d instanceof Uint8Array && await sha256(d) === digest);
  await Promise.all(Array.from({ length: 200 }, (_, i) => net.send(to, `n${i}`)));
  for (let i = 0; i < 200; i++) await expect(`message ${i}`, (d) => Promise.resolve(d === `n${i}`));
  const [status] = await net.connections();
  print({ event: "result", ok: problems.length === 0, problems, status: status?.status });
  await net.close();
  process.exit(problems.length === 0 ? 0 : 1);
}

/**
 * `engine`'s RTCPeerConnection, whose data channels do not send a frame carrying a setup message
 * through the overlay (the bytes of the module name `\0sig` in it; the suites send text only).
 */
async function dropRelays(engine: WebRTCEngine): Promise<RTCPeerConnectionConstructor> {
  const Base = await loadWebRTCEngine(engine) as unknown as new (
    config?: RTCConfiguration,
  ) => RTCPeerConnection;
  const marker = new TextEncoder().encode(OVERLAY_SIGNAL_MODULE);
  const carries = (frame: Uint8Array) =>
    frame.some((_, i) => marker.every((byte, j) => frame[i + j] === byte));
  class Dropping extends Base {
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const dc = super.createDataChannel(label, init);
      const send = dc.send.bind(dc) as (data: Uint8Array) => void;
      (dc as { send: (data: Uint8Array) => void }).send = (data: Uint8Array) => {
        if (!carries(data)) return send(data);
        print({ event: "dropped-relay" });
      };
      return dc;
    }
  }
  return Dropping as unknown as RTCPeerConnectionConstructor;
}

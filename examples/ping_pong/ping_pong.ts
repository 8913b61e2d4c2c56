/**
 * The ping_pong example's module, written once against the broker and run unchanged by the
 * Node, Deno and browser mains: every round it asks the signalling server for the nodes,
 * pings each of them, answers pings with pongs, and reports pongs with their round-trip time.
 * @module
 */

import { Broker, type NetworkBroker, type NetworkIn, type NetworkOut, type NodeID } from "flnet";

/** The module name its messages travel under. */
export const PING_PONG = "ping-pong";

/** Inputs: the network's outputs, and a new round. */
export type PingPongIn = { type: "network"; out: NetworkOut } | { type: "round" };

/** Outputs: requests for the network, and what happened. */
export type PingPongOut =
  | { type: "network"; in: NetworkIn }
  | { type: "pong"; from: NodeID; name: string; rttMs: number }
  | { type: "ping"; from: NodeID; name: string }
  | { type: "problem"; text: string };

type Wire = { kind: "ping" | "pong"; name: string; sent: number };

function parseWire(data: string | Uint8Array): Wire | undefined {
  try {
    const wire = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
    const ok = (wire.kind === "ping" || wire.kind === "pong") && typeof wire.name === "string" &&
      typeof wire.sent === "number";
    return ok ? wire : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the module as `name` and links it on top of `network`. */
export function startPingPong(
  network: NetworkBroker,
  name: string,
): Broker<PingPongIn, PingPongOut> {
  const pingPong = new Broker<PingPongIn, PingPongOut>(PING_PONG);
  const send = (to: NodeID, kind: Wire["kind"], sent: number): PingPongOut => ({
    type: "network",
    in: { type: "send", to, module: PING_PONG, data: JSON.stringify({ kind, name, sent }) },
  });
  pingPong.addHandler({
    messages: (batch) =>
      batch.flatMap((msg): PingPongOut[] => {
        if (msg.type === "round") return [{ type: "network", in: { type: "list" } }];
        const out = msg.out;
        if (out.type === "nodes") {
          return out.nodes.map((node) => send(node.pubkey as NodeID, "ping", Date.now()));
        }
        if (out.type === "error") return [{ type: "problem", text: `${out.code}: ${out.message}` }];
        if (out.type !== "message" || out.module !== PING_PONG) return [];
        const wire = parseWire(out.data);
        if (!wire) return [{ type: "problem", text: `unreadable message from ${out.from}` }];
        if (wire.kind === "ping") {
          return [
            { type: "ping", from: out.from, name: wire.name },
            send(out.from, "pong", wire.sent),
          ];
        }
        return [{ type: "pong", from: out.from, name: wire.name, rttMs: Date.now() - wire.sent }];
      }),
  });
  pingPong.linkChain(
    network,
    (out) => out.type === "network" ? out.in : undefined,
    (out) => ({ type: "network", out }),
  );
  return pingPong;
}

/** Runs rounds every `intervalMs` and prints what happens; returns a function that stops it. */
export function runPingPong(
  network: NetworkBroker,
  name: string,
  print: (line: string) => void,
  intervalMs = 1000,
): () => void {
  const pingPong = startPingPong(network, name);
  pingPong.tapOut((out) => {
    if (out.type === "pong") print(`pong from ${out.name} in ${out.rttMs} ms`);
    else if (out.type === "ping") print(`ping from ${out.name}`);
    else if (out.type === "problem") print(`problem: ${out.text}`);
  });
  const timer = setInterval(() => pingPong.enqueueIn({ type: "round" }), intervalMs);
  pingPong.enqueueIn({ type: "round" });
  return () => clearInterval(timer);
}

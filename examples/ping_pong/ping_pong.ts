/**
 * The ping_pong example's module, written once against the broker and run unchanged by the
 * Node, Deno and browser mains: every round it asks the signalling server for the nodes,
 * pings each of them, answers pings with pongs, and reports pongs with their round-trip time.
 * @module
 */

import { Broker, type NodeID, type NodeInfo } from "flnet";
import { linkModule, type ModuleLinkIn, type NetworkBroker } from "flnet/modules";

/** The module name its messages travel under. */
export const PING_PONG = "ping-pong";

/**
 * Inputs: the messages for the module and the failures of its sends (`linkModule` hands them
 * over), the nodes the signalling server listed, and a new round.
 */
export type PingPongIn = ModuleLinkIn | { type: "nodes"; nodes: NodeInfo[] } | { type: "round" };

/** Outputs: a message to send, a request for the node list, and what happened. */
export type PingPongOut =
  | { type: "send"; to: NodeID; data: string }
  | { type: "list" }
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
    type: "send",
    to,
    data: JSON.stringify({ kind, name, sent }),
  });
  pingPong.addHandler({
    messages: (batch) =>
      batch.flatMap((msg): PingPongOut[] => {
        switch (msg.type) {
          case "round":
            return [{ type: "list" }];
          case "nodes":
            return msg.nodes.map((node) => send(node.pubkey as NodeID, "ping", Date.now()));
          case "send-failed":
            return [{ type: "problem", text: `${msg.code}: ${msg.message}` }];
        }
        const wire = parseWire(msg.data);
        if (!wire) return [{ type: "problem", text: `unreadable message from ${msg.from}` }];
        if (wire.kind === "ping") {
          return [
            { type: "ping", from: msg.from, name: wire.name },
            send(msg.from, "pong", wire.sent),
          ];
        }
        return [{ type: "pong", from: msg.from, name: wire.name, rttMs: Date.now() - wire.sent }];
      }),
  });
  // its messages travel under its name; the node list comes from the network broker itself
  linkModule(
    pingPong,
    network,
    PING_PONG,
    (out) => out.type === "send" ? out : undefined,
    (msg) => msg,
  );
  pingPong.linkChain(
    network,
    (out) => out.type === "list" ? out : undefined,
    (out) => out.type === "nodes" ? out : undefined,
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

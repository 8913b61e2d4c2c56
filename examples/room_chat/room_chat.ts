/**
 * A room chat, written once for every runtime: joins the room `topic` on a running Node,
 * prints what the other members say and who comes and goes, and returns a function that says
 * something to the room.
 * @module
 */

import type { Node, NodeID } from "flnet";

/** Joins `topic` on `node`; `print` gets one line per event. Returns how to speak. */
export async function joinRoomChat(
  node: Node,
  topic: string,
  print: (line: string) => void,
): Promise<(text: string) => Promise<void>> {
  const nameOf = async (id: NodeID) =>
    (await node.knownNodes()).find((info) => info.pubkey === id)?.name ?? id.slice(0, 8);
  const room = await node.join(topic);
  room.onMessage(async (message) => print(`${await nameOf(message.from)}: ${message.data}`));
  room.onMember(async (event) => print(`* ${await nameOf(event.id)} ${event.type}`));
  print(`* in room "${topic}" as ${node.config.info.name}`);
  return (text) => room.publish(text);
}

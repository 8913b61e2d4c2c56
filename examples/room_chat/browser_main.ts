/**
 * The room chat in a page (index.html): `?room=TOPIC`, `?name=NAME`, `?candidates=loopback`;
 * the signalling server is the one that served the page.
 * @module
 */

import { candidateFilters, nodeStart } from "flnet/browser";
import { joinRoomChat } from "./room_chat.ts";

const params = new URLSearchParams(location.search);
const topic = params.get("room") ?? "lobby";
const { node } = await nodeStart(
  `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`,
  {
    sameIdentity: "tab",
    newConfig: { name: params.get("name") ?? "page" },
    network: params.get("candidates") === "loopback"
      ? { candidateFilter: candidateFilters.loopbackOnly }
      : {},
  },
);
const log = document.getElementById("log")!;
const say = await joinRoomChat(node, topic, (line) => log.append(`${line}\n`));
document.getElementById("say")!.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("text") as HTMLInputElement;
  const text = input.value.trim();
  input.value = "";
  // a terminal shows what was typed; a page shows it once the room has it
  if (!text) return;
  say(text).then(
    () => log.append(`${node.config.info.name} (you): ${text}\n`),
    (error) => log.append(`! not sent: ${error.message}\n`),
  );
});

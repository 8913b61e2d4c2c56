/**
 * The demo page: starts a browser node on the signalling server that served the page and shows
 * its identity, the network it sees, its peers (ids to copy, messages, bytes, round-trip
 * times), a gossip chat and its connection events. Settings come
 * from the address: `?name=ann` (first start only), `?ice=stun:host:3478` and
 * `?ice=turn:host:3478&ice-user=u&ice-pass=p` (repeatable), `?policy=relay`,
 * `?candidates=loopback`, `?signal=ws://host:port`, `?log=debug` (the browser console).
 * @module
 */

import {
  type BrowserNode,
  candidateFilters,
  type ChatMessage,
  IdentityInUseError,
  type LogLevel,
  type NodeID,
  nodeStart,
  setLogLevel,
  type WebNetworkOptions,
} from "../browser.ts";
import { LOG_LEVELS, NEIGHBOUR_LIST_REFRESH_PERIODS } from "../modules.ts";
import { layoutPicture, pathType, renderPicture } from "./picture.ts";
import { PeerCounters, renderPeerList } from "./peer_list.ts";

/** The demo's networks are small: its nodes tell each other their neighbours every 5 s. */
const LIST_TICKS = 5;
/** How long a list that did not change is good for (the node publishes it again then). */
const LIST_REFRESH_TICKS = LIST_TICKS * NEIGHBOUR_LIST_REFRESH_PERIODS;

const params = new URLSearchParams(location.search);
const logLevel = params.get("log") as LogLevel;
if (LOG_LEVELS.includes(logLevel)) setLogLevel(logLevel);
const signalUrl = params.get("signal") ??
  `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`;

function element<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function networkOptions(): WebNetworkOptions {
  const username = params.get("ice-user") ?? undefined;
  const credential = params.get("ice-pass") ?? undefined;
  return {
    iceServers: params.getAll("ice").map((urls) => ({ urls, username, credential })),
    iceTransportPolicy: params.get("policy") === "relay" ? "relay" : "all",
    ...(params.get("candidates") === "loopback"
      ? { candidateFilter: candidateFilters.loopbackOnly }
      : {}),
  };
}

function time(ms: number): string {
  return new Date(ms).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

function logEvent(text: string, problem = false): void {
  const item = document.createElement("li");
  if (problem) item.className = "problem";
  const stamp = document.createElement("span");
  stamp.className = "time";
  stamp.textContent = time(Date.now());
  item.append(stamp, text);
  element("log").prepend(item);
}

function showChat(messages: ChatMessage[], self: NodeID): void {
  const list = element<HTMLOListElement>("chat-list");
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.replaceChildren(...messages.map((message) => {
    const item = document.createElement("li");
    item.dataset.author = message.author;
    if (message.author === self) item.className = "mine";
    const stamp = document.createElement("span");
    stamp.className = "time";
    stamp.textContent = time(message.created);
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = (message.name ?? message.author.slice(0, 8)) +
      (message.author === self ? " (you)" : "");
    item.append(stamp, author, message.text);
    return item;
  }));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/** Keeps the page in step with the node; renders at most every 100 ms. */
function watch({ node }: BrowserNode): void {
  const names = new Map<NodeID, string>();
  const counters = new PeerCounters();
  const paths = new Map<NodeID, string | undefined>();
  let pending: ReturnType<typeof setTimeout> | undefined;
  // what the header says: connections, and whether the signalling server is there
  let serverLost = "";
  let lastFailure = "";
  const showStatus = (connected: number) => {
    const people = connected > 0
      ? "connected"
      : lastFailure
      ? `no connection to any node yet: ${lastFailure}`
      : "waiting for other nodes";
    const server = serverLost ? ` · signalling server lost (${serverLost}); reconnecting` : "";
    element("status").textContent = people + server;
    element("status").classList.toggle(
      "problem",
      Boolean(serverLost || (!connected && lastFailure)),
    );
  };
  const render = async () => {
    pending = undefined;
    const snapshot = node.snapshot(); // the latest, not the one that scheduled this render
    for (const info of await node.knownNodes()) names.set(info.pubkey as NodeID, info.name);
    const connected = snapshot.random?.connected ?? [];
    const stats = snapshot.stat?.connections ?? {};
    for (const id of connected) {
      const path = pathType(stats[id]);
      const name = names.get(id) ?? id.slice(0, 8);
      if (!paths.has(id)) logEvent(`connected to ${name}`);
      if (path && paths.get(id) !== path) {
        const { localAddress, remoteAddress } = stats[id];
        const where = localAddress && remoteAddress ? ` ${localAddress} ↔ ${remoteAddress}` : "";
        logEvent(`${name}: ${path} path${where}`);
      }
      paths.set(id, path ?? paths.get(id));
    }
    for (const id of [...paths.keys()].filter((id) => !connected.includes(id))) {
      logEvent(`disconnected from ${names.get(id) ?? id.slice(0, 8)}`);
      paths.delete(id);
    }
    // a list not renewed for its refresh time is the last word of a node that left
    const fresh = Date.now() - LIST_REFRESH_TICKS * 1000 * 1.5;
    const lists = (await node.neighbourLists()).filter((list) => list.created > fresh);
    const picture = layoutPicture({
      self: { id: node.id, name: node.config.info.name },
      known: names,
      connected,
      stats,
      lists,
    });
    element("picture").innerHTML = renderPicture(picture);
    counters.keepOnly(connected);
    updateRows(
      element("peer-rows"),
      renderPeerList(
        connected.toSorted().map((id) => ({
          id,
          name: names.get(id) ?? id.slice(0, 8),
          path: pathType(stats[id]),
          messages: {
            in: stats[id]?.messagesReceived ?? 0,
            out: stats[id]?.messagesSent ?? 0,
          },
          bytes: { in: stats[id]?.bytesReceived ?? 0, out: stats[id]?.bytesSent ?? 0 },
          rtt: counters.rtt(id),
        })),
      ),
    );
    // the nodes drawn are those there now; the directory also names nodes that left
    element("counts").textContent = `${connected.length} connected · ${
      picture.nodes.length - 1
    } other nodes there`;
    showStatus(connected.length);
    showChat(await node.chatHistory(), node.id);
  };
  node.network.broker.tapOut((out) => {
    if (out.type === "error") {
      const about = out.to ? ` (${names.get(out.to) ?? out.to.slice(0, 8)})` : "";
      logEvent(`${out.code}${about}: ${out.message}`, true);
      if (out.code === "setup-timeout" || out.code === "setup-failed") {
        lastFailure = out.message;
        showStatus(node.connectedNodes().length);
      }
    } else if (out.type === "signal") {
      const problem = out.state === "error" || out.state === "disconnected";
      logEvent(`signalling server: ${out.state}${out.message ? `: ${out.message}` : ""}`, problem);
      if (out.state === "disconnected") serverLost = out.message ?? "disconnected";
      if (out.state === "ready") serverLost = "";
      showStatus(node.connectedNodes().length);
    } else if (out.type === "connected") {
      lastFailure = "";
    } else if (
      out.type === "disconnected" && (out.code === "setup-timeout" || out.code === "setup-failed")
    ) {
      // an attempt to connect that never opened (the random connections module asked for it)
      logEvent(`${names.get(out.id) ?? out.id.slice(0, 8)}: ${out.reason}`, true);
      lastFailure = out.reason;
      showStatus(node.connectedNodes().length);
    }
  });
  const schedule = () => {
    pending ??= setTimeout(() => render().catch((e) => logEvent(String(e), true)), 100);
  };
  node.subscribe(schedule);
  // each peer's round-trip time, once a second, for its sparkline
  setInterval(() => {
    const stats = node.snapshot().stat?.connections ?? {};
    for (const id of node.connectedNodes()) {
      const rtt = stats[id]?.pingMs ?? stats[id]?.rttMs;
      if (rtt !== undefined) counters.sampleRtt(id, rtt);
    }
    schedule();
  }, 1_000);
  copyOnClick(element("peers"), logEvent);
  element<HTMLFormElement>("chat-form").addEventListener("submit", () => {
    const input = element<HTMLInputElement>("chat-input");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    node.sendChat(text).catch((error) => logEvent(`chat not sent: ${error.message}`, true));
  });
}

/**
 * Puts the rows of `html` into `body`, keeping the cells that did not change (an id being
 * selected, a button saying "copied") instead of rewriting the table every second.
 */
function updateRows(body: HTMLElement, html: string): void {
  const fresh = document.createElement("tbody");
  fresh.innerHTML = html;
  const old = new Map(
    [...body.querySelectorAll<HTMLElement>("tr[data-id]")].map((row) => [row.dataset.id, row]),
  );
  const rows = [...fresh.children].map((row) => {
    const kept = old.get((row as HTMLElement).dataset.id);
    if (!kept) return row;
    [...row.children].forEach((cell, i) => {
      const current = kept.children[i];
      if (cell.classList.contains("peer-id") && current?.classList.contains("peer-id")) return;
      if (current?.outerHTML !== cell.outerHTML) current?.replaceWith(cell.cloneNode(true));
    });
    return kept;
  });
  body.replaceChildren(...rows);
}

/**
 * Copies the id of a peer's copy button to the clipboard; where the page may not write it (not
 * a secure context), selects the id for the person to copy, and says which happened.
 */
function copyOnClick(table: HTMLElement, say: (text: string, problem?: boolean) => void): void {
  table.addEventListener("click", (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>("[data-copy]");
    if (!button) return;
    const id = button.dataset.copy!;
    const select = () => {
      const code = button.parentElement!.querySelector("code")!;
      getSelection()?.selectAllChildren(code);
      say(`selected ${id.slice(0, 8)}'s id: copy it with Ctrl+C`);
    };
    if (!navigator.clipboard) return select();
    navigator.clipboard.writeText(id).then(
      () => {
        button.textContent = "copied";
        setTimeout(() => button.textContent = "copy", 1_500);
      },
      select,
    );
  });
}

/** Seconds before a failed start is tried again (it doubles, up to a minute). */
let retrySeconds = 2;

async function join(sameIdentity: "refuse" | "tab"): Promise<void> {
  element("status").textContent = "connecting to the signalling server";
  let running: BrowserNode;
  try {
    running = await nodeStart(signalUrl, {
      sameIdentity,
      network: networkOptions(),
      newConfig: {
        client: "flnet/browser",
        ...(params.has("name") ? { name: params.get("name")! } : {}),
      },
      stat: { intervalTicks: 2 },
      neighbourListTicks: LIST_TICKS,
    });
  } catch (error) {
    if (error instanceof IdentityInUseError) {
      element("identity-message").textContent = error.message;
      element("identity-in-use").hidden = false;
      element("status").textContent = "not started: identity in use";
    } else {
      element("status").textContent = `failed: ${
        (error as Error).message
      }; trying again in ${retrySeconds} s`;
      logEvent((error as Error).message, true);
      setTimeout(() => void join(sameIdentity), retrySeconds * 1000);
      retrySeconds = Math.min(60, retrySeconds * 2);
    }
    return;
  }
  element("identity-in-use").hidden = true;
  element("name").textContent = running.node.config.info.name;
  element("id").textContent = running.node.id;
  element("identity").textContent = {
    origin: "this site's (kept in localStorage)",
    tab: "this tab's own (kept in sessionStorage)",
    temporary: "temporary (gone when the page closes)",
  }[running.identity];
  element("status").textContent = "waiting for other nodes";
  logEvent(`joined ${signalUrl} as ${running.node.config.info.name}`);
  addEventListener("pagehide", () => void running.close());
  watch(running);
  showChat(await running.node.chatHistory(), running.node.id);
}

// the chat form never reloads the page (which would drop the address's settings); before the
// node runs, a message says so
element<HTMLFormElement>("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (element("id").textContent === "…") {
    logEvent("not started yet: the message was not sent", true);
  }
});

element("use-tab-identity").addEventListener("click", () => void join("tab"));
await join("refuse");

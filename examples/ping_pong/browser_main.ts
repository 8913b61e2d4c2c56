/**
 * ping_pong in a page (index.html): `?name=NAME`, `?candidates=loopback`; the signalling
 * server is the one that served the page.
 * @module
 */

import { candidateFilters, networkStart, NodeConfig } from "flnet/browser";
import { runPingPong } from "./ping_pong.ts";

const params = new URLSearchParams(location.search);
const name = params.get("name") ?? "browser";
const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`;
const net = await networkStart(await NodeConfig.create({ name }), url, {
  ...(params.get("candidates") === "loopback"
    ? { candidateFilter: candidateFilters.loopbackOnly }
    : {}),
});
const log = document.getElementById("log")!;
const print = (line: string) => log.append(`${line}\n`);
print(`${name} is on ${url}`);
runPingPong(net.broker, name, print);

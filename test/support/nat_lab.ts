/**
 * Two hosts behind two NAT routers and one host on the "public" side, in network namespaces
 * (root, `ip` and `nft` needed; nothing in it routes outside the machine):
 *
 *     a (10.214.11.2) -- ra [NAT] --+
 *                                   +-- pub: bridge 10.214.20.1 (signalling server, coturn)
 *     b (10.214.12.2) -- rb [NAT] --+      c (10.214.20.3, no NAT)
 *
 * The routers masquerade with `fully-random` ports, a new port for every destination as Linux
 * NAT does under load (no STUN-learned address works for another peer), and drop whatever comes
 * in from outside unasked. Routers do not route between the two private networks.
 * @module
 */

import { spawnSync } from "node:child_process";

/** The namespaces programs run in. */
export type NatHost = "a" | "b" | "c" | "pub";

/** A running lab. */
export interface NatLab {
  /** The command prefix that runs a program on `host`. */
  inNamespace(host: NatHost): string[];
  /** Each host's own address. */
  address: Record<NatHost, string>;
  /** Removes every namespace. */
  destroy(): void;
}

function run(command: string, args: string[], input?: string): void {
  const result = spawnSync(command, args, { encoding: "utf8", input });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")}: ${(result.stderr || result.error)?.toString()}`);
  }
}

/** A router's NAT and firewall: masquerade out of wan0, nothing in unless it answers. */
const ROUTER_RULES = `table ip nat {
  chain post { type nat hook postrouting priority 100; oifname "wan0" masquerade fully-random; }
}
table inet guard {
  chain forward {
    type filter hook forward priority 0; policy drop;
    iifname "lan0" oifname "wan0" accept
    iifname "wan0" oifname "lan0" ct state established,related accept
  }
}
`;

/** Builds the lab with fresh namespace names. */
export function createNatLab(): NatLab {
  const tag = `fn${Deno.pid % 100000}x${Math.floor(Math.random() * 1000)}`;
  const ns = {
    a: `${tag}a`,
    b: `${tag}b`,
    c: `${tag}c`,
    pub: `${tag}p`,
    ra: `${tag}ra`,
    rb: `${tag}rb`,
  };
  const made: string[] = [];
  const destroy = () => {
    for (const name of made.splice(0).reverse()) spawnSync("ip", ["netns", "delete", name]);
  };
  const ip = (...args: string[]) => run("ip", args);
  try {
    for (const name of Object.values(ns)) {
      ip("netns", "add", name);
      made.push(name);
      ip("-n", name, "link", "set", "lo", "up");
    }
    ip("-n", ns.pub, "link", "add", "br0", "type", "bridge");
    ip("-n", ns.pub, "addr", "add", "10.214.20.1/24", "dev", "br0");
    ip("-n", ns.pub, "link", "set", "br0", "up");
    /** A veth from `host` (as `inside`, with `address`) to the public bridge. */
    const toBridge = (host: string, inside: string, address: string, port: string) => {
      ip(
        "link",
        "add",
        port,
        "netns",
        ns.pub,
        "type",
        "veth",
        "peer",
        "name",
        inside,
        "netns",
        host,
      );
      ip("-n", ns.pub, "link", "set", port, "master", "br0");
      ip("-n", ns.pub, "link", "set", port, "up");
      ip("-n", host, "addr", "add", address, "dev", inside);
      ip("-n", host, "link", "set", inside, "up");
    };
    toBridge(ns.c, "eth0", "10.214.20.3/24", "pc");
    for (const [side, net] of [["a", 11], ["b", 12]] as const) {
      const host = ns[side];
      const router = side === "a" ? ns.ra : ns.rb;
      toBridge(router, "wan0", `10.214.20.${net}/24`, `p${side}`);
      ip(
        "link",
        "add",
        "eth0",
        "netns",
        host,
        "type",
        "veth",
        "peer",
        "name",
        "lan0",
        "netns",
        router,
      );
      ip("-n", host, "addr", "add", `10.214.${net}.2/24`, "dev", "eth0");
      ip("-n", host, "link", "set", "eth0", "up");
      ip("-n", host, "route", "add", "default", "via", `10.214.${net}.1`);
      ip("-n", router, "addr", "add", `10.214.${net}.1/24`, "dev", "lan0");
      ip("-n", router, "link", "set", "lan0", "up");
      run("ip", ["netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
      run("ip", ["netns", "exec", router, "nft", "-f", "-"], ROUTER_RULES);
    }
  } catch (error) {
    destroy();
    throw error;
  }
  return {
    inNamespace: (host) => ["ip", "netns", "exec", ns[host]],
    address: { a: "10.214.11.2", b: "10.214.12.2", c: "10.214.20.3", pub: "10.214.20.1" },
    destroy,
  };
}

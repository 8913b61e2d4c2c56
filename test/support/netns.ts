/**
 * A small network of namespaces for tests that break a path between two nodes while both keep
 * their signalling server (root and `ip` needed; nothing in it routes outside the machine):
 *
 *     a (10.213.1.2) --- s (10.213.1.1 | 10.213.2.1, the signalling server) --- b (10.213.2.2)
 *     a (10.213.3.1) ------------------- direct link ------------------------- b (10.213.3.2)
 *
 * `s` does not forward, so the only path between a and b is the direct link, which the test
 * cuts (nftables drops everything on it, silently, as a broken path further away would) and
 * mends.
 * @module
 */

import { spawnSync } from "node:child_process";

/** The namespaces, for {@link SplitLab.inNamespace}. */
export type LabNamespace = "a" | "b" | "s";

/** A running lab. */
export interface SplitLab {
  /** The command prefix that runs a program in `ns`. */
  inNamespace(ns: LabNamespace): string[];
  /** a's and b's addresses on the direct link. */
  direct: { a: string; b: string };
  /** The signalling server's address as a and as b reach it. */
  server: { a: string; b: string };
  /** Drops every packet on the direct link, at both ends. */
  cut(): void;
  /** Lets packets through the direct link again. */
  mend(): void;
  /** Removes every namespace (and so every link). */
  destroy(): void;
}

/** Why namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (Deno.uid() !== 0) return "needs root (CI runs as root)";
  if (spawnSync("ip", ["netns", "list"]).status !== 0) return "needs `ip netns` (iproute2)";
  if (spawnSync("nft", ["--version"]).status !== 0) return "needs nft (apt-get install nftables)";
  return undefined;
}

/** Runs `ip args`; throws with its error output when it fails. */
export function ip(...args: string[]): void {
  const result = spawnSync("ip", args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`ip ${args.join(" ")}: ${result.stderr.trim()}`);
}

/** Drops everything in and out of the direct link's interfaces (`ab` in a, `ba` in b). */
const CUT_RULES = `table inet cut {
  chain in { type filter hook input priority 0; iifname { "ab", "ba" } drop; }
  chain out { type filter hook output priority 0; oifname { "ab", "ba" } drop; }
}
`;

/** Builds the lab with fresh namespace names. */
export function createSplitLab(): SplitLab {
  const tag = `fl${Deno.pid % 100000}x${Math.floor(Math.random() * 1000)}`;
  const ns = { a: `${tag}a`, b: `${tag}b`, s: `${tag}s` };
  const made: string[] = [];
  const destroy = () => {
    for (const name of made.splice(0)) spawnSync("ip", ["netns", "delete", name]);
  };
  try {
    for (const name of Object.values(ns)) {
      ip("netns", "add", name);
      made.push(name);
      ip("-n", name, "link", "set", "lo", "up");
    }
    const link = (
      x: string,
      xName: string,
      xAddr: string,
      y: string,
      yName: string,
      yAddr: string,
    ) => {
      ip("link", "add", xName, "netns", x, "type", "veth", "peer", "name", yName, "netns", y);
      ip("-n", x, "addr", "add", xAddr, "dev", xName);
      ip("-n", y, "addr", "add", yAddr, "dev", yName);
      ip("-n", x, "link", "set", xName, "up");
      ip("-n", y, "link", "set", yName, "up");
    };
    link(ns.s, "sa", "10.213.1.1/24", ns.a, "as", "10.213.1.2/24");
    link(ns.s, "sb", "10.213.2.1/24", ns.b, "bs", "10.213.2.2/24");
    link(ns.a, "ab", "10.213.3.1/24", ns.b, "ba", "10.213.3.2/24");
  } catch (error) {
    destroy();
    throw error;
  }
  return {
    inNamespace: (name) => ["ip", "netns", "exec", ns[name]],
    direct: { a: "10.213.3.1", b: "10.213.3.2" },
    server: { a: "10.213.1.1", b: "10.213.2.1" },
    cut: () => {
      for (const name of [ns.a, ns.b]) {
        const result = spawnSync("ip", ["netns", "exec", name, "nft", "-f", "-"], {
          input: CUT_RULES,
          encoding: "utf8",
        });
        if (result.status !== 0) throw new Error(`nft in ${name}: ${result.stderr.trim()}`);
      }
    },
    mend: () => {
      for (const name of [ns.a, ns.b]) {
        spawnSync("ip", ["netns", "exec", name, "nft", "delete", "table", "inet", "cut"]);
      }
    },
    destroy,
  };
}

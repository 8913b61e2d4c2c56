/**
 * One hostile node floods gossip in the simulation, with one identity and with 1,000 fresh ones,
 * while honest nodes chat: what the network keeps. For N nodes running random connections and
 * gossip, after the overlay formed, every tick for 30 ticks five honest nodes each add a chat
 * event (150 in all: under the chat category's bound of 200, so without an attack all of it is
 * kept), and the attacker sends each of its neighbours 40 signed chat events of its identities
 * (1,200 in all, as the gossip module's wire would carry them). The same run without the attack
 * is the baseline. Reports:
 * - honest history kept at a far node (not the attacker's neighbour): honest events in its
 *   store at the end, of the 150;
 * - honest events that reached every node;
 * - the attacker's events kept at the far node;
 * - what one of the attacker's neighbours sent because of the attack (beyond the baseline) per
 *   byte the attacker sent it.
 *
 *     deno run -A bench/gossip_attack_bench.ts [--sizes 20,1000]
 * @module
 */

import { NodeConfig } from "../core/config.ts";
import type { NodeID } from "../core/ids.ts";
import { createEvent, type GossipEvent } from "../modules/gossip/event.ts";
import { overlay, type SimNode } from "../testing/overlay.ts";
import { listOption, publish } from "./report.ts";

/** One run's figures. */
export interface GossipAttackRow {
  nodes: number;
  /** Fresh identities the attacker signs with (0: no attack, the baseline). */
  identities: number;
  /** Honest events at the far node at the end, of those made. */
  honestKeptFar: number;
  /** Honest events seen by every node, of those made. */
  honestReachedAll: number;
  honestMade: number;
  /** The attacker's events in the far node's store at the end. */
  attackKeptFar: number;
  /** Bytes the attacker's neighbour sent beyond the baseline, per byte the attacker sent it. */
  victimBytesPerAttackByte: number;
}

const TICKS = 30;
const HONEST_PER_TICK = 5;
const ATTACK_PER_TICK = 40;

/** The chat events in `node`'s store. */
async function storedChat(node: SimNode): Promise<GossipEvent[]> {
  let events: GossipEvent[] = [];
  const tap = node.gossip!.tapOut((out) => {
    if (out.type === "events") events = out.events;
  });
  await node.gossip!.emitIn({ type: "list", category: "chat" });
  tap.remove();
  return events;
}

/** A run of `n` nodes; the attacker signs with `identities` identities (0: no attack). */
async function run(
  n: number,
  identities: number,
  signers: NodeConfig[],
  sybils: NodeConfig[],
): Promise<GossipAttackRow & { victimSent: number; attackBytes: number }> {
  const world = overlay({ seed: 3, gossip: true });
  const nodes: SimNode[] = [];
  for (const signer of signers.slice(0, n)) nodes.push(await world.join(signer));
  for (let tick = 0; tick < 8; tick++) await world.step();
  const attacker = nodes[0];
  const neighbours = attacker.randomState?.connected ?? [];
  const victim = world.nodes.get(neighbours[0] as NodeID)!;
  const far = nodes.find((node) =>
    node !== attacker && !neighbours.includes(node.id) &&
    !(node.randomState?.connected ?? []).some((id) => neighbours.includes(id))
  ) ?? nodes.find((node) => node !== attacker && !neighbours.includes(node.id))!;
  const honest = nodes.filter((node) => node !== attacker);
  const honestIds = new Set<string>();
  let attackBytesToVictim = 0;
  let sent = 0;
  const victimBefore = world.sim.sentBy.get(victim.id)?.bytes ?? 0;
  for (let tick = 0; tick < TICKS; tick++) {
    for (let i = 0; i < HONEST_PER_TICK; i++) {
      const author = honest[(tick * HONEST_PER_TICK + i) % honest.length];
      const before = new Set(author.seen);
      await author.gossip!.emitIn({
        type: "add",
        category: "chat",
        payload: `honest ${tick}.${i}`,
      });
      for (const id of author.seen) if (!before.has(id)) honestIds.add(id);
    }
    if (identities > 0) {
      const events = await Promise.all(
        Array.from({ length: ATTACK_PER_TICK }, () => {
          const signer = sybils[sent++ % identities];
          return createEvent(signer, "chat", `spam ${sent}`, Date.now());
        }),
      );
      const data = JSON.stringify({ t: "events", events });
      for (const to of attacker.randomState?.connected ?? []) {
        attacker.network.enqueueIn({ type: "send", to, module: "gossip", data, id: -1 });
        if (to === victim.id) attackBytesToVictim += new TextEncoder().encode(data).length;
      }
    }
    await world.step();
  }
  for (let tick = 0; tick < 10; tick++) await world.step();
  const kept = await storedChat(far);
  const spammers = new Set(sybils.slice(0, identities).map((s) => s.id as string));
  const reachedAll = [...honestIds].filter((id) => nodes.every((node) => node.seen.has(id)));
  return {
    nodes: n,
    identities,
    honestMade: honestIds.size,
    honestKeptFar: kept.filter((e) => honestIds.has(e.id)).length,
    honestReachedAll: reachedAll.length,
    attackKeptFar: kept.filter((e) => spammers.has(e.author)).length,
    victimBytesPerAttackByte: 0,
    victimSent: (world.sim.sentBy.get(victim.id)?.bytes ?? 0) - victimBefore,
    attackBytes: attackBytesToVictim,
  };
}

if (import.meta.main) {
  const sizes = listOption("--sizes", [20, 1000]);
  const signers = await Promise.all(
    Array.from({ length: Math.max(...sizes) }, () => NodeConfig.create()),
  );
  const sybils = await Promise.all(Array.from({ length: 1000 }, () => NodeConfig.create()));
  const rows: GossipAttackRow[] = [];
  for (const n of sizes) {
    const { victimSent: base, attackBytes: _, ...baseline } = await run(n, 0, signers, sybils);
    rows.push(baseline);
    for (const identities of [1, 1000]) {
      const { victimSent, attackBytes, ...attacked } = await run(n, identities, signers, sybils);
      rows.push({ ...attacked, victimBytesPerAttackByte: (victimSent - base) / attackBytes });
    }
  }
  const table = rows.map((r) =>
    `${String(r.nodes).padStart(5)} nodes, ${
      r.identities ? `${r.identities} attacker identities` : "no attack"
    }: honest kept at a far node ${r.honestKeptFar}/${r.honestMade}, reached every node ` +
    `${r.honestReachedAll}/${r.honestMade}; attacker's kept there ${r.attackKeptFar}; ` +
    `its neighbour sent ${r.victimBytesPerAttackByte.toFixed(2)} B per attack byte`
  ).join("\n");
  await publish(table, { bench: "gossip-attack", sizes, rows });
}

/**
 * Rooms on real nodes: 10 Nodes (both engines, one process, a real signalling server) in two
 * rooms of 5; each member hears every message of its room and none of the other's, and sees the
 * other four members; a member that closes leaves its room for the others at once, saying `left`
 * (its presence would otherwise stay for 3 minutes).
 * @module
 */

import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { IntervalTimer } from "../../core/timer.ts";
import type { Node } from "../../node/node.ts";
import type { MemberEvent, Room, RoomMessage } from "../../node/rooms.ts";
import { serveSignal } from "../../adapters/deno/serve_signal.ts";
import { loopbackFullNode, until } from "../../harness/network.ts";

describe("10 real Nodes in two rooms", { timeout: 90_000 }, () => {
  it("hear every message of their room, none of the other, and see its members", async () => {
    const server = await serveSignal({ port: 0 });
    const timer = new IntervalTimer(100);
    const nodes: Node[] = [];
    try {
      const members: { node: Node; room: Room; heard: RoomMessage[] }[] = [];
      for (let i = 0; i < 10; i++) {
        const engine = i % 2 === 0 ? "wrtc" : "node-datachannel";
        const node = await loopbackFullNode(server.url, engine, timer, `node${i}`);
        nodes.push(node);
        const room = await node.join(i < 5 ? "alpha" : "beta");
        const member = { node, room, heard: [] as RoomMessage[] };
        room.onMessage((message) => member.heard.push(message));
        members.push(member);
      }
      const rooms = [members.slice(0, 5), members.slice(5)];
      await until("each member sees the other four", () => {
        return members.every((m) => m.room.members().length === 4);
      }, 30_000);
      for (const room of rooms) {
        const ids = room.map((m) => m.node.id);
        for (const m of room) {
          assert.deepEqual(m.room.members().sort(), ids.filter((id) => id !== m.node.id).sort());
        }
      }
      await rooms[0][0].room.publish("to alpha");
      await rooms[1][2].room.publish("to beta");
      await until("every member heard its room's message", () => {
        return members.every((m) =>
          m.heard.length >= (m === rooms[0][0] || m === rooms[1][2] ? 0 : 1)
        );
      }, 20_000);
      for (const [r, room] of rooms.entries()) {
        const text = r === 0 ? "to alpha" : "to beta";
        for (const m of room) {
          const expected = m === rooms[0][0] || m === rooms[1][2] ? [] : [text];
          assert.deepEqual(m.heard.map((h) => h.data), expected);
        }
      }
      // a member closes: the others hear it left (long before its presence would expire)
      const leaving = rooms[0][4];
      const told: MemberEvent[] = [];
      for (const m of rooms[0].slice(0, 4)) m.room.onMember((event) => told.push(event));
      await leaving.node.close();
      await until("every other alpha member heard it leave", () => told.length >= 4, 10_000);
      assert.deepEqual(told, Array(4).fill({ type: "left", id: leaving.node.id, reason: "left" }));
      for (const m of rooms[0].slice(0, 4)) assert.equal(m.room.members().length, 3);
    } finally {
      timer.close();
      for (const node of nodes) await node.close();
      await server.close();
    }
  });
});

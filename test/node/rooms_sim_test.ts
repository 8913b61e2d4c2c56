import { describe, it } from "../support/timed.ts";
import assert from "node:assert/strict";
import { NodeConfig } from "../../core/config.ts";
import type { NodeID } from "../../core/ids.ts";
import { type Room, type RoomMessage, Rooms } from "../../node/rooms.ts";
import { overlay } from "../../testing/overlay.ts";

describe("rooms on a simulated overlay of 100 nodes", { timeout: 120_000 }, () => {
  it("give every member every message of its rooms and none of the others, and know who is in", async () => {
    const world = overlay({ seed: 9, gossip: true });
    const topics = ["red", "green", "blue"];
    const members = new Map<string, { id: NodeID; room: Room; heard: RoomMessage[] }[]>(
      topics.map((topic) => [topic, []]),
    );
    const outsiders: Rooms[] = [];
    for (let i = 0; i < 100; i++) {
      const node = await world.join(await NodeConfig.create());
      const rooms = new Rooms(node.id, node.gossip!, world.timer.broker);
      if (i % 4 === 3) {
        outsiders.push(rooms); // in no room: hears nothing, though it carries everything
        continue;
      }
      const topic = topics[i % 4];
      const room = await rooms.join(topic);
      const member = { id: node.id, room, heard: [] as RoomMessage[] };
      room.onMessage((message) => member.heard.push(message));
      members.get(topic)!.push(member);
    }
    for (let tick = 0; tick < 10; tick++) await world.step();
    assert.ok(world.sim.connected());

    for (const topic of topics) {
      for (const [i, member] of members.get(topic)!.slice(0, 3).entries()) {
        await member.room.publish(`${topic} ${i}`);
      }
    }
    for (let tick = 0; tick < 10; tick++) await world.step();

    for (const topic of topics) {
      const room = members.get(topic)!;
      assert.equal(room.length, 25);
      for (const member of room) {
        const expected = [0, 1, 2].map((i) => `${topic} ${i}`)
          .filter((_, i) => room[i].id !== member.id);
        assert.deepEqual(member.heard.map((m) => m.data).sort(), expected, "its room's, only");
        assert.ok(member.heard.every((m) => m.topic === topic));
        assert.deepEqual(
          member.room.members().sort(),
          room.map((m) => m.id).filter((id) => id !== member.id).sort(),
          "every other member, and nobody else",
        );
        assert.equal((await member.room.history()).length, 3);
      }
    }
    await assert.rejects(outsiders[0].history("red"), /not in room "red": join it first/);

    // leaving is heard
    const [leaver, stayer] = members.get("red")!;
    const events: string[] = [];
    stayer.room.onMember((event) => events.push(`${event.type} ${event.id === leaver.id}`));
    await leaver.room.leave();
    for (let tick = 0; tick < 10; tick++) await world.step();
    assert.deepEqual(events, ["left true"]);
    assert.ok(!stayer.room.members().includes(leaver.id));
  });
});
